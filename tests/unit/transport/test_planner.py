"""Building a day's problem from sites, fleet and waiting items."""

from __future__ import annotations

from dataclasses import replace

from adapters.distance import HaversineProvider
from transport.crates import PendingItem
from transport.planner import (
    AnyCopyItem,
    DayProblem,
    FleetDay,
    SiteDay,
    any_copy_legs,
    build_day,
    chosen_copies,
)
from transport.problem import Solution
from transport.solve import solve
from transport.verify import verify

H = 3600.0
SITES = [
    SiteDay("SAN", 59.8897, 10.5225, ((8 * H, 19 * H),), True),
    SiteDay("BEK", 59.9183, 10.5884, ((10 * H, 19 * H),), True),
    SiteDay("HOV", 59.9007, 10.5741, ((10 * H, 16 * H),), False),
    SiteDay("SKO", 59.9300, 10.5500, ((8.5 * H, 11 * H), (12 * H, 14.5 * H)), True),
]
FLEET = FleetDay(
    vans=(("1", 10), ("2", 10)),
    depot="SAN",
    hub="SAN",
    shift=(7.5 * H, 15.5 * H),
    break_window=(11 * H, 13 * H),
    break_minutes=30,
    service_s=300,
    per_crate_s=60,
    books_per_crate=3,
)


def _matrix() -> tuple[tuple[tuple[float, ...], ...], tuple[tuple[float, ...], ...]]:
    m = HaversineProvider().matrix([(s.lat, s.lon) for s in SITES])
    return m.durations, m.distances


def test_day_problem_and_verified_plan() -> None:
    """Items become crates and shipments; the solved day verifies, breaks and windows included."""
    items = [PendingItem(str(k), "BEK", "SKO") for k in range(7)]  # 3 crates
    items += [PendingItem("h1", "SKO", "HOV"), PendingItem("w1", "HOV", "BEK")]
    dur, dist = _matrix()
    day = build_day(SITES, FLEET, items, dur, dist)
    sizes = {(s.pickup, s.delivery): s.size for s in day.problem.shipments}
    assert sizes == {("BEK", "SKO"): 3, ("SKO", "SAN"): 1}  # HOV not served: via hub / waits
    assert [i.barcode for i in day.waiting] == ["w1"]
    sol = solve(day.problem, time_limit=2.0)
    assert verify(day.problem, sol) == []
    assert not sol.dropped
    assert all(r.break_start is not None for r in sol.routes)


# --------------------------------------------------------------------- any copy, closures

# SAN (depot) -> BEK: HOV lies between them; FAR is 12 km the other way.
LINE = [
    SiteDay("SAN", 59.8897, 10.5225, ((8 * H, 19 * H),), True),
    SiteDay("HOV", 59.9040, 10.5550, ((8 * H, 19 * H),), True),
    SiteDay("BEK", 59.9183, 10.5884, ((8 * H, 19 * H),), True),
    SiteDay("FAR", 59.8300, 10.3500, ((8 * H, 19 * H),), True),
]


def _solve_line(sites: list[SiteDay], items: list[AnyCopyItem]) -> tuple[DayProblem, Solution]:
    m = HaversineProvider().matrix([(s.lat, s.lon) for s in sites])
    day = build_day(sites, FLEET, [], m.durations, m.distances, any_copy=items)
    sol = solve(day.problem, time_limit=1.0, use_seeds=False)
    assert verify(day.problem, sol) == []
    return day, sol


def test_any_copy_collected_where_the_van_passes() -> None:
    """With copies at FAR (listed first) and HOV, the solver collects the one at HOV on the way
    to BEK, and `chosen_copies` names that site and barcode."""
    item = AnyCopyItem("T1", (("FAR", "f-1"), ("HOV", "h-1")), "BEK")
    day, sol = _solve_line(LINE, [item])
    (ship,) = day.problem.shipments
    assert ship.pickup_sites == ("FAR", "HOV") and ship.delivery == "BEK"
    assert chosen_copies(day, sol) == {"T1": ("HOV", "h-1")}


def test_any_copy_skips_a_candidate_not_served_today() -> None:
    """A candidate site not served today is no pickup choice, even when it is on the way."""
    sites = [replace(s, served=False) if s.code == "HOV" else s for s in LINE]
    item = AnyCopyItem("T1", (("FAR", "f-1"), ("HOV", "h-1")), "BEK")
    day, sol = _solve_line(sites, [item])
    assert day.problem.shipments[0].pickup_sites == ("FAR",)
    assert chosen_copies(day, sol) == {"T1": ("FAR", "f-1")}


def test_closed_destination_is_reached_via_the_hub() -> None:
    """An item for a closed site goes to the hub today; the closed site is never visited."""
    sites = [replace(s, served=False) if s.code == "BEK" else s for s in LINE]
    dur, dist = _line_matrix(sites)
    items = [PendingItem("b1", "HOV", "BEK")]
    any_item = AnyCopyItem("T2", (("FAR", "f-2"), ("HOV", "h-2")), "BEK")
    day = build_day(sites, FLEET, items, dur, dist, any_copy=[any_item])
    assert {(s.pickup_sites[0], s.delivery) for s in day.problem.shipments} == {
        ("HOV", "SAN"),
        ("FAR", "SAN"),
    }
    assert "BEK" not in {s.id for s in day.problem.sites}


def test_closed_depot_moves_nothing() -> None:
    """When the depot is closed no van leaves: every item and any-copy item waits."""
    sites = [replace(s, served=False) if s.code == "SAN" else s for s in LINE]
    dur, dist = _line_matrix(sites)
    any_item = AnyCopyItem("T3", (("FAR", "f-3"),), "BEK")
    day = build_day(sites, FLEET, [PendingItem("b1", "HOV", "BEK")], dur, dist, any_copy=[any_item])
    assert day.problem.shipments == ()
    assert [i.barcode for i in day.waiting] == ["b1"] and day.any_waiting == (any_item,)


def test_any_copy_with_a_copy_at_the_hub_waits_for_a_closed_destination() -> None:
    """If the destination is closed and the hub holds a copy, no other copy is fetched today."""
    sites = [replace(s, served=False) if s.code == "BEK" else s for s in LINE]
    legs, waiting = any_copy_legs(
        [AnyCopyItem("T4", (("SAN", "s-4"), ("HOV", "h-4")), "BEK")],
        {s.code for s in sites if s.served},
        "SAN",
    )
    assert legs == [] and [w.ref for w in waiting] == ["T4"]


def _line_matrix(
    sites: list[SiteDay],
) -> tuple[tuple[tuple[float, ...], ...], tuple[tuple[float, ...], ...]]:
    m = HaversineProvider().matrix([(s.lat, s.lon) for s in sites])
    return m.durations, m.distances


def test_any_copy_items_sharing_candidate_sites_share_crates() -> None:
    """Five requests with copies at FAR and HOV for BEK are one shipment of two crates (three
    books to a crate); a request with other candidates is its own shipment.  Wherever the van
    collects the group, each request gets its own copy from that site, most urgent first."""
    group = [
        AnyCopyItem(f"T{k}", (("HOV", f"h-{k}"), ("FAR", f"f-{k}")), "BEK", priority=k % 2)
        for k in range(1, 6)
    ]
    other = AnyCopyItem("T9", (("FAR", "f-9"),), "BEK")
    legs, waiting = any_copy_legs([*group, other], {"SAN", "HOV", "BEK", "FAR"}, "SAN", 3)
    assert waiting == []
    assert [(leg.shipment, leg.sites, leg.crates) for leg in legs] == [
        ("T9>BEK", ("FAR",), 1),
        ("T1+4>BEK", ("FAR", "HOV"), 2),
    ]
    assert legs[1].packed("HOV") == [("h-1", "h-3", "h-5"), ("h-2", "h-4")]
    day, sol = _solve_line(LINE, [*group, other])
    sizes = {s.id: (s.size, s.pickup_sites) for s in day.problem.shipments}
    assert sizes == {"T9>BEK": (1, ("FAR",)), "T1+4>BEK": (2, ("FAR", "HOV"))}
    chosen = chosen_copies(day, sol)
    assert chosen["T9"] == ("FAR", "f-9")
    (site,) = {chosen[f"T{k}"][0] for k in range(1, 6)}
    assert sorted(chosen[f"T{k}"][1] for k in range(1, 6)) == [
        f"{site[0].lower()}-{k}" for k in range(1, 6)
    ]
