"""Li & Lim PDPTW reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.lilim import (
    LiLimFormatError,
    parse_lilim,
    read_lilim,
    read_lilim_solution,
    route_distance,
)
from transport.schedule import schedule
from transport.verify import verify

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "benchmarks" / "lilim"

TINY = """2\t10\t1
0\t0\t0\t0\t0\t100\t0\t0\t0
1\t3\t4\t2\t0\t50\t5\t0\t2
2\t6\t8\t-2\t0\t80\t5\t1\t0
"""


def test_parse_tiny() -> None:
    """Header gives vans and capacity; tasks become sites; a pickup/delivery pair a shipment."""
    p = parse_lilim(TINY)
    assert [v.capacity for v in p.vans] == [10, 10]
    assert [s.id for s in p.sites] == ["0", "1", "2"]
    (s,) = p.shipments
    assert (s.pickup, s.delivery, s.size) == ("1", "2", 2)
    assert p.sites[1].time_windows[0].end == 50 and p.sites[1].service_time == 5
    assert p.vans[0].shift.end == 100
    assert p.duration_matrix()[0][1] == pytest.approx(5.0)  # travel time = distance


def test_fixed_cost_outweighs_distance() -> None:
    """A van costs more than any route's distance, so fewer vans always win."""
    p = parse_lilim(TINY)
    assert p.vans[0].fixed_cost > 2 * sum(map(sum, p.distance_matrix()))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty"),
        ("x y z\n", "integers"),
        ("2 10 1\n0 0 0 0 0 100 0 0\n", "9 columns"),
        ("2 10 1\n0 0 0 0 0 100 0 0 0\n1 3 4 2 0 50 5 0 7\n", "bad delivery"),
        ("2 10 1\n0 0 0 0 0 100 0 0 0\n5 3 4 2 0 50 5 0 2\n", "run 0..n"),
    ],
)
def test_malformed(text: str, match: str) -> None:
    """Malformed files raise an error naming the line and problem."""
    with pytest.raises(LiLimFormatError, match=match):
        parse_lilim(text, name="f")


@pytest.mark.skipif(not SHARED.exists(), reason="shared Li & Lim instances not present")
@pytest.mark.parametrize("name", ["lc101", "lr101", "lrc101", "lc1_2_1", "lr1_2_1"])
def test_best_known_solutions_verify(name: str) -> None:
    """Each published best-known solution passes our checker with its published distance."""
    p = read_lilim(SHARED / f"{name}.txt")
    routes = read_lilim_solution(SHARED / f"{name}.sol")
    kind = {s.pickup: ("pickup", s.id) for s in p.shipments}
    kind.update({s.delivery: ("delivery", s.id) for s in p.shipments})
    seqs = {
        p.vans[k].id: [(kind[str(t)][1], kind[str(t)][0], str(t)) for t in r]
        for k, r in enumerate(routes)
    }
    sol = schedule(p, seqs)
    assert verify(p, sol) == []
    readme = (SHARED / "README.md").read_text()
    assert f"{route_distance(p, routes):.2f}" in readme
