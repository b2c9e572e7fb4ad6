"""Holdings profiles: copies, sites, statuses from Koha 952, MARC 21 852, Bibliofil 850, custom."""

from __future__ import annotations

from datetime import date

import pymarc
import pytest

from adapters.holdings import PROFILES, SiteMap, custom_profile, extract_items, parse_date
from catalog.records import ItemStatus

SITES = SiteMap(
    aliases={"hovedbib": "SAN", "skole-a": "SKA"},
    site_codes=frozenset({"SAN", "BEK", "SKA", "SKB"}),
    library_numbers={"2021900": "SAN", "4021901": "SKA", "4021902": "SKB"},
)


def _record(tag: str, *items: list[str]) -> pymarc.Record:
    record = pymarc.Record()
    record.add_field(pymarc.Field(tag="001", data="1"))
    for subs in items:
        record.add_field(
            pymarc.Field(
                tag=tag,
                indicators=pymarc.Indicators(" ", " "),
                subfields=[pymarc.Subfield(s[0], s[1:]) for s in subs],
            )
        )
    return record


def test_site_resolution_order() -> None:
    """The source's own mapping first, then a site code, then a library number (NO- prefix ok)."""
    assert SITES.resolve("hovedbib") == "SAN"
    assert SITES.resolve("BEK") == "BEK"
    assert SITES.resolve("4021902") == "SKB"
    assert SITES.resolve("NO-4021901") == "SKA"
    assert SITES.resolve("OSLO") is None
    assert SITES.resolve("") is None


def test_koha_952_statuses_and_fields() -> None:
    """Koha: $b holding branch is the site, $a home; $0/$1/$7/$q set the status."""
    record = _record(
        "952",
        ["aSAN", "bBEK", "p0301001", "oN Ibs", "yBOK"],
        ["aSAN", "bSAN", "p0301002", "q2026-12-03"],
        ["aSAN", "bSAN", "p0301003", "71"],
        ["aSAN", "bSAN", "p0301004", "11"],
        ["aSAN", "bSAN", "p0301005", "01"],
        ["aSAN", "bSAN", "p0301006", "70", "10", "00"],
    )
    result = extract_items(record, PROFILES["koha-952"], SITES)
    first = result.items[0]
    assert (first.barcode, first.location_code, first.site, first.home_location_code) == (
        "0301001",
        "BEK",
        "BEK",
        "SAN",
    )
    assert (first.call_number, first.item_type) == ("N Ibs", "BOK")
    assert [i.status for i in result.items] == [
        ItemStatus.ON_SHELF,
        ItemStatus.ON_LOAN,
        ItemStatus.NOT_FOR_LOAN,
        ItemStatus.LOST,
        ItemStatus.WITHDRAWN,
        ItemStatus.ON_SHELF,
    ]
    assert result.items[1].due_date == date(2026, 12, 3)


def test_marc21_852_sublocation_then_institution() -> None:
    """852: $b sublocation resolves first, $a institution as fallback; call number $h + $i."""
    record = _record(
        "852",
        ["a2021900", "bukjent-avd", "hN", "iHam", "p111"],
        ["aNO-4021901", "p222"],
    )
    items = extract_items(record, PROFILES["marc21-852"], SITES).items
    assert [(i.barcode, i.site, i.call_number) for i in items] == [
        ("111", "SAN", "N Ham"),
        ("222", "SKA", None),
    ]


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("0", ItemStatus.ON_SHELF),
        ("4", ItemStatus.ON_LOAN),
        ("5", ItemStatus.ON_LOAN),
        ("10", ItemStatus.IN_TRANSIT),
        ("17", ItemStatus.AWAITING_TRANSFER),
        ("99", ItemStatus.UNKNOWN),
    ],
)
def test_bibliofil_850_status_codes(code: str, status: ItemStatus) -> None:
    """Bibliofil $h: 0 shelf, 4/5 loan, 10 transit, 17 awaiting transfer, others unknown."""
    record = _record("850", ["a4021901", "bskb", "cHam", "f001", f"h{code}", "y20261205"])
    (item,) = extract_items(record, PROFILES["bibliofil-850"], SITES).items
    assert item.status is status
    assert item.due_date == (date(2026, 12, 5) if status is ItemStatus.ON_LOAN else None)


def test_bibliofil_without_barcode_gets_library_and_copy_number() -> None:
    """An 850 without $p is identified by library number and copy number ($f)."""
    record = _record(
        "850", ["a4021901", "f001", "h0"], ["a4021901", "f002", "h0"], ["a4021902", "h0"]
    )
    items = extract_items(record, PROFILES["bibliofil-850"], SITES).items
    assert [i.barcode for i in items] == ["4021901-001", "4021901-002", "4021902-#3"]
    assert [i.site for i in items] == ["SKA", "SKA", "SKB"]


def test_unknown_site_is_reported_not_dropped() -> None:
    """A copy at an unconfigured location keeps site None and its code is reported."""
    record = _record("952", ["aOSLO", "bOSLO", "p1"], ["aSAN", "bSAN", "p2"])
    result = extract_items(record, PROFILES["koha-952"], SITES)
    assert [i.site for i in result.items] == [None, "SAN"]
    assert result.unknown_codes == ("OSLO",)


def test_fields_without_barcode_or_location_are_counted_as_skipped() -> None:
    """An item field missing barcode or location, or repeating a barcode, is skipped and counted."""
    record = _record("952", ["aSAN"], ["p5"], ["bSAN", "p6"], ["bSAN", "p6"])
    result = extract_items(record, PROFILES["koha-952"], SITES)
    assert [i.barcode for i in result.items] == ["6"] and result.skipped == 3


def test_custom_profile_with_status_map() -> None:
    """A custom mapping (tag 949) reads barcode, site, call number and maps status codes."""
    profile = custom_profile(
        "949",
        "i",
        "l",
        call_number="c",
        status="s",
        due_date="d",
        status_map={"ute": "on_loan", "tapt": "lost"},
    )
    record = _record(
        "949", ["i9", "lskole-a", "cN", "sute", "d2026-12-24"], ["i10", "lBEK", "stapt"]
    )
    items = extract_items(record, profile, SITES).items
    assert [(i.barcode, i.site, i.status) for i in items] == [
        ("9", "SKA", ItemStatus.ON_LOAN),
        ("10", "BEK", ItemStatus.LOST),
    ]
    assert items[0].due_date == date(2026, 12, 24)


def test_custom_profile_rejects_unknown_status_names() -> None:
    """A status_map target that is no ItemStatus is refused when the profile is built."""
    with pytest.raises(ValueError, match="borte"):
        custom_profile("949", "i", "l", status="s", status_map={"x": "borte"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("20261201", date(2026, 12, 1)),
        ("2026-12-01 23:59:00", date(2026, 12, 1)),
        ("2026-13-01", None),
        ("snart", None),
        (None, None),
    ],
)
def test_due_date_formats(text: str | None, expected: date | None) -> None:
    """Due dates are read in the forms systems export; nonsense gives None."""
    assert parse_date(text) == expected


def test_a_repeated_subfield_code_reads_its_first_value() -> None:
    """Two $p or $b in one item field: the first is the copy's barcode and location."""
    result = extract_items(
        _record("952", ["pFIRST", "bSAN", "pSECOND", "bBEK"]), PROFILES["koha-952"], SITES
    )
    assert [(i.barcode, i.site) for i in result.items] == [("FIRST", "SAN")]
