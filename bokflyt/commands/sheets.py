"""`bokflyt sheets`: the printed documents of a transport day.

For now only `sheets sample`, which renders a realistic Bærum day without a database (for the
demo and for looking at the layout).  The commands that print the real day's plan
(`routes print`, `crates labels`, `slips`) map the plan onto `transport.documents` values and call
the same three renderers.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import click

log = logging.getLogger(__name__)


@click.group()
def sheets() -> None:
    """Kjørelister, kasseetiketter og følgesedler (PDF og HTML)."""


@sheets.command("sample")
@click.option(
    "-o",
    "--output-dir",
    "output_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Mappen dokumentene skrives til (opprettes om den mangler).",
)
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Dagen for eksempelruten (standard: i morgen).",
)
def sample(output_dir: Path, day: dt.datetime | None) -> None:
    """Skriv kjøreliste, kasseetiketter og følgesedler for en eksempeldag som PDF og HTML."""
    from transport.sample_documents import sample_day
    from transport.sheets import render_crate_labels, render_route_sheets, render_slips
    from transport.sheets_html import crate_labels_html, route_sheets_html, slips_html

    when = day.date() if day else dt.date.today() + dt.timedelta(days=1)
    documents = sample_day(when)
    output_dir.mkdir(parents=True, exist_ok=True)
    stem = when.isoformat()
    written = {
        f"kjoreliste-{stem}.pdf": lambda p: render_route_sheets(documents.sheets, p),
        f"kasseetiketter-{stem}.pdf": lambda p: render_crate_labels(
            documents.labels, documents.picklists, p
        ),
        f"transportlapper-{stem}.pdf": lambda p: render_slips(documents.slips, p),
        f"kjoreliste-{stem}.html": lambda p: p.write_text(
            route_sheets_html(documents.sheets), encoding="utf-8"
        ),
        f"kasseetiketter-{stem}.html": lambda p: p.write_text(
            crate_labels_html(documents.labels, documents.picklists), encoding="utf-8"
        ),
        f"transportlapper-{stem}.html": lambda p: p.write_text(
            slips_html(documents.slips), encoding="utf-8"
        ),
    }
    for name, write in written.items():
        path = output_dir / name
        write(path)
        log.info("wrote %s", path)
        click.echo(str(path))
