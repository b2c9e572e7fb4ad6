"""The OR-Tools model on small problems: every answer is re-timed and verified."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import pytest
from ortools.constraint_solver import pywrapcp

from transport.graph import build_graph
from transport.model import improve, visit_transits_by_index
from transport.problem import Break, Problem, Shipment, Solution, TimeWindow
from transport.solve import timed


def run(p: Problem, limit: float = 1.5) -> Solution:
    res = improve(p, build_graph(p), limit)
    assert res is not None
    sol = timed(p, res.sequences, "test")
    assert sol is not None, "OR-Tools answer failed verification"
    return sol


def test_serves_everything_it_can(line_problem: Callable[..., Problem]) -> None:
    """With room for everything, every shipment is routed and the plan verifies."""
    p = line_problem(n_ship=3)
    sol = run(p)
    assert not sol.dropped
    assert sol.vehicles == 1


def test_any_copy_collected_on_the_way(line_problem: Callable[..., Problem]) -> None:
    """An "any copy" shipment is picked up at the alternative the van passes anyway."""
    base = line_problem(n_ship=1)
    far_first = Shipment(id="x", pickup="E", delivery="C", size=1, alternatives=("A",))
    p = replace(base, shipments=(*base.shipments, far_first))
    sol = run(p)
    pickup = next(
        s for r in sol.routes for s in r.stops if s.shipment == "x" and s.kind == "pickup"
    )
    assert pickup.site == "A"


def test_priority_wins_when_not_all_fit(line_problem: Callable[..., Problem]) -> None:
    """When only one of two shipments fits, the one with higher priority is kept."""
    # Alone, A->B reaches B at 24 and A->C reaches C at 34; together the second is too late.
    tight = {"B": (TimeWindow(20, 30),), "C": (TimeWindow(30, 38),)}
    base = line_problem(n_ship=2, windows=tight)
    s0, s1 = base.shipments
    for favoured in ("s0", "s1"):
        ships = tuple(replace(s, priority=3 if s.id == favoured else 0) for s in (s0, s1))
        sol = run(replace(base, shipments=ships))
        assert [d.shipment for d in sol.dropped] == [x for x in ("s0", "s1") if x != favoured]


def test_break_is_respected(line_problem: Callable[..., Problem]) -> None:
    """Vans with a break get a plan whose break the checker accepts."""
    p = line_problem(n_ship=3, brk=Break(15, 40, 20))
    sol = run(p)
    assert not sol.dropped
    assert sol.routes[0].break_start is not None


def test_fixed_cost_saves_a_van(line_problem: Callable[..., Problem]) -> None:
    """Two vans available, one enough: the fixed cost keeps the second at home."""
    sol = run(line_problem(n_ship=2, vans=2))
    assert sol.vehicles == 1


def test_capacity_splits_over_vans(line_problem: Callable[..., Problem]) -> None:
    """Shipments that must travel at the same time but exceed one van use two."""
    tight = {"B": (TimeWindow(20, 30),), "C": (TimeWindow(30, 45),)}
    p = line_problem(n_ship=2, capacity=3, vans=2, windows=tight)
    sol = run(p)
    assert not sol.dropped
    for r in sol.routes:
        assert max(s.load for s in r.stops) <= 3


def test_same_answer_twice(gen_40: object) -> None:
    """Same problem and budget, same routes: the branch budget, not the clock, ends the search."""
    from pathlib import Path

    from adapters.lilim import read_lilim

    p = read_lilim(Path(str(gen_40)))
    a = improve(p, build_graph(p), 5.0, branch_limit=150)
    b = improve(p, build_graph(p), 5.0, branch_limit=150)
    assert a is not None and b is not None
    assert not a.clock_cut and not b.clock_cut
    assert a.sequences == b.sequences and a.objective == b.objective


def test_clock_cut_when_budget_is_too_big(gen_40: object) -> None:
    """A branch budget the time limit cannot hold is ended by the clock, and says so."""
    from pathlib import Path

    from adapters.lilim import read_lilim

    p = read_lilim(Path(str(gen_40)))
    res = improve(p, build_graph(p), 0.5, branch_limit=10**9)
    assert res is not None and res.clock_cut


def test_break_visit_transits_follow_the_routing_indices(
    line_problem: Callable[..., Problem],
) -> None:
    """OR-Tools reads the crate time a break may not overlap by routing index, which is not the
    node number (the depot has none; each van has a start and an end index)."""
    p = line_problem()
    g = build_graph(p)
    manager = pywrapcp.RoutingIndexManager(len(g.nodes), len(p.vans), list(g.starts), list(g.ends))
    got = visit_transits_by_index(manager, g)
    assert len(got) == manager.GetNumberOfIndices() > len(g.nodes)
    for node, nd in enumerate(g.nodes):
        if nd.kind != "depot":
            assert got[manager.NodeToIndex(node)] == nd.service
    assert any(nd.service for nd in g.nodes)


def test_rejected_routes_leave_a_first_solution_of_its_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """On a day with breaks OR-Tools cannot restore VROOM's routes within its budget; it then
    builds a first solution in a model of its own instead of answering nothing."""
    from benchmarks.gen_day import generate_day
    from transport.seeds import vroom

    if not vroom.AVAILABLE:
        pytest.skip("pyvroom not installed")
    p = generate_day(30, 120, 3, seed=1, breaks=True)
    g = build_graph(p)
    start = vroom.solve_vroom(p, g, None, 2, None, 1)
    assert start is not None
    with caplog.at_level(logging.INFO, logger="transport.model"):
        res = improve(p, g, 30.0, initial=start.sequences, branch_limit=60)
    assert "initial routes rejected" in caplog.text
    assert res is not None and res.solutions > 0 and not res.clock_cut
    assert timed(p, res.sequences, "ortools") is not None
