"""`bokflyt deviations`: record and report what went wrong on the road ("avvik")."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from bokflyt.commands import CommandFailed

_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.group()
def deviations() -> None:
    """Avvik: forsinkede, skadde eller manglende kasser og stengte steder, per dag og bil."""


@deviations.command("add")
@click.option("--date", "day", type=_DAY, required=True, help="Ruteplanens dag (ÅÅÅÅ-MM-DD).")
@click.option("--van", required=True, help="Bilen, slik den heter i planen.")
@click.option(
    "--kind",
    type=click.Choice(["late", "damaged", "missing", "closed"]),
    required=True,
    help="late (forsinket), damaged (skadet), missing (kasse mangler) eller closed "
    "(stedet stengt).",
)
@click.option("--crate", default=None, help="Kasse-ID fra etiketten, f.eks. K261130-03.")
@click.option("--site", default=None, help="Stedskoden det gjelder.")
@click.option("--note", default=None, help="Fritekst til transportøren.")
@click.pass_obj
def add_cmd(
    ctx: Any,
    day: dt.datetime,
    van: str,
    kind: str,
    crate: str | None,
    site: str | None,
    note: str | None,
) -> None:
    """Registrer ett avvik."""
    from transport.deviations import KIND_NB, DeviationError, add

    with ctx.sessions().begin() as session:
        try:
            row = add(session, day.date(), van, kind, crate, site, note)
        except DeviationError as e:
            raise CommandFailed(str(e)) from None
        number = row.id
    click.echo(f"Avvik nr. {number} registrert: {KIND_NB[kind]}, {van}, {day.date()}.")


@deviations.command("list")
@click.option("--date", "day", type=_DAY, default=None, help="Bare denne dagen (ÅÅÅÅ-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Maskinlesbart svar (JSON).")
@click.pass_obj
def list_cmd(ctx: Any, day: dt.datetime | None, as_json: bool) -> None:
    """List avvik, alle eller for én dag."""
    from transport.deviations import as_dicts, listing

    when = day.date() if day else None
    with ctx.sessions()() as session:
        rows = listing(session, when, when)
    if as_json:
        click.echo(json.dumps(as_dicts(rows), ensure_ascii=False, indent=1))
        return
    if not rows:
        click.echo("Ingen avvik registrert.")
    for r in rows:
        where = " ".join(x for x in (r.crate or "", r.site or "") if x)
        click.echo(f"{r.day} {r.van:<8} {r.kind_nb:<10} {where:<22} {r.note or ''}".rstrip())


@deviations.command("export")
@click.option("--from", "first", type=_DAY, required=True, help="Første dag (ÅÅÅÅ-MM-DD).")
@click.option("--to", "last", type=_DAY, required=True, help="Siste dag (tas med).")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True,
    help="CSV-filen som skal skrives (semikolonseparert, UTF-8).",
)  # fmt: skip
@click.pass_obj
def export_cmd(ctx: Any, first: dt.datetime, last: dt.datetime, output: Path) -> None:
    """Skriv avvikene i en periode som CSV til transportøren."""
    from transport.deviations import listing, to_csv

    if last < first:
        raise CommandFailed("--to kan ikke være før --from.")
    with ctx.sessions()() as session:
        rows = listing(session, first.date(), last.date())
    output.write_text(to_csv(rows), encoding="utf-8")
    click.echo(f"{len(rows)} avvik -> {output}")
