"""Build one day's routing problem from the sites' hours, the fleet and the items waiting to move.

Pure: the caller (the `routes plan` command) reads the configuration and the database and hands
plain values in; this module decides which sites are on the road, how items travel (direct or via
the hub), packs crates and turns them into a `Problem`.  Times are seconds after midnight,
distances metres.

Cost weights: one second of driving costs 1, one kilometre 1; a van costs half an hour of driving
to take out; leaving a shipment for another day costs two hours, times (1 + priority) and
(1 + age / 2) — so an old or urgent shipment is worth a long detour, and nothing is dropped while
there is room.

"Any copy" transfers (several sites hold a copy on the shelf) travel as shipments whose pickup is
a choice among the served candidate sites (a disjunction in the model): the solver collects the
copy where the van passes anyway.  Items whose candidates are the same sites and whose leg ends at
the same site share one shipment packed into crates like any leg (a class set of twenty copies is
one or a few crates, not twenty): whichever site the van calls at, every item of the group has a
copy there, because two open transfers never list the same copy (`transport.requests`).
`chosen_copies` reads the choice back from the solution.  A site that is not served today
(weekly pattern, closure, holiday) is never a pickup candidate nor a destination; the hub stands
in for a closed destination.  When the depot itself is not served nothing moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from transport.crates import Crate, Leg, PendingItem, in_crates, legs_for_day, pack, shipments
from transport.problem import Break, Objective, Problem, Shipment, Site, Solution, TimeWindow, Van


@dataclass(frozen=True)
class SiteDay:
    """A site on the given day: where it is, when it takes deliveries, whether it is served."""

    code: str
    lat: float
    lon: float
    windows: tuple[tuple[float, float], ...]
    served: bool


@dataclass(frozen=True)
class FleetDay:
    """The vans and the driver's day."""

    vans: tuple[tuple[str, int], ...]  # (name, crate capacity)
    depot: str
    hub: str
    shift: tuple[float, float]
    break_window: tuple[float, float] | None
    break_minutes: float
    service_s: float
    per_crate_s: float
    books_per_crate: int
    van_fixed_cost: float = 1800.0


@dataclass(frozen=True)
class AnyCopyItem:
    """Any one of several copies must reach `destination`; `candidates` are (site, barcode)."""

    ref: str
    candidates: tuple[tuple[str, str], ...]
    destination: str
    priority: int = 0
    age: int = 0

    def __post_init__(self) -> None:
        sites = [site for site, _ in self.candidates]
        if not sites or len(set(sites)) != len(sites):
            raise ValueError(f"{self.ref}: candidates need one copy per site, at least one")


@dataclass(frozen=True)
class AnyCopyLeg:
    """Today's leg of any-copy items with the same candidate sites and the same end: one shipment
    of `crates` crates from one of `sites` to `to`, `per_crate` books to a crate."""

    items: tuple[AnyCopyItem, ...]
    to: str
    shipment: str
    sites: tuple[str, ...]
    per_crate: int = 1

    @property
    def crates(self) -> int:
        return -(-len(self.items) // self.per_crate)

    def packed(self, site: str) -> list[tuple[str, ...]]:
        """The barcodes collected at `site`, crate by crate, most urgent first (as `pack`)."""
        ordered = sorted(self.items, key=lambda i: (-i.priority, -i.age, i.ref))
        codes = [dict(i.candidates)[site] for i in ordered]
        return [tuple(crate) for crate in in_crates(codes, self.per_crate)]


@dataclass(frozen=True)
class DayProblem:
    """The problem, the crates it moves, today's legs and the items that wait."""

    problem: Problem
    crates: tuple[Crate, ...]
    legs: tuple[Leg, ...]
    waiting: tuple[PendingItem, ...]
    any_legs: tuple[AnyCopyLeg, ...] = ()
    any_waiting: tuple[AnyCopyItem, ...] = ()


def build_day(
    sites: Sequence[SiteDay],
    fleet: FleetDay,
    items: Sequence[PendingItem],
    durations: Sequence[Sequence[float]],
    distances: Sequence[Sequence[float]],
    name: str = "",
    any_copy: Sequence[AnyCopyItem] = (),
) -> DayProblem:
    """The day's problem over the served sites; `durations`/`distances` are over `sites`."""
    by_code = {s.code: i for i, s in enumerate(sites)}
    for code in (fleet.depot, fleet.hub):
        if code not in by_code:
            raise ValueError(f"{code!r} is not a configured site")
    served = {s.code for s in sites if s.served and s.windows} | {fleet.depot}
    if not sites[by_code[fleet.depot]].served:
        served = set()  # the depot is closed: no van leaves it today
    legs, waiting = legs_for_day(items, served, fleet.hub)
    crates = pack(legs, fleet.books_per_crate)
    any_legs, any_waiting = any_copy_legs(any_copy, served, fleet.hub, fleet.books_per_crate)
    ships = shipments(crates) + [any_copy_shipment(leg) for leg in any_legs]
    used = sorted(
        {fleet.depot, *(p for s in ships for p in s.pickup_sites), *(s.delivery for s in ships)},
        key=lambda c: by_code[c],
    )
    idx = [by_code[c] for c in used]
    problem_sites = tuple(
        Site(
            id=code,
            x=sites[by_code[code]].lon,
            y=sites[by_code[code]].lat,
            time_windows=tuple(TimeWindow(a, b) for a, b in sites[by_code[code]].windows),
            service_time=fleet.service_s,
            service_per_crate=fleet.per_crate_s,
        )
        for code in used
    )
    brk = None
    if fleet.break_window is not None and fleet.break_minutes > 0:
        brk = Break(fleet.break_window[0], fleet.break_window[1], fleet.break_minutes * 60)
    vans = tuple(
        Van(
            id=name_,
            capacity=cap,
            start=fleet.depot,
            end=fleet.depot,
            shift=TimeWindow(*fleet.shift),
            break_=brk,
            fixed_cost=fleet.van_fixed_cost,
        )
        for name_, cap in fleet.vans
    )
    problem = Problem(
        sites=problem_sites,
        vans=vans,
        shipments=tuple(ships),
        durations=tuple(tuple(float(durations[i][j]) for j in idx) for i in idx),
        distances=tuple(tuple(float(distances[i][j]) for j in idx) for i in idx),
        objective=Objective(
            time_weight=1.0, distance_weight=0.001, drop_penalty=7200.0, age_weight=0.5
        ),
        name=name,
    )
    return DayProblem(
        problem, tuple(crates), tuple(legs), tuple(waiting), tuple(any_legs), tuple(any_waiting)
    )


def any_copy_legs(
    items: Sequence[AnyCopyItem], served: set[str], hub: str, per_crate: int = 1
) -> tuple[list[AnyCopyLeg], list[AnyCopyItem]]:
    """Today's legs of the any-copy items, grouped by (candidate sites, end); the rest wait.

    An item's leg ends at its destination when that is served, else at the hub (on the next
    service day the copy goes on from there).  Its candidates are the served sites other than
    that end.  An item with a copy already at the hub while its destination is closed waits:
    that copy goes straight from the hub later, so no other copy is fetched.
    """
    if per_crate < 1:
        raise ValueError("books_per_crate must be >= 1")
    groups: dict[tuple[tuple[str, ...], str], list[AnyCopyItem]] = {}
    waiting = []
    for it in items:
        to = it.destination if it.destination in served else hub if hub in served else None
        held = {site for site, _ in it.candidates}
        if to is None or it.destination in held or (to == hub and hub in held):
            waiting.append(it)
            continue
        sites = tuple(sorted(site for site in held if site in served and site != to))
        if not sites:
            waiting.append(it)
            continue
        groups.setdefault((sites, to), []).append(it)
    legs = []
    for (sites, to), members in sorted(groups.items()):
        # Named after the group's first item (the oldest transfer: they come in that order).
        first = members[0].ref
        name = first if len(members) == 1 else f"{first}+{len(members) - 1}"
        legs.append(AnyCopyLeg(tuple(members), to, f"{name}>{to}", sites, per_crate))
    return legs, waiting


def any_copy_shipment(leg: AnyCopyLeg) -> Shipment:
    """The group's crates, collected at whichever candidate site the solver picks."""
    return Shipment(
        id=leg.shipment,
        pickup=leg.sites[0],
        delivery=leg.to,
        size=leg.crates,
        priority=max(i.priority for i in leg.items),
        age=max(i.age for i in leg.items),
        alternatives=leg.sites[1:],
    )


def chosen_copies(dp: DayProblem, solution: Solution) -> dict[str, tuple[str, str]]:
    """For each routed any-copy item (by `ref`): the (site, barcode) the solver collects."""
    pickup_at = {
        stop.shipment: stop.site
        for route in solution.routes
        for stop in route.stops
        if stop.kind == "pickup"
    }
    out = {}
    for leg in dp.any_legs:
        site = pickup_at.get(leg.shipment)
        if site is not None:
            for item in leg.items:
                out[item.ref] = (site, dict(item.candidates)[site])
    return out
