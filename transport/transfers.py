"""Transfer requests, and reading the circulation system's CSV transfer list without patrons.

A transfer moves one item (or "any copy" of a manifestation/work) to a destination site.  It never
carries a borrower: Norwegian library confidentiality means bokflyt must not store or print who a
book is for.  The CSV reader therefore keeps only the columns it knows by an *allow-list* and drops
every other column as the row is read — a borrower column under any name (låner, lånenummer,
borrowernumber, cardnumber, patron, e-mail, phone, ...) never reaches a `TransferRequest`, a log
line or the database.  Only the *names* of dropped columns are logged, never their values.

Error tree::

    TransferError(ValueError)   -- a row that cannot become a transfer; names the line and column
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass

log = logging.getLogger(__name__)

REASONS = ("reservation", "return_home", "class_set", "rebalancing", "manual")

# Header spellings accepted for each field (case-insensitive, Norwegian and English exports).
COLUMNS: dict[str, tuple[str, ...]] = {
    "barcode": ("barcode", "strekkode", "item_barcode", "eksemplar", "exemplar"),
    "from_site": ("from", "from_site", "frombranch", "fra", "fra_avdeling", "holdingbranch"),
    "to_site": ("to", "to_site", "tobranch", "til", "til_avdeling", "pickup_branch"),
    "reason": ("reason", "årsak", "arsak", "type"),
    "priority": ("priority", "prioritet"),
    "not_before": ("not_before", "date", "dato", "from_date"),
}


class TransferError(ValueError):
    """A CSV row that cannot become a transfer."""

    def __init__(self, line: int, column: str, message: str) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.line, self.column = line, column


@dataclass(frozen=True)
class TransferRequest:
    """Move item `barcode` (or any copy of `cluster` when `any_copy`) to `to_site`.

    There is deliberately no field for a borrower.
    """

    to_site: str
    reason: str
    barcode: str | None = None
    cluster: str | None = None
    any_copy: bool = False
    from_site: str | None = None
    priority: int = 0
    not_before: dt.date | None = None

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"reason must be one of {', '.join(REASONS)}, not {self.reason!r}")
        if (self.barcode is None) == (self.cluster is None):
            raise ValueError("give exactly one of barcode (one item) or cluster (any copy)")
        if self.any_copy and self.cluster is None:
            raise ValueError("any_copy needs a cluster")
        if self.priority < 0:
            raise ValueError("priority must be >= 0")


def _field_of(header: str) -> str | None:
    h = header.strip().lower()
    for field, names in COLUMNS.items():
        if h in names:
            return field
    return None


def read_transfer_csv(text: str, default_reason: str = "reservation") -> list[TransferRequest]:
    """Parse a transfer list; columns outside the allow-list are dropped unread.

    Semicolon or comma separated (sniffed); `reason` defaults to `default_reason`.
    """
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ";,\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        return []
    keep: dict[int, str] = {}
    dropped: list[str] = []
    for i, name in enumerate(header):
        field = _field_of(name)
        if field is None or field in keep.values():
            dropped.append(name.strip())
        else:
            keep[i] = field
    if dropped:
        log.info(
            "transfer CSV: dropped %d column(s) not needed for transport: %s",
            len(dropped),
            ", ".join(dropped),
        )
    for need in ("barcode", "to_site"):
        if need not in keep.values():
            raise TransferError(1, need, "required column missing")
    out = []
    for lineno, row in enumerate(reader, start=2):
        # Only allow-listed cells are ever looked at; the rest of `row` is discarded here.
        values = {field: row[i].strip() for i, field in keep.items() if i < len(row)}
        del row
        if not any(values.values()):
            continue
        out.append(_request(values, lineno, default_reason))
    return out


def _request(values: dict[str, str], lineno: int, default_reason: str) -> TransferRequest:
    if not values.get("barcode"):
        raise TransferError(lineno, "barcode", "empty")
    if not values.get("to_site"):
        raise TransferError(lineno, "to_site", "empty")
    reason = values.get("reason") or default_reason
    reason = {"reservert": "reservation", "hold": "reservation", "retur": "return_home"}.get(
        reason.lower(), reason.lower()
    )
    try:
        priority = int(values.get("priority") or 0)
    except ValueError:
        raise TransferError(lineno, "priority", "not an integer") from None
    not_before = None
    if values.get("not_before"):
        try:
            not_before = dt.date.fromisoformat(values["not_before"])
        except ValueError:
            raise TransferError(lineno, "not_before", "expected YYYY-MM-DD") from None
    try:
        return TransferRequest(
            to_site=values["to_site"],
            reason=reason,
            barcode=values["barcode"],
            from_site=values.get("from_site") or None,
            priority=priority,
            not_before=not_before,
        )
    except ValueError as e:
        raise TransferError(lineno, "reason", str(e)) from None


def check_in_away(
    barcode: str, checked_in_at: str, home_site: str | None
) -> TransferRequest | None:
    """The transfer for an item checked in away from its home site (None if it is home)."""
    if home_site is None or home_site == checked_in_at:
        return None
    return TransferRequest(
        to_site=home_site, reason="return_home", barcode=barcode, from_site=checked_in_at
    )


def unique(requests: Iterable[TransferRequest]) -> list[TransferRequest]:
    """One request per item/cluster and destination, keeping the highest priority."""
    best: dict[tuple[str | None, str | None, str], TransferRequest] = {}
    for r in requests:
        key = (r.barcode, r.cluster, r.to_site)
        if key not in best or r.priority > best[key].priority:
            best[key] = r
    return list(best.values())
