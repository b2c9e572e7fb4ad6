"""Building a day's problem from sites, fleet and waiting items."""

from __future__ import annotations

from adapters.distance import HaversineProvider
from transport.crates import PendingItem
from transport.planner import FleetDay, SiteDay, build_day
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
