"""The unseen-instance generator for the routing benchmark: valid Li & Lim files, feasible."""

from __future__ import annotations

import pytest

from adapters.lilim import parse_lilim
from benchmarks.gen_lilim import KINDS, generate_lilim
from transport.schedule import schedule
from transport.verify import verify


@pytest.mark.parametrize("kind", KINDS)
def test_built_routes_are_a_feasible_solution(kind: str) -> None:
    """The routes an instance was built from serve every pair within windows and capacity."""
    text, routes = generate_lilim(kind, 60, seed=4)
    p = parse_lilim(text, kind)
    by_site = {}
    for s in p.shipments:
        by_site[s.pickup] = (s.id, "pickup", s.pickup)
        by_site[s.delivery] = (s.id, "delivery", s.delivery)
    seqs = {p.vans[k].id: [by_site[str(t)] for t in r] for k, r in enumerate(routes)}
    sol = schedule(p, seqs)
    assert verify(p, sol) == [] and not sol.dropped
    assert sorted(t for r in routes for t in r) == list(range(1, 61))


def test_same_arguments_same_instance() -> None:
    """An instance is reproducible from its arguments and differs with the seed."""
    assert generate_lilim("lrc1", 40, 3) == generate_lilim("lrc1", 40, 3)
    assert generate_lilim("lrc1", 40, 3)[0] != generate_lilim("lrc1", 40, 4)[0]


def test_rejects_odd_task_counts() -> None:
    """Tasks come in pickup/delivery pairs."""
    with pytest.raises(ValueError, match="even"):
        generate_lilim("lr1", 41, 1)
