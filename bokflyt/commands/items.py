"""`bokflyt items`: item-level scanning (check-in at the receiving library)."""

from __future__ import annotations

from typing import Any

import click

from bokflyt.commands import CommandFailed


@click.group()
def items() -> None:
    """Skanning av enkelteksemplarer."""


def location_aliases(settings: Any) -> dict[str, str]:
    """Location codes mapped to site codes by the sources' `sites` tables, for home sites."""
    aliases: dict[str, str] = {}
    for source in settings.sources.values():
        aliases.update(source.sites)
    return aliases


@items.command("checkin")
@click.argument("barcode")
@click.option("--at", "site", required=True, help="Stedskoden der eksemplaret leveres inn.")
@click.pass_obj
def checkin_cmd(ctx: Any, barcode: str, site: str) -> None:
    """Lever inn STREKKODE på et sted: på hylla der, eller sendt hjem om det hører til et annet."""
    from transport.scanning import ScanError, checkin_item

    aliases = location_aliases(ctx.settings())
    with ctx.sessions().begin() as session:
        try:
            result = checkin_item(session, barcode, site, aliases)
        except ScanError as e:
            raise CommandFailed(str(e)) from None
    click.echo(f"{barcode} innlevert på {site}.")
    if result.return_transfer is not None:
        click.echo(f"Hører hjemme på {result.home}: returoverføring nr. {result.return_transfer}.")
    elif result.home is None:
        click.echo("Hjemmested ukjent: ingen returoverføring.", err=True)
