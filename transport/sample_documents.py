"""A realistic Bærum day as documents, for the demo and for the tests of the renderers.

Not a planner: the order of stops is nearest-neighbour from the depot and travel times are
straight-line distance times a road factor at town speed.  What matters is that the documents
look like a real day: the five branches, the temporary Fornebu site and the pilot schools of
`examples/baerum.toml` (copied here as a small fixture, because `transport` must not read
bokflyt's settings), each served only on its service days and within its opening hours, crates
loaded at Sandvika in the morning, collected along the way and brought back to the hub.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

from transport.documents import (
    CrateLabel,
    CrateRef,
    PickListLine,
    RouteSheet,
    RoutingSlip,
    SheetSite,
    SheetStop,
)

__all__ = ["FIXTURE_SITES", "SampleDay", "sample_day", "site_for_day"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class FixtureSite:
    """A site as configured: the raw material for the `SheetSite` of a given day."""

    code: str
    name: str
    library_number: str
    address: str
    lat: float
    lon: float
    hours: Mapping[str, tuple[str, ...]]
    notes: str = ""
    service_days: tuple[str, ...] = _DAYS


_WEEKDAYS: tuple[str, ...] = ("08:00-19:00",)
FIXTURE_SITES: tuple[FixtureSite, ...] = (
    FixtureSite("SAN", "Sandvika bibliotek", "2021900", "Rådmann Halmrasts vei 9, 1337 Sandvika",
                59.8897, 10.5225,
                {d: _WEEKDAYS for d in ("mon", "tue", "wed", "thu")}
                | {"fri": ("08:00-17:00",), "sat": ("10:00-16:00",)},
                "Hovedbibliotek og sorteringssentral. Varemottak i bakgården."),
    FixtureSite("BEK", "Bekkestua bibliotek", "2021901", "Gamle Ringeriksvei 56, 1357 Bekkestua",
                59.9183, 10.5884,
                {d: ("10:00-19:00",) for d in ("mon", "tue", "wed", "thu")}
                | {"fri": ("10:00-16:00",), "sat": ("10:00-15:00",)}),
    FixtureSite("HOV", "Høvik bibliotek", "2021902", "Sandviksveien 178, 1363 Høvik",
                59.9007, 10.5741,
                {"mon": ("10:00-19:00",), "tue": ("10:00-16:00",), "wed": ("10:00-19:00",),
                 "thu": ("10:00-16:00",), "fri": ("10:00-16:00",)}),
    FixtureSite("EIK", "Eiksmarka bibliotek", "2021903", "Eiksveien 116, 1361 Østerås",
                59.9417, 10.6128,
                {"mon": ("10:00-19:00",), "tue": ("10:00-16:00",), "wed": ("10:00-19:00",),
                 "thu": ("10:00-16:00",), "fri": ("10:00-16:00",)}),
    FixtureSite("RYK", "Rykkinn bibliotek", "2021904", "Rykkinnveien 100, 1349 Rykkinn",
                59.9289, 10.4790,
                {"mon": ("10:00-19:00",), "tue": ("10:00-16:00",), "wed": ("10:00-19:00",),
                 "thu": ("10:00-16:00",), "fri": ("10:00-16:00",)}),
    FixtureSite("FOR", "Fornebu bibliotek (midlertidig)", "2021905",
                "Snarøyveien 36, 1364 Fornebu", 59.8958, 10.6233,
                {"tue": ("12:00-18:00",), "thu": ("12:00-18:00",)},
                "Midlertidig lokale til nytt bibliotek åpner. Ring på ved hovedinngangen.",
                ("tue", "thu")),
    FixtureSite("SKA", "Bekkestua skole", "4021901", "Nadderudveien 15, 1357 Bekkestua",
                59.9171, 10.5853,
                {"mon": ("08:30-11:00", "12:00-14:30"), "wed": ("08:30-11:00", "12:00-14:30"),
                 "fri": ("08:30-12:00",)},
                "Levering i skolebiblioteket, 2. etg. Meld fra i resepsjonen.",
                ("mon", "wed", "fri")),
    FixtureSite("SKB", "Stabekk skole", "4021902", "Gamle Drammensvei 60, 1369 Stabekk",
                59.9079, 10.6095,
                {d: ("08:30-14:00",) for d in ("mon", "tue", "wed", "thu")},
                "Skolebiblioteket er i underetasjen, inngang fra skolegården.",
                ("tue", "thu")),
    FixtureSite("SKC", "Jar skole", "4021903", "Vollsveien 2, 1358 Jar", 59.9253, 10.6197,
                {d: ("09:00-13:00",) for d in ("mon", "wed", "thu")}, "", ("mon", "wed")),
    FixtureSite("SKD", "Rykkinn skole", "4021904", "Tokeruddalen 2, 1349 Rykkinn",
                59.9316, 10.4750,
                {d: ("08:00-15:00",) for d in ("mon", "tue", "wed", "thu")}
                | {"fri": ("08:00-13:00",)},
                "Bruk varelevering ved gymsalen."),
    FixtureSite("SKE", "Hosle skole", "4021905", "Hosleveien 65, 1358 Jar", 59.9389, 10.5824,
                {d: ("10:00-14:00",) for d in ("tue", "thu")}, "", ("tue", "thu")),
)  # fmt: skip

DEPOT = "SAN"
SHIFT_START = time(7, 30)
ROAD_FACTOR = 1.35  # road distance / straight-line distance in suburban Bærum, roughly
SPEED_KMH = 32.0
SERVICE_MINUTES = 8
MINUTES_PER_CRATE = 1

_BOOKS: tuple[tuple[str, str], ...] = (
    ("Sofies verden : roman om filosofiens historie", "Gaa"),
    ("Doppler", "Loe"),
    ("Naiv. Super.", "Loe"),
    ("Kongen av Os", "Wassmo"),
    ("Det store spelet", "Vesaas"),
    ("Is-slottet", "Vesaas"),
    ("Sult", "Hamsun"),
    ("Markens grøde", "Hamsun"),
    ("Kristin Lavransdatter. 1 : Kransen", "Undset"),
    ("Ut og stjæle hester", "Petterson"),
    ("Min kamp. 1", "Knausgård"),
    ("Dyrene i Hakkebakkeskogen", "Egner"),
    ("Folk og røvere i Kardemomme by", "Egner"),
    ("Brødrene Løvehjerte", "Lindgren"),
    ("Pippi Langstrømpe", "Lindgren"),
    ("Mio, min Mio", "Lindgren"),
    ("Harry Potter og de vises stein", "Rowling"),
    ("Snømannen", "Nesbø"),
    ("Doktor Proktors prompepulver", "Nesbø"),
    ("Anne Franks dagbok", "Frank"),
    ("Elskede Sara", "Ørstavik"),
    ("Musikken, maleriet og løven", "Lie"),
    ("Det henger en engel alene i skogen", "Skomsvold"),
    ("Hvit som snø", "Stridsberg"),
    ("Bergeners : fortellinger", "Vassenden"),
    ("Bare en tanke unna : om angst og uro hos barn", "158.1"),
    ("Norges fugler", "598.0948"),
    ("Norsk for utlendinger : grammatikk", "439.82"),
    ("Vitenskapelig tenkning for barn", "501"),
    ("Matematikk 5 : grunnbok", "510"),
)


@dataclass(frozen=True)
class SampleDay:
    """All documents of one sample day: sheets per van, labels with pick lists, slips."""

    day: date
    sheets: tuple[RouteSheet, ...]
    labels: tuple[CrateLabel, ...]
    picklists: dict[str, tuple[PickListLine, ...]]
    slips: tuple[RoutingSlip, ...]


def _hours_text(hours: tuple[str, ...]) -> str:
    return ", ".join(h.replace("-", "–") for h in hours) if hours else "stengt"


def site_for_day(site: FixtureSite, day: date) -> SheetSite:
    """The printed form of `site` on `day`: opening hours of that weekday as text."""
    return SheetSite(
        code=site.code,
        name=site.name,
        lat=site.lat,
        lon=site.lon,
        address=site.address,
        library_number=site.library_number,
        hours_today=_hours_text(site.hours.get(_DAYS[day.weekday()], ())),
        notes=site.notes,
    )


def _km(a: FixtureSite, b: FixtureSite) -> float:
    """Road distance estimate: haversine times the road factor."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h)) * ROAD_FACTOR


def _opening(site: FixtureSite, day: date) -> time | None:
    hours = site.hours.get(_DAYS[day.weekday()], ())
    if not hours:
        return None
    hh, mm = hours[0].split("-")[0].split(":")
    return time(int(hh), int(mm))


def _earliest_service(
    here: FixtureSite, clock: datetime, day: date, there: FixtureSite
) -> datetime:
    """When service at `there` can begin if the van leaves `here` at `clock`."""
    arrive = clock + timedelta(minutes=_km(here, there) / SPEED_KMH * 60)
    opens = _opening(there, day)
    return max(arrive, datetime.combine(day, opens)) if opens else arrive


def sample_day(day: date, *, van: str = "Bil 1", seed: int | None = None) -> SampleDay:
    """The documents for `day`: one van from Sandvika to every site open and served that day."""
    rng = random.Random(day.toordinal() if seed is None else seed)
    weekday = _DAYS[day.weekday()]
    depot = next(s for s in FIXTURE_SITES if s.code == DEPOT)
    todo = [
        s for s in FIXTURE_SITES
        if s.code != DEPOT and weekday in s.service_days and s.hours.get(weekday)
    ]  # fmt: skip
    # Greedy on the earliest possible start of service, so schools that open early come first.
    order: list[FixtureSite] = []
    here = depot
    clock = datetime.combine(day, SHIFT_START) + timedelta(minutes=SERVICE_MINUTES)
    while todo:
        here = min(todo, key=partial(_earliest_service, here, clock, day))
        clock = _earliest_service(here, clock, day, here) + timedelta(minutes=SERVICE_MINUTES)
        order.append(here)
        todo.remove(here)

    crate_no = 0
    lines: dict[str, tuple[PickListLine, ...]] = {}
    crates: list[tuple[CrateRef, FixtureSite, FixtureSite]] = []

    def new_crate(origin: FixtureSite, destination: FixtureSite) -> CrateRef:
        nonlocal crate_no
        crate_no += 1
        crate_id = f"K{day:%y%m%d}-{crate_no:02d}"
        count = rng.randint(6, 34)
        items = []
        for _ in range(count):
            title, author = rng.choice(_BOOKS)
            if author[0].isdigit():  # non-fiction: Dewey number and the title's first letters
                call = f"{author} {title[:3].title()}"
            else:  # fiction: shelved by author, some with a Dewey prefix as on many spines
                call = f"839.82 {author[:3]}" if rng.random() < 0.2 else author
            barcode = f"0{origin.library_number}{rng.randint(0, 9_999_999):07d}"
            items.append(PickListLine(barcode, title, call, origin.name))
        lines[crate_id] = tuple(items)
        crate = CrateRef(crate_id, origin.code, destination.code, count)
        crates.append((crate, origin, destination))
        return crate

    # Morning load at the hub: one or two crates for every site on the route.
    outbound = {s.code: [new_crate(depot, s) for _ in range(rng.randint(1, 2))] for s in order}
    # Collected along the route: most go back to the hub, some straight to a later stop.
    pickups: dict[str, list[CrateRef]] = {s.code: [] for s in order}
    direct: dict[str, list[CrateRef]] = {s.code: [] for s in order}
    inbound: list[CrateRef] = []
    for index, site in enumerate(order):
        for _ in range(rng.randint(0, 2)):
            later = order[index + 1 :]
            if later and rng.random() < 0.3:
                target = rng.choice(later)
                crate = new_crate(site, target)
                direct[target.code].append(crate)
            else:
                crate = new_crate(site, depot)
                inbound.append(crate)
            pickups[site.code].append(crate)

    stops: list[SheetStop] = []
    clock = datetime.combine(day, SHIFT_START)
    first = tuple(c for s in order for c in outbound[s.code])
    stops.append(SheetStop(1, clock.time(), site_for_day(depot, day), pickups=first))
    clock += timedelta(minutes=SERVICE_MINUTES + MINUTES_PER_CRATE * len(first))
    total_km = 0.0
    here = depot
    for site in order:
        km = _km(here, site)
        total_km += km
        clock += timedelta(minutes=round(km / SPEED_KMH * 60))
        opens = _opening(site, day)
        if opens is not None and clock.time() < opens:
            clock = datetime.combine(day, opens)
        drops = tuple(outbound[site.code] + direct[site.code])
        picks = tuple(pickups[site.code])
        stops.append(SheetStop(len(stops) + 1, clock.time(), site_for_day(site, day),
                               pickups=picks, drops=drops))  # fmt: skip
        clock += timedelta(minutes=SERVICE_MINUTES + MINUTES_PER_CRATE * (len(drops) + len(picks)))
        here = site
    km = _km(here, depot)
    total_km += km
    clock += timedelta(minutes=round(km / SPEED_KMH * 60))
    stops.append(SheetStop(len(stops) + 1, clock.time(), site_for_day(depot, day),
                           drops=tuple(inbound)))  # fmt: skip
    end = clock + timedelta(minutes=SERVICE_MINUTES + MINUTES_PER_CRATE * len(inbound))
    sheet = RouteSheet(
        day=day,
        van=van,
        start=SHIFT_START,
        end=end.time(),
        driving_minutes=round(total_km / SPEED_KMH * 60),
        driving_km=round(total_km, 1),
        depot=site_for_day(depot, day),
        stops=tuple(stops),
    )

    drop_stop = {c.crate_id: stop.sequence for stop in stops for c in stop.drops}
    labels = tuple(
        CrateLabel(
            crate_id=crate.crate_id,
            destination=site_for_day(destination, day),
            origin=site_for_day(origin, day),
            day=day,
            van=van,
            stop=drop_stop.get(crate.crate_id),
            item_count=crate.items,
        )
        for crate, origin, destination in crates
    )
    slips = tuple(
        RoutingSlip(destination.library_number, destination.name, item.barcode, item.title, day)
        for crate, _origin, destination in crates
        for item in lines[crate.crate_id]
    )
    return SampleDay(day=day, sheets=(sheet,), labels=labels, picklists=lines, slips=slips)
