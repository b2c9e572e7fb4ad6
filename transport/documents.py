"""What the logistics staff get on paper: the view model of route sheets, labels and slips.

These frozen values are the *only* input of the renderers (`transport.sheets` for PDF,
`transport.sheets_html` for the web UI, `transport.routemap` for the map).  They hold text exactly
as it should be printed, already chosen for the day (e.g. "10:00–16:00" as the opening hours), so
the renderers need no catalogue, settings or plan; the day's plan is mapped onto them in a few
lines by whoever owns the plan.

Privacy by design: no value here has a field for a borrower, a patron, a reservation holder or
any other person.  A routing slip says where a book goes, never for whom.  Keep it that way: a
crate label or slip lies open in a van and on a sorting table.

Each value checks itself on construction and raises `DocumentError` (a `ValueError`) naming the
field.  Free text (titles, notes, addresses) is *not* restricted: it comes from MARC records and
config files and may hold any character or markup; the renderers escape and cut it, using
`printable` and `shorten` below so PDF and HTML agree on what is shown.

Error tree::

    DocumentError(ValueError)   -- an invalid document value; `.key` names the field
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time

__all__ = [
    "CrateLabel",
    "CrateRef",
    "DocumentError",
    "PickListLine",
    "RouteSheet",
    "RoutingSlip",
    "SheetSite",
    "SheetStop",
    "format_date_nb",
    "format_km",
    "format_minutes",
    "format_time",
    "printable",
    "shorten",
]

ELLIPSIS = "…"

# Crate ids go into Code 128 and QR codes and are typed by hand when a scanner fails: printable
# ASCII without spaces keeps all three working.
_CRATE_ID = re.compile(r"[!-~]{1,40}")


class DocumentError(ValueError):
    """An invalid document value; `key` names the offending field, e.g. `stops[3].sequence`."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


def _check_crate_id(key: str, value: str) -> None:
    if not _CRATE_ID.fullmatch(value):
        raise DocumentError(key, f"crate id must be 1-40 printable ASCII characters: {value!r}")


def _check_text(key: str, value: object, *, required: bool = False) -> None:
    if not isinstance(value, str):
        raise DocumentError(key, f"must be text, not {type(value).__name__}")
    if required and not printable(value):
        raise DocumentError(key, "must not be empty")


@dataclass(frozen=True)
class SheetSite:
    """A library or school as printed: who it is, where it is and how to deliver there today.

    `hours_today` is the opening hours on the sheet's day as text ("08:30–11:00, 12:00–14:30",
    or "stengt"); `notes` are delivery instructions ("Levering i skolebiblioteket, 2. etg.").
    """

    code: str
    name: str
    lat: float
    lon: float
    address: str = ""
    library_number: str = ""
    hours_today: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        _check_text("code", self.code, required=True)
        _check_text("name", self.name, required=True)
        for key in ("address", "library_number", "hours_today", "notes"):
            _check_text(key, getattr(self, key))
        if not (math.isfinite(self.lat) and -90.0 <= self.lat <= 90.0):
            raise DocumentError("lat", f"latitude out of range: {self.lat}")
        if not (math.isfinite(self.lon) and -180.0 <= self.lon <= 180.0):
            raise DocumentError("lon", f"longitude out of range: {self.lon}")


@dataclass(frozen=True)
class CrateRef:
    """A crate as listed at a stop: its id, where it comes from and goes to, how many items."""

    crate_id: str
    origin: str
    destination: str
    items: int

    def __post_init__(self) -> None:
        _check_crate_id("crate_id", self.crate_id)
        _check_text("origin", self.origin, required=True)
        _check_text("destination", self.destination, required=True)
        if self.items < 0:
            raise DocumentError("items", f"must not be negative: {self.items}")


@dataclass(frozen=True)
class SheetStop:
    """One visit of the van: its number in the day's order, when, where, what to load/unload."""

    sequence: int
    eta: time
    site: SheetSite
    pickups: tuple[CrateRef, ...] = ()
    drops: tuple[CrateRef, ...] = ()

    def __post_init__(self) -> None:
        if self.sequence < 1:
            raise DocumentError("sequence", f"stops are numbered from 1, got {self.sequence}")
        for key, crates in (("pickups", self.pickups), ("drops", self.drops)):
            if not isinstance(crates, tuple):
                raise DocumentError(key, "must be a tuple of CrateRef")
            for index, crate in enumerate(crates):
                if not isinstance(crate, CrateRef):
                    raise DocumentError(f"{key}[{index}]", "must be a CrateRef")
        ids = [c.crate_id for c in self.pickups + self.drops]
        if len(ids) != len(set(ids)):
            raise DocumentError("crates", "a crate is listed twice at the same stop")


@dataclass(frozen=True)
class RouteSheet:
    """One van's day: the header figures, the depot and the stops in visiting order."""

    day: date
    van: str
    start: time
    end: time
    driving_minutes: int
    driving_km: float
    depot: SheetSite
    stops: tuple[SheetStop, ...]

    def __post_init__(self) -> None:
        _check_text("van", self.van, required=True)
        if self.end < self.start:
            raise DocumentError("end", f"the day ends ({self.end}) before it starts ({self.start})")
        if self.driving_minutes < 0:
            raise DocumentError("driving_minutes", f"must not be negative: {self.driving_minutes}")
        if not (math.isfinite(self.driving_km) and self.driving_km >= 0):
            raise DocumentError("driving_km", f"must be a non-negative number: {self.driving_km}")
        if not isinstance(self.stops, tuple):
            raise DocumentError("stops", "must be a tuple of SheetStop")
        previous = 0
        for index, stop in enumerate(self.stops):
            if stop.sequence <= previous:
                raise DocumentError(
                    f"stops[{index}].sequence",
                    f"stops must be in visiting order; {stop.sequence} follows {previous}",
                )
            previous = stop.sequence

    @property
    def crate_count(self) -> int:
        """Crates handled during the day (each crate counted where it is dropped)."""
        return sum(len(stop.drops) for stop in self.stops)


@dataclass(frozen=True)
class CrateLabel:
    """The label on one crate; `stop` is the stop number at which the van drops it."""

    crate_id: str
    destination: SheetSite
    origin: SheetSite
    day: date
    van: str
    stop: int | None = None
    item_count: int | None = None

    def __post_init__(self) -> None:
        _check_crate_id("crate_id", self.crate_id)
        _check_text("van", self.van, required=True)
        if self.stop is not None and self.stop < 1:
            raise DocumentError("stop", f"stops are numbered from 1, got {self.stop}")
        if self.item_count is not None and self.item_count < 0:
            raise DocumentError("item_count", f"must not be negative: {self.item_count}")


@dataclass(frozen=True)
class PickListLine:
    """One item to fetch from a shelf and put in a crate; `shelf_site` is where it stands."""

    barcode: str
    title: str
    call_number: str
    shelf_site: str

    def __post_init__(self) -> None:
        _check_text("barcode", self.barcode, required=True)
        for key in ("title", "call_number", "shelf_site"):
            _check_text(key, getattr(self, key))


@dataclass(frozen=True)
class RoutingSlip:
    """The slip that travels inside one book: where it goes, in numbers big enough to sort by."""

    destination_library_number: str
    destination_name: str
    barcode: str
    title: str
    day: date

    def __post_init__(self) -> None:
        _check_text("destination_library_number", self.destination_library_number, required=True)
        _check_text("destination_name", self.destination_name, required=True)
        _check_text("barcode", self.barcode, required=True)
        _check_text("title", self.title)


# --- text as printed ---------------------------------------------------------------------------

# Unicode categories dropped from printed text: controls, format characters (including the bidi
# overrides that can make a title display as something else), lone surrogates (which cannot be
# encoded in a PDF), private-use and unassigned code points.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_WHITESPACE = re.compile(r"\s+")


def printable(text: str) -> str:
    """`text` with control and invisible characters removed and whitespace runs made one space.

    Line breaks in a title or note from a MARC record are noise on paper; the layout decides
    where lines break.
    """
    kept = []
    for char in text:
        if char.isspace():
            kept.append(" ")
        elif unicodedata.category(char) not in _DROPPED_CATEGORIES:
            kept.append(char)
    return _WHITESPACE.sub(" ", "".join(kept)).strip()


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters of printable `text`, cut at a word if one is near, with "…"."""
    if limit < 1:
        raise ValueError(f"limit must be positive, got {limit}")
    clean = printable(text)
    if len(clean) <= limit:
        return clean
    cut = clean[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + ELLIPSIS


_WEEKDAYS_NB = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_MONTHS_NB = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)  # fmt: skip


def format_date_nb(day: date, *, weekday: bool = True) -> str:
    """The bokmål long date, "torsdag 26. november 2026", whatever the process locale."""
    text = f"{day.day}. {_MONTHS_NB[day.month - 1]} {day.year}"
    return f"{_WEEKDAYS_NB[day.weekday()]} {text}" if weekday else text


def format_minutes(minutes: int) -> str:
    """Driving time as drivers say it: "1 t 45 min" for 105 minutes, "40 min" under an hour."""
    hours, rest = divmod(max(0, int(minutes)), 60)
    return f"{hours} t {rest} min" if hours else f"{rest} min"


def format_km(km: float) -> str:
    """Distance with one decimal and a decimal comma, "38,4 km", as Norwegian readers expect."""
    return f"{km:.1f}".replace(".", ",") + " km"


def format_time(value: time) -> str:
    """Hours and minutes only, "07:30"; seconds mean nothing to a driver."""
    return value.strftime("%H:%M")
