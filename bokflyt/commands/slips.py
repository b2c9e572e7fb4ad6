"""`bokflyt slips`: the routing slip for every item travelling on the day's plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from bokflyt.commands.routes_print import DATE_OPTION, OUTPUT_OPTION, day_documents, write_pdf


@click.command("slips")
@DATE_OPTION
@OUTPUT_OPTION
@click.pass_obj
def slips(ctx: Any, day: dt.datetime, output: Path) -> None:
    """Skriv følgesedlene for DATO (seks per A4-side, én per eksemplar) som PDF."""
    from transport.sheets import render_slips

    docs = day_documents(ctx, day.date())
    write_pdf(output, "transportlapper", len(docs.slips), lambda p: render_slips(docs.slips, p))
