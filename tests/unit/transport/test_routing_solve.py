"""The product solver: seeds + OR-Tools, verified, within the limit, reproducible."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from adapters.lilim import read_lilim
from transport.problem import Problem, Shipment, TimeWindow
from transport.solve import diagnose, solve
from transport.verify import verify


def test_lilim_within_limit_and_verified(lilim_6: Path) -> None:
    """A small Li & Lim instance is fully served, verified, within the time limit."""
    p = read_lilim(lilim_6)
    t = time.monotonic()
    sol = solve(p, time_limit=2.0)
    elapsed = time.monotonic() - t
    assert elapsed <= 2.0 + 0.1, elapsed
    assert verify(p, sol) == []
    assert not sol.dropped


def test_same_seed_same_answer(lilim_6: Path) -> None:
    """Same seed and limit give the same routes."""
    p = read_lilim(lilim_6)
    a = solve(p, time_limit=2.0, seed=3)
    b = solve(p, time_limit=2.0, seed=3)
    assert [r.stops for r in a.routes] == [r.stops for r in b.routes]


def test_without_seeds_ortools_alone(lilim_6: Path) -> None:
    """With the VROOM/PyVRP seeds switched off OR-Tools alone still answers."""
    p = read_lilim(lilim_6)
    sol = solve(p, time_limit=1.5, use_seeds=False)
    assert sol.solver == "bokflyt/ortools"
    assert verify(p, sol) == [] and not sol.dropped


def test_impossible_requests_say_why(line_problem: Callable[..., Problem]) -> None:
    """A crate load larger than any van and a site closed all shift are dropped with reasons."""
    base = line_problem(n_ship=1, windows={"E": (TimeWindow(5000, 6000),)})
    huge = Shipment(id="huge", pickup="A", delivery="B", size=99)
    closed = Shipment(id="closed", pickup="A", delivery="E", size=1)
    p = replace(base, shipments=(*base.shipments, huge, closed))
    sol = solve(p, time_limit=1.5, use_seeds=False)
    reasons = {d.shipment: d.reason for d in sol.dropped}
    assert set(reasons) == {"huge", "closed"}
    assert "more than any van" in reasons["huge"]
    assert "closed" in reasons["closed"]
    assert diagnose(p, p.shipments[0]).startswith("no room")


def test_initial_routes_are_a_candidate(line_problem: Callable[..., Problem]) -> None:
    """A warm start that verifies is never beaten by something worse."""
    p = line_problem(n_ship=2)
    initial = {
        "v0": [
            ("s0", "pickup", "A"),
            ("s1", "pickup", "A"),
            ("s0", "delivery", "B"),
            ("s1", "delivery", "C"),
        ]
    }
    sol = solve(p, time_limit=1.0, use_seeds=False, initial=initial)
    assert verify(p, sol) == [] and not sol.dropped
