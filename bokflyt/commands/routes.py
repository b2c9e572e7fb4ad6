"""`bokflyt routes`: the day's van routes.

`routes solve` runs the solver on a problem file on its own (no database, no configuration), so
other tools and the benchmarks can drive it.  `routes plan --date D` builds the day's problem from
the configuration and the open transfers, solves, verifies and stores it as a draft;
`routes dispatch --date D` freezes it.  Every answer passes `transport.verify` before it is
written; a problem that cannot be read, or an answer that fails the check, exits with status 1 and
a message naming the cause.

`plan`, `dispatch` and `import-transfers` talk to library staff, in Norwegian bokmål; `solve` is a
tool for scripts and benchmarks and answers in English.  The day's sites come from each site's
`hours` and `service_days` and the `[calendar]` closures (`transport.calendar`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import click

from bokflyt.commands import CommandFailed
from bokflyt.planning import service_calendar

__all__ = ["routes", "service_calendar"]

log = logging.getLogger(__name__)


@click.group()
def routes() -> None:
    """Planlegg og løs bokbilens ruter."""


@routes.command("solve")
@click.argument("problem_path", metavar="PROBLEM", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "lilim"]),
    default="json",
    show_default=True,
    help="Inndataformat: bokflyt-JSON (docs/routing-problem.md) eller en Li & Lim PDPTW-tekstfil.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Sekunder (veggklokke) for hele løsningen, modellbyggingen medregnet.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Tilfeldig frø; samme frø og tidsgrense gir samme svar.",
)
@click.option(
    "--seeds/--no-seeds",
    "use_seeds",
    default=True,
    show_default=True,
    help="Start OR-Tools fra VROOM-/PyVRP-ruter når de pakkene er installert.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Hvor løsningen (JSON) skal skrives.",
)
def solve_cmd(
    problem_path: Path, fmt: str, time_limit: float, seed: int, use_seeds: bool, output: Path
) -> None:
    """Løs PROBLEM og skriv en kontrollert SOLUTION.json.

    For Li & Lim-inndata er løsningen {"routes": [[oppdrag-ID-er]], "vehicles": n, "distance": d}
    uten depotet og med euklidsk avstand uten avrunding; for JSON-inndata er det hele
    løsningen med ankomsttider, last og forsendelser som ble droppet.  Begge har "clock_cut":
    motorene klokka stoppet før arbeidsbudsjettet var brukt opp (tom: samme frø og grense
    gir samme svar).
    """
    from adapters.lilim import LiLimFormatError, read_lilim
    from transport.cost import route_distance
    from transport.problem import ProblemError
    from transport.problem_json import load_problem, solution_to_dict
    from transport.solve import solve_outcome
    from transport.verify import InfeasibleSolution, check

    try:
        problem = read_lilim(problem_path) if fmt == "lilim" else load_problem(problem_path)
    except FileNotFoundError:
        raise CommandFailed(f"{problem_path}: finner ikke filen") from None
    except (ProblemError, LiLimFormatError) as e:
        raise CommandFailed(f"{problem_path}: ugyldig problem: {e}") from None
    outcome = solve_outcome(problem, time_limit=time_limit, seed=seed, use_seeds=use_seeds)
    solution = outcome.solution
    try:
        check(problem, solution)
    except InfeasibleSolution as e:
        raise CommandFailed(f"løsningen besto ikke kontrollen og er ikke skrevet: {e}") from None
    data: dict[str, Any]
    if fmt == "lilim":
        data = {
            "routes": [[int(s.site) for s in r.stops] for r in solution.routes if r.stops],
            "vehicles": solution.vehicles,
            "distance": route_distance(problem, solution),
        }
    else:
        data = solution_to_dict(solution)
    data["clock_cut"] = list(outcome.clock_cut)
    output.write_text(json.dumps(data, indent=1), encoding="utf-8")
    click.echo(
        f"{solution.vehicles} vehicles, distance {route_distance(problem, solution):.2f}, "
        f"{len(solution.dropped)} dropped -> {output}"
    )
    if outcome.clock_cut:
        click.echo(
            f"  stopped by the clock: {', '.join(outcome.clock_cut)} "
            "(this answer depends on the machine's load)",
            err=True,
        )
    if solution.dropped:
        for d in solution.dropped[:10]:
            click.echo(f"  dropped {d.shipment}: {d.reason}", err=True)


def _hhmm(seconds: float) -> str:
    m = int(round(seconds / 60))
    return f"{m // 60:02d}:{m % 60:02d}"


@routes.command("plan")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    help="Dagen som skal planlegges (ÅÅÅÅ-MM-DD).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.5),
    default=10.0,
    show_default=True,
    help="Sekunder (veggklokke) for løseren.",
)
@click.pass_obj
def plan_cmd(ctx: Any, day: dt.datetime, time_limit: float) -> None:
    """Planlegg bilrutene for DATO fra åpne overføringer; erstatter utkast, aldri sendte planer."""
    from bokflyt.planning import PlanningError, plan_day
    from transport.planner import chosen_copies

    when = day.date()
    settings = ctx.settings()
    with ctx.sessions().begin() as session:
        try:
            planned = plan_day(session, settings, when, time_limit)
        except PlanningError as e:
            raise CommandFailed(str(e)) from None
        plan, dp, solution = planned.plan, planned.problem, planned.solution
        waiting = planned.waiting
        click.echo(
            f"{when}: utkast til kjøreplan, {plan.vehicles} bil(er), "
            f"{plan.distance_m / 1000:.1f} km, {len(plan.crates)} kasse(r) på "
            f"{len(dp.problem.shipments)} strekning(er), {waiting} eksemplar(er) venter på "
            "en kjøredag"
        )
        for line in _closed_lines(settings, when):
            click.echo(line)
        for route in solution.routes:
            click.echo(
                f"bil {route.van}: kjører {_hhmm(route.depart)}, tilbake {_hhmm(route.arrive)}"
                + (f", pause {_hhmm(route.break_start)}" if route.break_start else "")
            )
            for s in route.stops:
                verb = "hent" if s.kind == "pickup" else "lever"
                click.echo(f"  {_hhmm(s.start)} {s.site:<6} {verb} {s.shipment} (last {s.load})")
        for ref, (site, barcode) in sorted(chosen_copies(dp, solution).items()):
            click.echo(f"valgt eksemplar for overføring {ref[1:]}: {barcode} hentes på {site}")
        for d in solution.dropped:
            click.echo(f"ikke i dag: {d.shipment}: {d.reason}")
        for n in planned.notes:
            click.echo(f"merk: {n}")


def _closed_lines(settings: Any, day: dt.date) -> list[str]:
    """One line per site closed on `day`, with the next day the van may come."""
    from bokflyt.settings import WEEKDAYS
    from transport.calendar import next_service_day

    calendar = service_calendar(settings)
    lines = []
    for s in settings.sites:
        closure = calendar.closure(s.code, s.kind, day)
        if closure is None:
            continue
        service = None
        if s.service_days is not None:
            service = {WEEKDAYS.index(d) for d in s.service_days}
        open_days = {WEEKDAYS.index(d) for d, w in s.hours.items() if w} or set(range(7))
        nxt = next_service_day(calendar, s.code, s.kind, day, service, open_days)
        after = f"neste kjøredag {nxt.isoformat()}" if nxt else "ingen kjøredag de neste ukene"
        lines.append(f"stengt i dag: {s.code} ({closure.label}); {after}")
    return lines


@routes.command("dispatch")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    help="Dagen hvis utkast skal fryses (ÅÅÅÅ-MM-DD).",
)
@click.pass_obj
def dispatch_cmd(ctx: Any, day: dt.datetime) -> None:
    """Frys planen for DATO: senere planlegging endrer den aldri; overføringene går videre."""
    from bokflyt.planning import hub_code
    from transport.plan_store import PlanError, dispatch

    when = day.date()
    hub = hub_code(ctx.settings())
    if hub is None:
        raise CommandFailed("ingen avdelinger er satt opp; ingenting å sende ut")
    with ctx.sessions().begin() as session:
        try:
            plan = dispatch(session, when, hub)
        except PlanError as e:
            raise CommandFailed(str(e)) from None
        click.echo(
            f"{when}: kjøreplanen er sendt ut ({plan.vehicles} bil(er), {len(plan.stops)} stopp)"
        )


@routes.command("import-transfers")
@click.argument("csv_path", metavar="CSV", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--reason",
    type=click.Choice(["reservation", "return_home", "class_set", "rebalancing", "manual"]),
    default="reservation",
    show_default=True,
    help="Årsak for rader som ikke oppgir en.",
)
@click.pass_obj
def import_transfers_cmd(ctx: Any, csv_path: Path, reason: str) -> None:
    """Les inn overføringslisten fra utlånssystemet; lånerkolonner forkastes uten å leses."""
    from sqlalchemy import select

    from catalog.models import Site
    from transport.models import Transfer
    from transport.transfers import TransferError, read_transfer_csv, unique

    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CommandFailed(f"{csv_path}: finner ikke filen") from None
    try:
        requests = unique(read_transfer_csv(text, default_reason=reason))
    except TransferError as e:
        raise CommandFailed(f"{csv_path}: {e}") from None
    with ctx.sessions().begin() as session:
        known = set(session.scalars(select(Site.code)))
        unknown = sorted(
            {c for r in requests for c in (r.to_site, r.from_site) if c and c not in known}
        )
        if unknown:
            raise CommandFailed(f"{csv_path}: ukjente avdelingskoder: {', '.join(unknown)}")
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
    click.echo(f"{len(requests)} overføring(er) importert fra {csv_path.name}")
