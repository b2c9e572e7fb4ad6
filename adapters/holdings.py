"""Copies (items) from the fields each library system embeds them in: holdings profiles.

Koha keeps copies in 952, Alma and other MARC 21 systems in 852, Bibliofil's NORMARC export in
850; a source on another system names its tag and subfields in the configuration (`custom`).
A profile says where barcode, location, call number, item type, status and due date live and
how status codes become an `ItemStatus`. Site resolution is plain data handed in (`SiteMap`)
so this module knows nothing of the configuration file or the database. Records arrive as
`adapters.marc.MarcData` (a `pymarc.Record` is converted); each holdings field is read once
into a code → first value mapping, which is what the status rules see.

An item whose location code resolves to no configured site keeps `site=None` and its code is
reported (`ItemsResult.unknown_codes`); it is never dropped. A field with no barcode cannot be
stored as a copy and is counted in `ItemsResult.skipped`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

import pymarc

from adapters.marc import DataField, MarcData, as_data
from catalog.records import Item, ItemStatus

# a rule reads the first value of each subfield code of one holdings field
StatusRule = Callable[[Mapping[str, str], "HoldingsProfile"], tuple[ItemStatus, date | None]]


@dataclass(frozen=True, slots=True)
class SiteMap:
    """How a location code becomes a site code.

    Order: the source's own mapping (`aliases`, code → site code), then a configured site code
    (`site_codes`), then a seven-digit library number (`library_numbers`, number → site code).
    """

    aliases: Mapping[str, str] = field(default_factory=dict)
    site_codes: frozenset[str] = frozenset()
    library_numbers: Mapping[str, str] = field(default_factory=dict)

    def resolve(self, code: str | None) -> str | None:
        if not code:
            return None
        key = code.strip()
        if key in self.aliases:
            return self.aliases[key]
        if key in self.site_codes:
            return key
        digits = key.upper().removeprefix("NO-")
        return self.library_numbers.get(digits)


@dataclass(frozen=True, slots=True)
class HoldingsProfile:
    """Where one system keeps its copies; subfield codes are single letters or digits."""

    name: str
    tag: str
    barcode: str
    site: tuple[str, ...]
    home_site: str | None = None
    call_number: tuple[str, ...] = ()
    item_type: str | None = None
    status: str | None = None
    due_date: str | None = None
    status_map: Mapping[str, ItemStatus] = field(default_factory=dict)
    rule: StatusRule | None = None
    copy_number: str | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{3}", self.tag):
            raise ValueError(f"holdings tag must be three digits, got {self.tag!r}")
        if not self.site:
            raise ValueError("a holdings profile needs the subfield holding the location")


@dataclass(frozen=True, slots=True)
class ItemsResult:
    """The copies of one record, the location codes no site matched, and fields skipped."""

    items: tuple[Item, ...]
    unknown_codes: tuple[str, ...] = ()
    skipped: int = 0


def parse_date(value: str | None) -> date | None:
    """Due dates appear as 2026-12-01, 20261201 or 2026-12-01 23:59:00; anything else → None."""
    if not value:
        return None
    digits = re.sub(r"\D", "", value.strip()[:10])
    if len(digits) != 8:
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def _set(value: str | None) -> bool:
    """Koha flags: empty or "0" means not set; any other value (1, -1, 2...) means set."""
    return bool(value and value.strip() and value.strip() != "0")


def koha_status(
    field: Mapping[str, str], profile: HoldingsProfile
) -> tuple[ItemStatus, date | None]:
    """Koha 952: $0 withdrawn, $1 lost, $7 not for loan, $q due date → on loan, else on shelf."""
    due = parse_date(field.get("q"))
    if _set(field.get("0")):
        return ItemStatus.WITHDRAWN, None
    if _set(field.get("1")):
        return ItemStatus.LOST, None
    if due is not None:
        return ItemStatus.ON_LOAN, due
    if _set(field.get("7")):
        return ItemStatus.NOT_FOR_LOAN, None
    return ItemStatus.ON_SHELF, None


def mapped_status(
    field: Mapping[str, str], profile: HoldingsProfile
) -> tuple[ItemStatus, date | None]:
    """Status from a code subfield through `status_map` (an explicit code wins; an unmapped
    code is UNKNOWN); with no code, a due date means on loan and none means on the shelf."""
    due = parse_date(field.get(profile.due_date)) if profile.due_date else None
    raw = (field.get(profile.status) or "").strip() if profile.status else ""
    if raw:
        status = profile.status_map.get(raw, ItemStatus.UNKNOWN)
    else:
        status = ItemStatus.ON_LOAN if due is not None else ItemStatus.ON_SHELF
    return status, due if status is ItemStatus.ON_LOAN else None


BIBLIOFIL_STATUS: Mapping[str, ItemStatus] = {
    "0": ItemStatus.ON_SHELF,
    "4": ItemStatus.ON_LOAN,
    "5": ItemStatus.ON_LOAN,
    "10": ItemStatus.IN_TRANSIT,
    "17": ItemStatus.AWAITING_TRANSFER,
}

PROFILES: Mapping[str, HoldingsProfile] = {
    "koha-952": HoldingsProfile(
        name="koha-952",
        tag="952",
        barcode="p",
        site=("b", "a"),
        home_site="a",
        call_number=("o",),
        item_type="y",
        due_date="q",
        rule=koha_status,
    ),
    "marc21-852": HoldingsProfile(
        name="marc21-852",
        tag="852",
        barcode="p",
        site=("b", "a"),
        home_site="a",
        call_number=("h", "i"),
        item_type=None,
    ),
    "bibliofil-850": HoldingsProfile(
        name="bibliofil-850",
        tag="850",
        barcode="p",
        site=("a",),
        copy_number="f",
        call_number=("b", "c"),
        item_type=None,
        status="h",
        due_date="y",
        status_map=BIBLIOFIL_STATUS,
    ),
}


def custom_profile(
    tag: str,
    barcode: str,
    site: str,
    *,
    home_site: str | None = None,
    call_number: str | None = None,
    item_type: str | None = None,
    status: str | None = None,
    due_date: str | None = None,
    status_map: Mapping[str, str] | None = None,
) -> HoldingsProfile:
    """A profile from the configuration's custom mapping; status values are `ItemStatus` names."""
    mapping: dict[str, ItemStatus] = {}
    for raw, target in (status_map or {}).items():
        try:
            mapping[raw] = ItemStatus(target)
        except ValueError:
            allowed = ", ".join(s.value for s in ItemStatus)
            raise ValueError(
                f"status {target!r} for code {raw!r} is not one of {allowed}"
            ) from None
    return HoldingsProfile(
        name=f"custom-{tag}",
        tag=tag,
        barcode=barcode,
        site=(site,),
        home_site=home_site,
        call_number=(call_number,) if call_number else (),
        item_type=item_type,
        status=status,
        due_date=due_date,
        status_map=mapping,
    )


def profile_named(name: str) -> HoldingsProfile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise ValueError(f"unknown holdings profile {name!r}; known: {known}") from None


def _value(field: Mapping[str, str], code: str | None) -> str | None:
    if not code:
        return None
    value = field.get(code)
    return value.strip() or None if value else None


def _synthetic_barcode(
    fld: Mapping[str, str], profile: HoldingsProfile, ordinal: int
) -> str | None:
    """Bibliofil exports often carry no barcode: library number + copy number identify the copy."""
    library = _value(fld, profile.site[0])
    if library is None:
        return None
    copy = _value(fld, profile.copy_number) or f"#{ordinal}"
    return f"{library}-{copy}"


def _first_values(field: DataField) -> dict[str, str]:
    """Subfield code → its first value, built once per field (profiles look up six or more).

    Built from the subfields in reverse, so the first of a repeated code is written last and
    wins, in one C call instead of a Python loop.
    """
    return dict(reversed(field.subfields))


def extract_items(
    record: MarcData | pymarc.Record, profile: HoldingsProfile, sites: SiteMap
) -> ItemsResult:
    """Every copy in `record` according to `profile`, with its site resolved through `sites`.

    Runs once per copy of every record harvested, so the profile's subfield codes are read
    into locals once per record and `_value` is inlined (see `_value` for the rule).
    """
    fields = as_data(record).get_fields(profile.tag)
    if not fields:
        return _NO_ITEMS
    items: list[Item] = []
    unknown: list[str] = []
    skipped = 0
    seen: set[str] = set()
    rule = profile.rule or mapped_status
    barcode_code, site_codes, home_code = profile.barcode, profile.site, profile.home_site
    call_codes, type_code = profile.call_number, profile.item_type
    resolve = sites.resolve
    for ordinal, data_field in enumerate(fields, start=1):
        fld = _first_values(data_field)
        value = fld.get(barcode_code)
        barcode = (value.strip() or None) if value else None
        if barcode is None and profile.copy_number is not None:
            barcode = _synthetic_barcode(fld, profile, ordinal)
        codes = [code for s in site_codes if (value := fld.get(s)) and (code := value.strip())]
        if barcode is None or not codes or barcode in seen:
            skipped += 1
            continue
        seen.add(barcode)
        site = None
        for code in codes:
            site = resolve(code)
            if site is not None:
                break
        location = codes[0]
        if site is None and location not in unknown:
            unknown.append(location)
        status, due = rule(fld, profile)
        call_parts = [part for c in call_codes if (value := fld.get(c)) and (part := value.strip())]
        items.append(
            Item(
                barcode=barcode[:64],
                location_code=location[:64],
                site=site,
                home_location_code=_value(fld, home_code),
                call_number=" ".join(call_parts)[:200] or None,
                item_type=_value(fld, type_code),
                status=status,
                due_date=due,
            )
        )
    return ItemsResult(items=tuple(items), unknown_codes=tuple(unknown), skipped=skipped)


_NO_ITEMS = ItemsResult(items=())
