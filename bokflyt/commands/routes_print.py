"""`bokflyt routes print`: the day's route sheets as PDF, and what the print commands share.

Attached to the `routes` group by the CLI (`routes.add_command(print_cmd)`), so this module and
the plan/dispatch commands can change independently.  `crates labels` and `slips` use
`day_documents` from here: one way to read a stored plan and the configured sites of that day.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from bokflyt.commands import CommandFailed

log = logging.getLogger(__name__)

DATE_OPTION = click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    help="Planens dag (ÅÅÅÅ-MM-DD).",
)
OUTPUT_OPTION = click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="PDF-filen som skal skrives.",
)


def sheet_sites(settings: Any, day: dt.date) -> dict[str, Any]:
    """Every configured site as printed on `day`: its opening hours that weekday as text."""
    from bokflyt.settings import WEEKDAYS
    from transport.documents import SheetSite

    weekday = WEEKDAYS[day.weekday()]
    sites = {}
    for s in settings.sites:
        hours = s.hours.get(weekday, [])
        sites[s.code] = SheetSite(
            code=s.code,
            name=s.name,
            lat=s.lat,
            lon=s.lon,
            address=s.address or "",
            library_number=s.library_number or "",
            hours_today=", ".join(h.replace("-", "–") for h in hours) if hours else "stengt",
            notes=s.notes or "",
        )
    return sites


def no_plan_message(day: dt.date) -> str:
    """The bokmål refusal when a day has no stored plan."""
    return (
        f"Det finnes ingen ruteplan for {day.isoformat()}. "
        f"Lag en først med «bokflyt routes plan --date {day.isoformat()}»."
    )


def day_documents(ctx: Any, day: dt.date, van: str | None = None) -> Any:
    """The stored plan of `day` as `PlanDocuments`; exits 1 in bokmål when there is none."""
    from sqlalchemy import select

    from transport.models import RoutePlan
    from transport.print_plan import PrintPlanError, load_items, plan_documents

    sites = sheet_sites(ctx.settings(), day)
    with ctx.sessions()() as session:
        plan = session.scalar(select(RoutePlan).where(RoutePlan.day == day))
        if plan is None:
            raise CommandFailed(no_plan_message(day))
        barcodes = [b for c in plan.crates for b in c.barcodes]
        items = load_items(session, barcodes)
        try:
            return plan_documents(plan, sites, items, van)
        except PrintPlanError as e:
            raise CommandFailed(f"Kan ikke skrive ut planen for {day}: {e}") from None


def write_pdf(output: Path, what: str, count: int, render: Callable[[Path], None]) -> None:
    """Render to `output` unless there is nothing to print, which is an error (exit 1)."""
    if count == 0:
        raise CommandFailed(f"Ingen {what} å skrive ut for denne dagen.")
    output.parent.mkdir(parents=True, exist_ok=True)
    render(output)
    log.info("wrote %s", output)
    click.echo(f"{count} {what} -> {output}")


@click.command("print")
@DATE_OPTION
@click.option("--van", default=None, help="Bare kjørelisten til denne bilen (navnet i planen).")
@OUTPUT_OPTION
@click.pass_obj
def print_cmd(ctx: Any, day: dt.datetime, van: str | None, output: Path) -> None:
    """Skriv kjørelistene for DATO (én per bil, A4) som PDF."""
    from transport.sheets import render_route_sheets

    docs = day_documents(ctx, day.date(), van)
    write_pdf(output, "kjørelister", len(docs.sheets),
              lambda p: render_route_sheets(docs.sheets, p))  # fmt: skip
