"""`bokflyt items`: item-level scanning (check-in at the receiving library)."""

from __future__ import annotations

from typing import Any

import click


@click.group()
def items() -> None:
    """Scan single items."""


def location_aliases(settings: Any) -> dict[str, str]:
    """Location codes mapped to site codes by the sources' `sites` tables, for home sites."""
    aliases: dict[str, str] = {}
    for source in settings.sources.values():
        aliases.update(source.sites)
    return aliases


@items.command("checkin")
@click.argument("barcode")
@click.option("--at", "site", required=True, help="Site code where the item is checked in.")
@click.pass_obj
def checkin_cmd(ctx: Any, barcode: str, site: str) -> None:
    """Check BARCODE in at a site: on the shelf there; sent home if it belongs elsewhere."""
    from transport.scanning import ScanError, checkin_item

    aliases = location_aliases(ctx.settings())
    with ctx.sessions().begin() as session:
        try:
            result = checkin_item(session, barcode, site, aliases)
        except ScanError as e:
            raise click.ClickException(str(e)) from None
    click.echo(f"{barcode} innlevert på {site}.")
    if result.return_transfer is not None:
        click.echo(f"Hører hjemme på {result.home}: returoverføring nr. {result.return_transfer}.")
    elif result.home is None:
        click.echo("Hjemmested ukjent: ingen returoverføring.", err=True)
