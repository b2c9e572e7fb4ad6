"""Which sites take deliveries on which day: closures, school holidays and the weekly pattern.

Pure: the `routes plan` command turns the `[calendar]` configuration into a `ServiceCalendar`
and asks it about each site.  A closure covers a date range and applies to every site, to sites
of some kinds (e.g. `school` during the school holidays) or to named sites.  A closed site is not
served that day, so the planner never sends the van there: items for it go to the hub and travel
on from there on the site's next open service day (`next_service_day`), items waiting at it stay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

# Look no further than this for a next service day: a site closed longer is reported as such.
HORIZON_DAYS = 62


@dataclass(frozen=True)
class Closure:
    """Days [start, end] on which the covered sites take no deliveries.

    With neither `kinds` nor `sites` it covers every site; otherwise a site is covered when its
    kind is in `kinds` or its code is in `sites`.
    """

    start: dt.date
    end: dt.date
    kinds: frozenset[str] = frozenset()
    sites: frozenset[str] = frozenset()
    label: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"closure {self.label or ''} ends {self.end} before {self.start}")

    def covers(self, code: str, kind: str, day: dt.date) -> bool:
        if not self.start <= day <= self.end:
            return False
        if not self.kinds and not self.sites:
            return True
        return kind in self.kinds or code in self.sites


@dataclass(frozen=True)
class ServiceCalendar:
    """All closures from the configuration; an empty calendar closes nothing."""

    closures: tuple[Closure, ...] = field(default_factory=tuple)

    def closure(self, code: str, kind: str, day: dt.date) -> Closure | None:
        """The first closure covering the site on `day`, or None when it is not closed."""
        return next((c for c in self.closures if c.covers(code, kind, day)), None)

    def is_closed(self, code: str, kind: str, day: dt.date) -> bool:
        return self.closure(code, kind, day) is not None


def single_days(days: Iterable[dt.date], label: str, sites: Collection[str] = ()) -> list[Closure]:
    """One-day closures, for lists of closed dates."""
    return [Closure(d, d, sites=frozenset(sites), label=label) for d in days]


def is_service_day(
    calendar: ServiceCalendar,
    code: str,
    kind: str,
    day: dt.date,
    service_weekdays: Collection[int] | None,
    open_weekdays: Collection[int],
) -> bool:
    """The van may visit the site on `day`: a service weekday, hours that day, not closed.

    Weekdays are `date.weekday()` numbers; `service_weekdays` None means every weekday.
    """
    wd = day.weekday()
    if service_weekdays is not None and wd not in service_weekdays:
        return False
    return wd in open_weekdays and not calendar.is_closed(code, kind, day)


def next_service_day(
    calendar: ServiceCalendar,
    code: str,
    kind: str,
    after: dt.date,
    service_weekdays: Collection[int] | None,
    open_weekdays: Collection[int],
) -> dt.date | None:
    """The first service day strictly after `after`, or None within `HORIZON_DAYS`."""
    for k in range(1, HORIZON_DAYS + 1):
        day = after + dt.timedelta(days=k)
        if is_service_day(calendar, code, kind, day, service_weekdays, open_weekdays):
            return day
    return None
