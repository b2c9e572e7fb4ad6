"""Deviations ("avvik"): what went wrong on the road, per day and van, and the carrier's CSV.

`add` validates before it stores (known kind, known site), `listing` reads a day or all, and
`to_csv` writes the carrier's file.  Notes are free text typed by staff and opened by the carrier
in a spreadsheet, so a note that starts like a formula (`=`, `+`, `-`, `@`) is written with a
leading apostrophe and can never run as one.  Nothing here commits.

Error tree::

    DeviationError(ValueError)   -- an unknown kind or site; the message is bokmål
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Site
from transport.models_scan import DEVIATION_KINDS, Deviation

KIND_NB = {"late": "forsinket", "damaged": "skadet", "missing": "mangler", "closed": "stengt"}
CSV_HEADER = ("dato", "bil", "type", "kasse", "sted", "merknad", "registrert")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class DeviationError(ValueError):
    """A deviation that cannot be recorded."""


@dataclass(frozen=True)
class DeviationView:
    """A stored deviation as plain values, for listing and JSON."""

    id: int
    day: str
    van: str
    kind: str
    kind_nb: str
    crate: str | None
    site: str | None
    note: str | None
    created_at: str


def add(
    session: Session,
    day: dt.date,
    van: str,
    kind: str,
    crate: str | None = None,
    site: str | None = None,
    note: str | None = None,
) -> Deviation:
    """Store one deviation after checking its kind and site."""
    if kind not in DEVIATION_KINDS:
        raise DeviationError(f"Ukjent avvikstype «{kind}»; bruk {', '.join(DEVIATION_KINDS)}.")
    if not van.strip():
        raise DeviationError("Oppgi bil.")
    if site is not None and session.scalar(select(Site.id).where(Site.code == site)) is None:
        raise DeviationError(f"Ukjent sted «{site}».")
    row = Deviation(day=day, van=van.strip(), kind=kind, crate_id=crate or None,
                    site=site, note=(note or "").strip() or None)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def _view(row: Deviation) -> DeviationView:
    created = row.created_at.isoformat(timespec="seconds") if row.created_at else ""
    return DeviationView(row.id, row.day.isoformat(), row.van, row.kind, KIND_NB[row.kind],
                         row.crate_id, row.site, row.note, created)  # fmt: skip


def listing(
    session: Session, first: dt.date | None = None, last: dt.date | None = None
) -> list[DeviationView]:
    """Deviations between `first` and `last` (inclusive; open ends allowed), oldest first."""
    query = select(Deviation).order_by(Deviation.day, Deviation.van, Deviation.id)
    if first is not None:
        query = query.where(Deviation.day >= first)
    if last is not None:
        query = query.where(Deviation.day <= last)
    return [_view(row) for row in session.scalars(query)]


def as_dicts(views: Iterable[DeviationView]) -> list[dict[str, object]]:
    """JSON-ready form of `views`."""
    return [asdict(v) for v in views]


def _cell(value: str | None) -> str:
    text = value or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(views: Sequence[DeviationView]) -> str:
    """The carrier's CSV: semicolon-separated (Norwegian spreadsheets), bokmål header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for v in views:
        writer.writerow([v.day, _cell(v.van), v.kind_nb, _cell(v.crate), v.site or "",
                         _cell(v.note), v.created_at])  # fmt: skip
    return buffer.getvalue()
