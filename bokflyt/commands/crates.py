"""`bokflyt crates`: labels for the day's crates, and scanning them on the road.

`crates labels` prints one A4 label per routed crate with its pick list.  `crates scan` records a
pickup or delivery; a crate scanned at the wrong site is recorded, flagged for forwarding and
reported on stderr in bokmål, and the command still exits 0 (the scan happened; refusing it would
lose where the crate is).
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Any

import click

from bokflyt.commands import CommandFailed
from bokflyt.commands.routes_print import DATE_OPTION, OUTPUT_OPTION, day_documents, write_pdf


@click.group()
def crates() -> None:
    """Kasseetiketter med plukklister, og skanning av kasser ved henting og levering."""


@crates.command("labels")
@DATE_OPTION
@OUTPUT_OPTION
@click.pass_obj
def labels_cmd(ctx: Any, day: dt.datetime, output: Path) -> None:
    """Skriv kasseetikettene (Code 128 og QR av kasse-ID) og plukklistene for DATO som PDF."""
    from transport.sheets import render_crate_labels

    docs = day_documents(ctx, day.date())
    write_pdf(output, "kasseetiketter", len(docs.labels),
              lambda p: render_crate_labels(docs.labels, docs.picklists, p))  # fmt: skip


@crates.command("scan")
@click.argument("crate")
@click.option("--picked-up", "event", flag_value="picked_up", help="Bilen hentet kassen.")
@click.option("--delivered", "event", flag_value="delivered", help="Kassen ble levert.")
@click.option("--at", "site", required=True, help="Stedskoden der kassen ble skannet.")
@click.pass_obj
def scan_cmd(ctx: Any, crate: str, event: str | None, site: str) -> None:
    """Registrer at KASSE ble hentet eller levert på et sted; eksemplarene i den flyttes videre."""
    from transport.scanning import ScanError, WrongSite, scan_crate

    if event is None:
        raise click.UsageError("Oppgi --picked-up eller --delivered.")
    with ctx.sessions().begin() as session, warnings.catch_warnings():
        warnings.simplefilter("ignore", WrongSite)  # shown below from the result, once
        try:
            result = scan_crate(session, crate, event, site)
        except ScanError as e:
            raise CommandFailed(str(e)) from None
    for message in result.messages:
        click.echo(f"ADVARSEL: {message}", err=True)
    verb = "hentet" if event == "picked_up" else "levert"
    click.echo(f"Kasse {result.crate_id} {verb} på {result.site}: {result.items} eksemplar(er).")
