"""Planning a day's routes from the configuration: one function for the CLI and the web.

`bokflyt routes plan` and the plan page ("Planlegg i morgen") must build the same problem from
the same sites, fleet and open transfers, and pick the same hub when dispatching; keeping those
steps here means they cannot drift apart. Messages are bokmål because both callers show them to
staff. Nothing here commits: the caller's unit of work does.

Errors::

    PlanningError          nothing to plan, a plan that failed verification, or a frozen plan
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bokflyt.settings import WEEKDAYS, Settings, parse_window
from transport.calendar import Closure, ServiceCalendar, single_days

if TYPE_CHECKING:  # the solver stack loads only when a day is planned, not with the CLI
    from sqlalchemy.orm import Session

    from transport.models import RoutePlan
    from transport.planner import DayProblem, FleetDay, SiteDay
    from transport.problem import Solution

log = logging.getLogger(__name__)


class PlanningError(Exception):
    """The day could not be planned; the message says why, in bokmål."""


def service_calendar(settings: Settings) -> ServiceCalendar:
    """The `[calendar]` section as a `transport.calendar.ServiceCalendar`."""
    cal = settings.calendar
    closures = single_days(cal.closed, "stengt")
    for h in cal.holidays:
        closures.append(
            Closure(h.start, h.end, frozenset(h.kinds), frozenset(h.sites), h.name or "ferie")
        )
    for code, days in cal.site_closed.items():
        closures += single_days(days, "stengt", [code])
    return ServiceCalendar(tuple(closures))


def depot_code(settings: Settings) -> str | None:
    """Where the vans start: the fleet's depot, else the first depot site, else the first site."""
    depot = settings.fleet.depot or next(
        (s.code for s in settings.sites if s.kind == "depot"), None
    )
    return depot or (settings.sites[0].code if settings.sites else None)


def hub_code(settings: Settings) -> str | None:
    """The sorting hub crates pass through (the depot unless one is named)."""
    return settings.fleet.hub or depot_code(settings)


def _seconds(t: Any) -> float:
    return float(t.hour * 3600 + t.minute * 60)


def day_inputs(settings: Settings, day: dt.date) -> tuple[list[SiteDay], FleetDay, Any]:
    """Sites, fleet and distance provider for `day` from the configuration and calendar."""
    from adapters.distance import CachedProvider, HaversineProvider
    from transport.planner import FleetDay, SiteDay

    calendar = service_calendar(settings)
    weekday = WEEKDAYS[day.weekday()]
    fleet = settings.fleet
    depot = depot_code(settings)
    if depot is None:
        raise PlanningError("ingen avdelinger er satt opp; ingenting å planlegge")
    shift = (_seconds(parse_window(fleet.shift)[0]), _seconds(parse_window(fleet.shift)[1]))
    sites = []
    for s in settings.sites:
        windows = tuple(
            (_seconds(a), _seconds(b)) for a, b in map(parse_window, s.hours.get(weekday, []))
        )
        served = s.code == depot or s.service_days is None or weekday in s.service_days
        served = served and not calendar.is_closed(s.code, s.kind, day)
        if s.code == depot and not windows:
            windows = (shift,)
        sites.append(SiteDay(s.code, s.lat, s.lon, windows, served))
    brk = tuple(map(_seconds, parse_window(fleet.break_window)))
    fleet_day = FleetDay(
        vans=tuple((v.name, v.capacity_crates or fleet.van_capacity) for v in fleet.van_list()),
        depot=depot,
        hub=hub_code(settings) or depot,
        shift=shift,
        break_window=(brk[0], brk[1]) if fleet.break_minutes else None,
        break_minutes=fleet.break_minutes,
        service_s=fleet.service_minutes * 60,
        per_crate_s=fleet.minutes_per_crate * 60,
        books_per_crate=fleet.crate_capacity,
    )
    provider = CachedProvider(HaversineProvider(fleet.road_factor, fleet.average_speed_kmh))
    return sites, fleet_day, provider


@dataclass(frozen=True)
class PlannedDay:
    """A stored draft with what produced it, for the caller's report."""

    plan: RoutePlan
    problem: DayProblem
    solution: Solution
    notes: tuple[str, ...]

    @property
    def waiting(self) -> int:
        """Copies that wait for a later service day."""
        return len(self.problem.waiting) + len(self.problem.any_waiting)


def plan_day(session: Session, settings: Settings, day: dt.date, time_limit: float) -> PlannedDay:
    """Build `day`'s problem from the open transfers, solve, verify, store it as a draft.

    Replaces a draft, never a dispatched plan. Flushes, does not commit.
    """
    from transport.plan_store import PlanError, pending_any_copy, pending_items, save_plan
    from transport.planner import build_day
    from transport.solve import solve
    from transport.verify import InfeasibleSolution, check

    sites, fleet_day, provider = day_inputs(settings, day)
    items, notes = pending_items(session, day)
    any_items, any_notes = pending_any_copy(session, day)
    matrix = provider.matrix([(s.lat, s.lon) for s in sites])
    dp = build_day(
        sites, fleet_day, items, matrix.durations, matrix.distances, str(day), any_copy=any_items
    )
    solution = solve(dp.problem, time_limit=time_limit)
    try:
        check(dp.problem, solution)
    except InfeasibleSolution as e:
        raise PlanningError(f"kjøreplanen besto ikke kontrollen og er ikke lagret: {e}") from None
    try:
        plan = save_plan(session, day, dp, solution)
    except PlanError as e:
        raise PlanningError(str(e)) from None
    log.info("planned %s: %d van(s), %d stop(s)", day, plan.vehicles, len(plan.stops))
    return PlannedDay(plan, dp, solution, tuple(notes + any_notes))
