"""`bokflyt transfers`: ask for a copy at a site, list the transfers, cancel one.

`request` applies the copy-choice rule of `transport.requests` (on the shelf elsewhere; one site
holds copies → an item transfer, several → an "any copy" transfer whose pickup the day's route
plan chooses).  There is no option for a borrower, by design: a transfer never says who a book
is for.  Messages are in Norwegian bokmål; refusals exit with status 1.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click

from transport.models import TRANSFER_STATUSES as STATUSES
from transport.transfers import REASONS

STATUS_LABELS = {
    "open": "åpen",
    "planned": "planlagt",
    "in_transit": "underveis",
    "delivered": "levert",
    "cancelled": "avbrutt",
}

REASON_LABELS = {
    "reservation": "reservering",
    "return_home": "hjem",
    "class_set": "klassesett",
    "rebalancing": "omfordeling",
    "manual": "manuell",
}


def _fail(message: str) -> None:
    """Print `message` on stderr and exit 1 (click's own errors would say "Error:")."""
    click.echo(message, err=True)
    raise click.exceptions.Exit(1)


@click.group()
def transfers() -> None:
    """Overføringer mellom steder: bestill et eksemplar til et sted, list dem, avbryt en."""


@transfers.command("request")
@click.argument("cluster")
@click.option("--to", "to_site", required=True, help="Stedskoden eksemplaret skal fram til.")
@click.option(
    "--any-edition",
    is_flag=True,
    help="Et eksemplar av hvilken som helst utgave av verket duger, ikke bare denne.",
)
@click.option(
    "--priority",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="0 er normalt; høyere tall sendes først.",
)
@click.option(
    "--reason",
    type=click.Choice(REASONS),
    default="reservation",
    show_default=True,
    help="Hvorfor eksemplaret flyttes.",
)
@click.option(
    "--from-date",
    "from_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Skal ikke planlegges før denne dagen (ÅÅÅÅ-MM-DD).",
)
@click.pass_obj
def request_cmd(
    ctx: Any,
    cluster: str,
    to_site: str,
    any_edition: bool,
    priority: int,
    reason: str,
    from_date: dt.datetime | None,
) -> None:
    """Send et eksemplar av KLYNGE (klynge-ID, eller KILDE:POSTID) til et sted.

    Bare eksemplarer på hylla på et annet sted kan velges; står det allerede et på hylla
    på mottakerstedet, opprettes ingenting og kommandoen avslutter med kode 1.
    """
    from transport.requests import RequestError, request_copy

    with ctx.sessions().begin() as session:
        try:
            t = request_copy(
                session,
                cluster,
                to_site,
                any_edition=any_edition,
                priority=priority,
                reason=reason,
                not_before=from_date.date() if from_date else None,
            )
        except RequestError as e:
            _fail(str(e))
            return
        if t.any_copy:
            sites = [site for site, _ in t.candidates or []]
            click.echo(
                f"Overføring {t.id} opprettet: et eksemplar til {t.to_site} fra en av "
                f"{', '.join(sites)}; kjøreplanen velger hvor det hentes."
            )
        else:
            click.echo(
                f"Overføring {t.id} opprettet: eksemplar {t.barcode} fra {t.from_site} "
                f"til {t.to_site}."
            )


@transfers.command("list")
@click.option(
    "--status",
    type=click.Choice([*STATUSES, "all"]),
    default="open",
    show_default=True,
    help="Hvilke overføringer som vises.",
)
@click.option("--json", "as_json", is_flag=True, help="Skriv JSON i stedet for en tabell.")
@click.pass_obj
def list_cmd(ctx: Any, status: str, as_json: bool) -> None:
    """List overføringer, eldste først."""
    from sqlalchemy import select

    from transport.models import Transfer

    query = select(Transfer).order_by(Transfer.id)
    if status != "all":
        query = query.where(Transfer.status == status)
    with ctx.sessions()() as session:
        rows = [_row(t) for t in session.scalars(query)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not rows:
        click.echo("Ingen overføringer.")
        return
    click.echo(f"{'nr':>5}  {'status':<9}  {'til':<6}  {'fra':<16}  {'eksemplar':<14}  pri  årsak")
    for r in rows:
        origin = r["from_site"] or "/".join(r["candidate_sites"]) or "?"
        click.echo(
            f"{r['id']:>5}  {STATUS_LABELS.get(r['status'], r['status']):<9}  "
            f"{r['to_site']:<6}  {origin:<16}  {r['barcode'] or '(velges)':<14}  "
            f"{r['priority']:>3}  {REASON_LABELS.get(r['reason'], r['reason'])}"
            + (f" fra {r['not_before']}" if r["not_before"] else "")
        )


def _row(t: Any) -> dict[str, Any]:
    """A transfer as plain values (there is no borrower to leave out: none is stored)."""
    return {
        "id": t.id,
        "status": t.status,
        "cluster": t.cluster_key,
        "any_copy": bool(t.any_copy),
        "barcode": t.barcode,
        "from_site": t.from_site,
        "at_site": t.at_site,
        "to_site": t.to_site,
        "candidate_sites": [site for site, _ in t.candidates or []],
        "reason": t.reason,
        "priority": t.priority,
        "not_before": t.not_before.isoformat() if t.not_before else None,
        "age_days": t.age_days,
    }


@transfers.command("cancel")
@click.argument("transfer_id", metavar="ID", type=int)
@click.pass_obj
def cancel_cmd(ctx: Any, transfer_id: int) -> None:
    """Avbryt den åpne overføringen ID; en som er underveis eller levert, blir stående (kode 1)."""
    from transport.models import Transfer

    with ctx.sessions().begin() as session:
        t = session.get(Transfer, transfer_id)
        if t is None:
            _fail(f"Fant ingen overføring nr. {transfer_id}.")
            return
        if t.status != "open" or t.at_site is not None:
            label = STATUS_LABELS.get(t.status, t.status)
            if t.status == "open":
                label = f"underveis (nå på {t.at_site})"
            _fail(f"Overføring {transfer_id} er {label} og kan ikke avbrytes.")
            return
        t.status = "cancelled"
    click.echo(f"Overføring {transfer_id} er avbrutt.")
