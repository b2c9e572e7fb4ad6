"""Build one day's routing problem from the sites' hours, the fleet and the items waiting to move.

Pure: the caller (the `routes plan` command) reads the configuration and the database and hands
plain values in; this module decides which sites are on the road, how items travel (direct or via
the hub), packs crates and turns them into a `Problem`.  Times are seconds after midnight,
distances metres.

Cost weights: one second of driving costs 1, one kilometre 1; a van costs half an hour of driving
to take out; leaving a shipment for another day costs two hours, times (1 + priority) and
(1 + age / 2) — so an old or urgent shipment is worth a long detour, and nothing is dropped while
there is room.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from transport.crates import Crate, Leg, PendingItem, legs_for_day, pack, shipments
from transport.problem import Break, Objective, Problem, Site, TimeWindow, Van


@dataclass(frozen=True)
class SiteDay:
    """A site on the given day: where it is, when it takes deliveries, whether it is served."""

    code: str
    lat: float
    lon: float
    windows: tuple[tuple[float, float], ...]
    served: bool


@dataclass(frozen=True)
class FleetDay:
    """The vans and the driver's day."""

    vans: tuple[tuple[str, int], ...]  # (name, crate capacity)
    depot: str
    hub: str
    shift: tuple[float, float]
    break_window: tuple[float, float] | None
    break_minutes: float
    service_s: float
    per_crate_s: float
    books_per_crate: int
    van_fixed_cost: float = 1800.0


@dataclass(frozen=True)
class DayProblem:
    """The problem, the crates it moves, today's legs and the items that wait."""

    problem: Problem
    crates: tuple[Crate, ...]
    legs: tuple[Leg, ...]
    waiting: tuple[PendingItem, ...]


def build_day(
    sites: Sequence[SiteDay],
    fleet: FleetDay,
    items: Sequence[PendingItem],
    durations: Sequence[Sequence[float]],
    distances: Sequence[Sequence[float]],
    name: str = "",
) -> DayProblem:
    """The day's problem over the served sites; `durations`/`distances` are over `sites`."""
    by_code = {s.code: i for i, s in enumerate(sites)}
    for code in (fleet.depot, fleet.hub):
        if code not in by_code:
            raise ValueError(f"{code!r} is not a configured site")
    served = {s.code for s in sites if s.served and s.windows} | {fleet.depot}
    legs, waiting = legs_for_day(items, served, fleet.hub)
    crates = pack(legs, fleet.books_per_crate)
    ships = shipments(crates)
    used = sorted(
        {fleet.depot, *(s.pickup for s in ships), *(s.delivery for s in ships)},
        key=lambda c: by_code[c],
    )
    idx = [by_code[c] for c in used]
    problem_sites = tuple(
        Site(
            id=code,
            x=sites[by_code[code]].lon,
            y=sites[by_code[code]].lat,
            time_windows=tuple(TimeWindow(a, b) for a, b in sites[by_code[code]].windows),
            service_time=fleet.service_s,
            service_per_crate=fleet.per_crate_s,
        )
        for code in used
    )
    brk = None
    if fleet.break_window is not None and fleet.break_minutes > 0:
        brk = Break(fleet.break_window[0], fleet.break_window[1], fleet.break_minutes * 60)
    vans = tuple(
        Van(
            id=name_,
            capacity=cap,
            start=fleet.depot,
            end=fleet.depot,
            shift=TimeWindow(*fleet.shift),
            break_=brk,
            fixed_cost=fleet.van_fixed_cost,
        )
        for name_, cap in fleet.vans
    )
    problem = Problem(
        sites=problem_sites,
        vans=vans,
        shipments=tuple(ships),
        durations=tuple(tuple(float(durations[i][j]) for j in idx) for i in idx),
        distances=tuple(tuple(float(distances[i][j]) for j in idx) for i in idx),
        objective=Objective(
            time_weight=1.0, distance_weight=0.001, drop_penalty=7200.0, age_weight=0.5
        ),
        name=name,
    )
    return DayProblem(problem, tuple(crates), tuple(legs), tuple(waiting))
