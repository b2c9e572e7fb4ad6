"""The document view model: values check themselves, text is made printable, dates in bokmål."""

from __future__ import annotations

import dataclasses
from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transport.documents import (
    CrateLabel,
    CrateRef,
    DocumentError,
    PickListLine,
    RouteSheet,
    RoutingSlip,
    SheetSite,
    SheetStop,
    format_date_nb,
    format_km,
    format_minutes,
    printable,
    shorten,
)

SAN = SheetSite("SAN", "Sandvika bibliotek", 59.8897, 10.5225, library_number="2021900")
BEK = SheetSite("BEK", "Bekkestua bibliotek", 59.9183, 10.5884, library_number="2021901")


def _sheet(stops: tuple[SheetStop, ...]) -> RouteSheet:
    return RouteSheet(date(2026, 11, 27), "Bil 1", time(7, 30), time(15, 0), 80, 42.7, SAN, stops)


def test_no_document_has_a_field_for_a_person() -> None:
    """Privacy by design: no printed value can carry a borrower or patron."""
    words = ("borrower", "patron", "user", "person", "reserv", "hold", "låner", "card")
    for cls in (SheetSite, CrateRef, SheetStop, RouteSheet, CrateLabel, PickListLine, RoutingSlip):
        for field in dataclasses.fields(cls):
            assert not any(w in field.name.lower() for w in words), (cls.__name__, field.name)


@pytest.mark.parametrize("crate_id", ["", "K 1", "K\n1", "Kø1", "K" * 41])
def test_crate_id_must_be_scannable_ascii(crate_id: str) -> None:
    """A crate id that Code 128 could not encode or a person could not type is refused."""
    with pytest.raises(DocumentError) as info:
        CrateRef(crate_id, "SAN", "BEK", 3)
    assert info.value.key == "crate_id"


def test_stops_must_be_in_visiting_order() -> None:
    """A sheet whose stop numbers do not increase is refused, naming the stop."""
    first = SheetStop(2, time(8, 0), BEK)
    second = SheetStop(1, time(9, 0), SAN)
    with pytest.raises(DocumentError) as info:
        _sheet((first, second))
    assert info.value.key == "stops[1].sequence"


def test_a_crate_listed_twice_at_one_stop_is_refused() -> None:
    """Dropping and collecting the same crate at one stop is a plan error, not a sheet."""
    crate = CrateRef("K1", "SAN", "BEK", 3)
    with pytest.raises(DocumentError):
        SheetStop(1, time(8, 0), BEK, pickups=(crate,), drops=(crate,))


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [({"lat": 91.0}, "lat"), ({"lon": float("nan")}, "lon"), ({"name": " \x00 "}, "name")],
)
def test_site_checks_coordinates_and_name(kwargs: dict[str, object], key: str) -> None:
    """Coordinates outside the globe and names with nothing printable are refused."""
    values: dict[str, object] = {"code": "X", "name": "X", "lat": 59.9, "lon": 10.5} | kwargs
    with pytest.raises(DocumentError) as info:
        SheetSite(**values)  # type: ignore[arg-type]
    assert info.value.key == key


def test_crate_count_counts_drops() -> None:
    """The sheet's crate figure counts each crate once, where it is dropped."""
    a, b = CrateRef("K1", "SAN", "BEK", 3), CrateRef("K2", "BEK", "SAN", 4)
    stops = (SheetStop(1, time(8), BEK, pickups=(b,), drops=(a,)), SheetStop(2, time(9), SAN,
             drops=(b,)))  # fmt: skip
    assert _sheet(stops).crate_count == 2


def test_printable_drops_controls_and_bidi_overrides() -> None:
    """Control characters, bidi overrides and lone surrogates vanish; newlines become spaces."""
    assert printable("A\x00B\x1b[31m\u202eC\r\n\tD \ud800E") == "AB[31mC D E"


@given(st.text(), st.integers(min_value=1, max_value=200))
def test_shorten_never_exceeds_the_limit(text: str, limit: int) -> None:
    """Whatever the input, the result is at most `limit` characters and printable."""
    short = shorten(text, limit)
    assert len(short) <= limit
    assert short == printable(short)
    if len(printable(text)) <= limit:
        assert short == printable(text)
    else:
        assert short.endswith("…")


def test_bokmal_formats() -> None:
    """Dates, durations and distances read as a Norwegian driver expects."""
    assert format_date_nb(date(2026, 11, 26)) == "torsdag 26. november 2026"
    assert format_date_nb(date(2027, 5, 17), weekday=False) == "17. mai 2027"
    assert format_minutes(105) == "1 t 45 min"
    assert format_minutes(40) == "40 min"
    assert format_km(38.44) == "38,4 km"
