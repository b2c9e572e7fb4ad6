"""The catalogue's domain values: a bibliographic record and its copies, as plain data.

Adapters read MARC (whatever the system and encoding) and hand these inward; the catalogue's
matching, clustering and search work only on these, never on `pymarc.Record`, so they can be
tested without files, servers or a database. Values are frozen: a record read from a source is
a fact about that source at harvest time, and code that wants another value builds another.
"""

from __future__ import annotations

import enum
import json
import operator
from dataclasses import dataclass, field
from datetime import date


class ItemStatus(enum.StrEnum):
    """Where a copy is, as far as its home system knows.

    The order of the members is not meaningful; `available` says what a librarian cares about.
    """

    ON_SHELF = "on_shelf"
    ON_LOAN = "on_loan"
    IN_TRANSIT = "in_transit"
    AWAITING_TRANSFER = "awaiting_transfer"
    NOT_FOR_LOAN = "not_for_loan"
    LOST = "lost"
    WITHDRAWN = "withdrawn"
    UNKNOWN = "unknown"

    @property
    def available(self) -> bool:
        """True only when a person walking to the shelf would find the copy there."""
        return self is ItemStatus.ON_SHELF


@dataclass(frozen=True, slots=True)
class Item:
    """One physical copy as its source system describes it.

    `location_code` is the raw code from the item field (952 $b, 852 $b, 850 $a); `site` is the
    configured site it resolved to, or None when the code is unknown (reported, never dropped).
    """

    barcode: str
    location_code: str
    site: str | None = None
    home_location_code: str | None = None
    call_number: str | None = None
    item_type: str | None = None
    status: ItemStatus = ItemStatus.UNKNOWN
    due_date: date | None = None

    def __reduce__(self) -> tuple[type[Item], tuple[object, ...]]:
        """Pickle as a constructor call (see `BibRecord.__reduce__`)."""
        return (Item, _item_values(self))


_item_values = operator.attrgetter(*Item.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class BibRecord:
    """One bibliographic record from one source, with the fields matching and search need.

    Strings are as catalogued (not normalised): normalisation belongs to the catalogue, which
    must be able to explain a match in terms of what the cataloguer actually typed.

    `record_type` is leader/06 and `bib_level` leader/07; `physical` holds the 007 field values;
    `content_types`/`media_types`/`carrier_types` are 336/337/338 $a (or $b codes when $a is
    missing). `year` is the four-digit year from 008/07-10 or 260/264 $c.
    """

    source: str
    record_id: str
    title: str
    subtitle: str | None = None
    part_number: str | None = None
    part_name: str | None = None
    responsibility: str | None = None
    main_author: str | None = None
    other_authors: tuple[str, ...] = ()
    isbns: tuple[str, ...] = ()
    issns: tuple[str, ...] = ()
    other_identifiers: tuple[str, ...] = ()
    edition: str | None = None
    publisher: str | None = None
    place: str | None = None
    year: int | None = None
    extent: str | None = None
    language: str | None = None
    record_type: str = "a"
    bib_level: str = "m"
    physical: tuple[str, ...] = ()
    content_types: tuple[str, ...] = ()
    media_types: tuple[str, ...] = ()
    carrier_types: tuple[str, ...] = ()
    fixed_008: str | None = None
    series: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    modified: str | None = None
    items: tuple[Item, ...] = field(default=())

    @property
    def key(self) -> tuple[str, str]:
        """The record's identity across the whole catalogue: (source name, 001)."""
        return (self.source, self.record_id)

    def __reduce__(self) -> tuple[type[BibRecord], tuple[object, ...]]:
        """Pickle as a constructor call: several times cheaper than the state protocol that
        dataclasses generate for slotted classes, and a parse worker process hands thousands
        of records a second to the process that writes them."""
        return (BibRecord, _field_values(self))


_FIELD_NAMES = tuple(BibRecord.__dataclass_fields__)
_field_values = operator.attrgetter(*_FIELD_NAMES)  # every field in one call


def record_to_dict(record: BibRecord) -> dict[str, object]:
    """A JSON-ready form of `record`, stored beside the raw MARC so the catalogue can rebuild
    the record (for matching, search, display) without re-reading MARC."""
    data: dict[str, object] = {}
    for name, value in zip(_FIELD_NAMES, _field_values(record), strict=True):
        if name == "items":
            value = [_item_to_dict(item) for item in value]
        elif isinstance(value, tuple):
            value = list(value)
        data[name] = value
    return data


def record_json(record: BibRecord) -> str:
    """`json.dumps(record_to_dict(record))`, the same text made without copying every tuple
    into a list first (JSON writes both as arrays): the `data` column of every record stored."""
    data = dict(zip(_FIELD_NAMES, _field_values(record), strict=True))
    items = record.items
    data["items"] = [_item_to_dict(item) for item in items] if items else []
    return json.dumps(data)


def record_from_dict(data: dict[str, object]) -> BibRecord:
    """The inverse of `record_to_dict`; unknown keys are ignored so old rows stay readable.

    Runs once per member record of every search document written (a reindex of a million
    records), so a row with every field, which is what `record_to_dict` writes, is built
    positionally in one pass; anything else takes the general path by name.
    """
    try:
        stored = _stored_values(data)
    except KeyError:
        return _record_from_partial_dict(data)
    values = [tuple(value) if isinstance(value, list) else value for value in stored]
    items = values[_ITEMS_INDEX]
    values[_ITEMS_INDEX] = tuple(_item_from_dict(item) for item in items)
    return BibRecord(*values)  # type: ignore[arg-type]


_stored_values = operator.itemgetter(*_FIELD_NAMES)
_ITEMS_INDEX = _FIELD_NAMES.index("items")


def _record_from_partial_dict(data: dict[str, object]) -> BibRecord:
    """`record_from_dict` for a row written before some field existed (defaults fill in)."""
    values: dict[str, object] = {}
    for name in BibRecord.__dataclass_fields__:
        if name not in data:
            continue
        value = data[name]
        if name == "items":
            value = tuple(_item_from_dict(item) for item in value)  # type: ignore[attr-defined]
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return BibRecord(**values)  # type: ignore[arg-type]


def _item_to_dict(item: Item) -> dict[str, object]:
    return {
        "barcode": item.barcode,
        "location_code": item.location_code,
        "site": item.site,
        "home_location_code": item.home_location_code,
        "call_number": item.call_number,
        "item_type": item.item_type,
        "status": item.status.value,
        "due_date": item.due_date.isoformat() if item.due_date else None,
    }


def _item_from_dict(data: dict[str, object]) -> Item:
    due = data.get("due_date")
    return Item(
        barcode=str(data["barcode"]),
        location_code=str(data["location_code"]),
        site=data.get("site"),  # type: ignore[arg-type]
        home_location_code=data.get("home_location_code"),  # type: ignore[arg-type]
        call_number=data.get("call_number"),  # type: ignore[arg-type]
        item_type=data.get("item_type"),  # type: ignore[arg-type]
        status=ItemStatus(str(data.get("status", "unknown"))),
        due_date=date.fromisoformat(str(due)) if due else None,
    )
