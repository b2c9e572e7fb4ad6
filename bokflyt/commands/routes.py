"""`bokflyt routes`: the day's van routes.

`routes solve` runs the solver on a problem file on its own (no database, no configuration), so
other tools and the benchmarks can drive it.  `routes plan --date D` builds the day's problem from
the configuration and the open transfers, solves, verifies and stores it as a draft;
`routes dispatch --date D` freezes it.  Every answer passes `transport.verify` before it is
written; a problem that cannot be read, or an answer that fails the check, exits with status 1 and
a message naming the cause.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import click

log = logging.getLogger(__name__)


@click.group()
def routes() -> None:
    """Plan and solve the book van's routes."""


@routes.command("solve")
@click.argument("problem_path", metavar="PROBLEM", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "lilim"]),
    default="json",
    show_default=True,
    help="Input format: bokflyt JSON (docs/routing-problem.md) or a Li & Lim PDPTW text file.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Wall-clock seconds for the whole solve, model building included.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed; the same seed and time limit give the same answer.",
)
@click.option(
    "--seeds/--no-seeds",
    "use_seeds",
    default=True,
    show_default=True,
    help="Start OR-Tools from VROOM/PyVRP routes when those packages are installed.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the solution JSON.",
)
def solve_cmd(
    problem_path: Path, fmt: str, time_limit: float, seed: int, use_seeds: bool, output: Path
) -> None:
    """Solve PROBLEM and write a verified SOLUTION.json.

    For Li & Lim input the solution is {"routes": [[task ids]], "vehicles": n, "distance": d}
    with the depot left out and the Euclidean distance unrounded; for JSON input it is the full
    solution with ETAs, loads and dropped shipments.
    """
    from adapters.lilim import LiLimFormatError, read_lilim
    from transport.cost import route_distance
    from transport.problem import ProblemError
    from transport.problem_json import load_problem, solution_to_dict
    from transport.solve import solve
    from transport.verify import InfeasibleSolution, check

    try:
        problem = read_lilim(problem_path) if fmt == "lilim" else load_problem(problem_path)
    except FileNotFoundError:
        raise click.ClickException(f"{problem_path}: no such file") from None
    except (ProblemError, LiLimFormatError) as e:
        raise click.ClickException(f"{problem_path}: invalid problem: {e}") from None
    solution = solve(problem, time_limit=time_limit, seed=seed, use_seeds=use_seeds)
    try:
        check(problem, solution)
    except InfeasibleSolution as e:
        raise click.ClickException(f"solution failed verification, not written: {e}") from None
    data: dict[str, Any]
    if fmt == "lilim":
        data = {
            "routes": [[int(s.site) for s in r.stops] for r in solution.routes if r.stops],
            "vehicles": solution.vehicles,
            "distance": route_distance(problem, solution),
        }
    else:
        data = solution_to_dict(solution)
    output.write_text(json.dumps(data, indent=1), encoding="utf-8")
    click.echo(
        f"{solution.vehicles} vehicles, distance {route_distance(problem, solution):.2f}, "
        f"{len(solution.dropped)} dropped -> {output}"
    )
    if solution.dropped:
        for d in solution.dropped[:10]:
            click.echo(f"  dropped {d.shipment}: {d.reason}", err=True)


def _seconds(t: Any) -> float:
    return float(t.hour * 3600 + t.minute * 60)


def _day_inputs(settings: Any, day: dt.date) -> tuple[list[Any], Any, Any]:
    """Sites, fleet and distance provider for `day` from the configuration."""
    from adapters.distance import CachedProvider, HaversineProvider
    from bokflyt.settings import WEEKDAYS, parse_window
    from transport.planner import FleetDay, SiteDay

    weekday = WEEKDAYS[day.weekday()]
    fleet = settings.fleet
    depot = fleet.depot or next((s.code for s in settings.sites if s.kind == "depot"), None)
    depot = depot or (settings.sites[0].code if settings.sites else None)
    if depot is None:
        raise click.ClickException("no sites configured; nothing to plan")
    sites = []
    for s in settings.sites:
        windows = tuple(
            (_seconds(a), _seconds(b)) for a, b in map(parse_window, s.hours.get(weekday, []))
        )
        served = s.service_days is None or weekday in s.service_days
        if s.code == depot and not windows:
            windows = (
                (_seconds(parse_window(fleet.shift)[0]), _seconds(parse_window(fleet.shift)[1])),
            )
        sites.append(SiteDay(s.code, s.lat, s.lon, windows, served))
    shift = tuple(map(_seconds, parse_window(fleet.shift)))
    brk = tuple(map(_seconds, parse_window(fleet.break_window)))
    fleet_day = FleetDay(
        vans=tuple((v.name, v.capacity_crates or fleet.van_capacity) for v in fleet.van_list()),
        depot=depot,
        hub=fleet.hub or depot,
        shift=(shift[0], shift[1]),
        break_window=(brk[0], brk[1]) if fleet.break_minutes else None,
        break_minutes=fleet.break_minutes,
        service_s=fleet.service_minutes * 60,
        per_crate_s=fleet.minutes_per_crate * 60,
        books_per_crate=fleet.crate_capacity,
    )
    provider = CachedProvider(HaversineProvider(fleet.road_factor, fleet.average_speed_kmh))
    return sites, fleet_day, provider


def _hhmm(seconds: float) -> str:
    m = int(round(seconds / 60))
    return f"{m // 60:02d}:{m % 60:02d}"


@routes.command("plan")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    help="Day to plan (YYYY-MM-DD).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.5),
    default=10.0,
    show_default=True,
    help="Wall-clock seconds for the solver.",
)
@click.pass_obj
def plan_cmd(ctx: Any, day: dt.datetime, time_limit: float) -> None:
    """Plan DATE's van routes from open transfers; replaces a draft, never a dispatched plan."""
    from transport.plan_store import PlanError, pending_items, save_plan
    from transport.planner import build_day
    from transport.solve import solve
    from transport.verify import InfeasibleSolution, check

    when = day.date()
    sites, fleet_day, provider = _day_inputs(ctx.settings(), when)
    factory = ctx.sessions()
    with factory.begin() as session:
        items, notes = pending_items(session, when)
        matrix = provider.matrix([(s.lat, s.lon) for s in sites])
        dp = build_day(sites, fleet_day, items, matrix.durations, matrix.distances, str(when))
        solution = solve(dp.problem, time_limit=time_limit)
        try:
            check(dp.problem, solution)
        except InfeasibleSolution as e:
            raise click.ClickException(f"plan failed verification, not stored: {e}") from None
        try:
            plan = save_plan(session, when, dp, solution)
        except PlanError as e:
            raise click.ClickException(str(e)) from None
        click.echo(
            f"{when}: draft plan, {plan.vehicles} van(s), {plan.distance_m / 1000:.1f} km, "
            f"{len(dp.crates)} crate(s) on {len(dp.problem.shipments)} leg(s), "
            f"{len(dp.waiting)} item(s) waiting for a service day"
        )
        for route in solution.routes:
            click.echo(
                f"van {route.van}: leaves {_hhmm(route.depart)}, back {_hhmm(route.arrive)}"
                + (f", break {_hhmm(route.break_start)}" if route.break_start else "")
            )
            for s in route.stops:
                verb = "collect" if s.kind == "pickup" else "deliver"
                click.echo(f"  {_hhmm(s.start)} {s.site:<6} {verb} {s.shipment} (load {s.load})")
        for d in solution.dropped:
            click.echo(f"not today: {d.shipment}: {d.reason}")
        for n in notes:
            click.echo(f"note: {n}")


@routes.command("dispatch")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    help="Day whose draft plan to freeze (YYYY-MM-DD).",
)
@click.pass_obj
def dispatch_cmd(ctx: Any, day: dt.datetime) -> None:
    """Freeze DATE's plan: later planning never changes it; its transfers move on."""
    from transport.plan_store import PlanError, dispatch

    when = day.date()
    _, fleet_day, _ = _day_inputs(ctx.settings(), when)
    with ctx.sessions().begin() as session:
        try:
            plan = dispatch(session, when, fleet_day.hub)
        except PlanError as e:
            raise click.ClickException(str(e)) from None
        click.echo(f"{when}: plan dispatched ({plan.vehicles} van(s), {len(plan.stops)} stops)")


@routes.command("import-transfers")
@click.argument("csv_path", metavar="CSV", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--reason",
    type=click.Choice(["reservation", "return_home", "class_set", "rebalancing", "manual"]),
    default="reservation",
    show_default=True,
    help="Reason for rows that do not name one.",
)
@click.pass_obj
def import_transfers_cmd(ctx: Any, csv_path: Path, reason: str) -> None:
    """Import the circulation system's transfer list; borrower columns are dropped unread."""
    from sqlalchemy import select

    from catalog.models import Site
    from transport.models import Transfer
    from transport.transfers import TransferError, read_transfer_csv, unique

    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise click.ClickException(f"{csv_path}: no such file") from None
    try:
        requests = unique(read_transfer_csv(text, default_reason=reason))
    except TransferError as e:
        raise click.ClickException(f"{csv_path}: {e}") from None
    with ctx.sessions().begin() as session:
        known = set(session.scalars(select(Site.code)))
        unknown = sorted(
            {c for r in requests for c in (r.to_site, r.from_site) if c and c not in known}
        )
        if unknown:
            raise click.ClickException(f"{csv_path}: unknown site code(s): {', '.join(unknown)}")
        for r in requests:
            session.add(
                Transfer(
                    barcode=r.barcode,
                    from_site=r.from_site,
                    to_site=r.to_site,
                    reason=r.reason,
                    priority=r.priority,
                    not_before=r.not_before,
                    any_copy=False,
                    age_days=0,
                    status="open",
                )
            )
    click.echo(f"{len(requests)} transfer(s) imported from {csv_path.name}")
