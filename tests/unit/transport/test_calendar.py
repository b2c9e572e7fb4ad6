"""Closures, school holidays and the weekly service pattern (`transport.calendar`), and the
`[calendar]` configuration section that feeds them."""

from __future__ import annotations

import datetime as dt

import pytest

from bokflyt.commands.routes import service_calendar
from bokflyt.settings import SettingsError, settings_from_mapping
from transport.calendar import Closure, ServiceCalendar, next_service_day

D = dt.date
WEEKDAYS = set(range(5))
SITES = [
    {"code": "SAN", "name": "Sandvika", "kind": "branch", "lat": 59.9, "lon": 10.5},
    {"code": "SKA", "name": "Skole A", "kind": "school", "lat": 59.9, "lon": 10.6},
]
CALENDAR = {
    "closed": ["2026-12-24"],
    "holidays": [{"from": "2026-12-21", "to": "2027-01-03", "kinds": ["school"], "name": "jul"}],
    "site_closed": {"SAN": ["2026-12-01"]},
}


def test_closure_applies_to_kinds_sites_or_everyone() -> None:
    """A closure with kinds or sites covers only those; one with neither covers every site."""
    school = Closure(D(2026, 12, 21), D(2027, 1, 3), kinds=frozenset({"school"}))
    one = Closure(D(2026, 12, 1), D(2026, 12, 1), sites=frozenset({"SAN"}))
    everyone = Closure(D(2026, 12, 24), D(2026, 12, 24))
    assert school.covers("SKA", "school", D(2027, 1, 3))
    assert not school.covers("SAN", "branch", D(2026, 12, 22))
    assert not school.covers("SKA", "school", D(2027, 1, 4))
    assert one.covers("SAN", "branch", D(2026, 12, 1)) and not one.covers(
        "BEK", "branch", D(2026, 12, 1)
    )
    assert everyone.covers("BEK", "branch", D(2026, 12, 24))


def test_closure_refuses_an_end_before_its_start() -> None:
    """A closure that ends before it starts is an error, not an empty period."""
    with pytest.raises(ValueError):
        Closure(D(2026, 12, 2), D(2026, 12, 1))


def test_next_service_day_skips_holiday_and_weekly_pattern() -> None:
    """After the Christmas holiday a Tue/Thu school is next served on the first Tuesday after."""
    cal = ServiceCalendar((Closure(D(2026, 12, 21), D(2027, 1, 3), kinds=frozenset({"school"})),))
    nxt = next_service_day(cal, "SKA", "school", D(2026, 12, 17), {1, 3}, WEEKDAYS)
    assert nxt == D(2027, 1, 5)
    # a branch is not affected by the school holiday
    assert next_service_day(cal, "SAN", "branch", D(2026, 12, 17), None, WEEKDAYS) == D(
        2026, 12, 18
    )


def test_next_service_day_none_when_closed_beyond_horizon() -> None:
    """A site closed for months has no next service day within the horizon."""
    cal = ServiceCalendar((Closure(D(2026, 1, 1), D(2026, 12, 31)),))
    assert next_service_day(cal, "SKA", "school", D(2026, 3, 1), None, WEEKDAYS) is None


def test_calendar_section_becomes_a_service_calendar() -> None:
    """`[calendar]` closed dates, holidays by kind and per-site dates all close the right sites."""
    settings = settings_from_mapping({"sites": SITES, "calendar": CALENDAR})
    cal = service_calendar(settings)
    assert cal.is_closed("SAN", "branch", D(2026, 12, 24))
    assert cal.is_closed("SKA", "school", D(2026, 12, 28))
    assert not cal.is_closed("SAN", "branch", D(2026, 12, 28))
    assert cal.is_closed("SAN", "branch", D(2026, 12, 1))
    assert not cal.is_closed("SKA", "school", D(2026, 12, 1))
    assert cal.closure("SKA", "school", D(2026, 12, 28)).label == "jul"


@pytest.mark.parametrize(
    ("calendar", "expected"),
    [
        ({"site_closed": {"NOPE": ["2026-12-01"]}}, "unknown site code(s): NOPE"),
        ({"holidays": [{"from": "2026-12-21", "to": "2026-12-01"}]}, "before it starts"),
        ({"closed": ["24.12.2026"]}, "calendar.closed"),
        ({"holidays": [{"from": "2026-12-21", "to": "2027-01-03", "kinds": ["bar"]}]}, "kinds"),
    ],
)
def test_bad_calendar_section_is_refused(calendar: dict[str, object], expected: str) -> None:
    """Unknown sites, reversed holidays, malformed dates and unknown kinds name the problem."""
    with pytest.raises(SettingsError) as err:
        settings_from_mapping({"sites": SITES, "calendar": calendar})
    assert expected in str(err.value)
