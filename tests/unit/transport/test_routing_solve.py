"""The product solver: seeds + OR-Tools, verified, within the limit, reproducible."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from adapters.lilim import read_lilim
from transport import solve as solve_module
from transport.graph import build_graph
from transport.problem import Break, Problem, Shipment, TimeWindow
from transport.seeds import pyvrp as pyvrp_seed
from transport.seeds.pyvrp import WORK_NS, WorkMeter
from transport.solve import (
    CPU_SHARE_ENV,
    SEARCH_SHARE,
    canonical_vans,
    cpu_share,
    diagnose,
    exact_plan,
    pyvrp_exact,
    search_budgets,
    solve,
    solve_outcome,
    unrouted_stops,
)
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


def test_same_seed_same_answer(gen_40: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same problem, seed and limit give exactly the same answer, ended by the work budgets."""
    # Budgets sized for a tenth of a core, so that a busy test machine does not cut them.
    monkeypatch.setattr(solve_module, "CPU_SHARE", 0.05)
    monkeypatch.delenv(CPU_SHARE_ENV, raising=False)
    p = read_lilim(gen_40)
    a = solve_outcome(p, time_limit=3.0, seed=3)
    b = solve_outcome(p, time_limit=3.0, seed=3)
    assert a.clock_cut == () and b.clock_cut == ()
    assert a.solution == b.solution
    assert verify(p, a.solution) == [] and not a.solution.dropped


def test_clock_cut_is_reported(gen_40: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Budgets too big for the limit: the limit still holds and the answer says it was cut."""
    monkeypatch.setattr(solve_module, "CPU_SHARE", 50.0)
    monkeypatch.delenv(CPU_SHARE_ENV, raising=False)
    p = read_lilim(gen_40)
    t = time.monotonic()
    out = solve_outcome(p, time_limit=2.0, seed=3)
    assert time.monotonic() - t <= 2.0 + 0.1
    assert "pyvrp" in out.clock_cut and "pyvrp-cold" in out.clock_cut
    assert verify(p, out.solution) == []


def test_clock_cut_is_reported_where_ortools_leads(
    gen_40: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same where OR-Tools leads (a van with a break: PyVRP cannot model it); PyVRP runs
    there too, from VROOM's routes, and its cut is reported.  (OR-Tools' own cut is tested in
    test_routing_model: on 41 nodes its search may end on its own before the clock.)"""
    monkeypatch.setattr(solve_module, "CPU_SHARE", 50.0)
    monkeypatch.delenv(CPU_SHARE_ENV, raising=False)
    base = read_lilim(gen_40)
    vans = tuple(replace(v, break_=Break(v.shift.start, v.shift.end - 1, 1)) for v in base.vans)
    p = replace(base, vans=vans)
    t = time.monotonic()
    out = solve_outcome(p, time_limit=2.0, seed=3)
    assert time.monotonic() - t <= 2.0 + 0.1
    assert "pyvrp" in out.clock_cut and "pyvrp-cold" not in out.clock_cut
    assert verify(p, out.solution) == []


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


def test_cpu_share_comes_from_the_environment_or_fails_loudly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The budgets' core share: the default, an override, and bad values refused by name."""
    monkeypatch.delenv(CPU_SHARE_ENV, raising=False)
    assert cpu_share() == solve_module.CPU_SHARE
    monkeypatch.setenv(CPU_SHARE_ENV, "0.15")
    assert cpu_share() == 0.15
    for bad in ("fast", "0", "-1", "9"):
        monkeypatch.setenv(CPU_SHARE_ENV, bad)
        with pytest.raises(ValueError, match=CPU_SHARE_ENV):
            cpu_share()


def test_pyvrp_exact_only_without_what_pyvrp_cannot_model(
    line_problem: Callable[..., Problem],
) -> None:
    """One window per site, no breaks, no alternatives: exact; each of those three: not."""
    assert pyvrp_exact(line_problem())
    assert not pyvrp_exact(line_problem(brk=Break(100, 200, 30)))
    two = (TimeWindow(0, 100), TimeWindow(200, 300))
    assert not pyvrp_exact(line_problem(windows={"B": two}))
    base = line_problem()
    alt = replace(base.shipments[0], alternatives=("C",))
    assert not pyvrp_exact(replace(base, shipments=(alt, *base.shipments[1:])))


def test_search_budgets_leave_pyvrp_what_vroom_leaves() -> None:
    """Where OR-Tools leads it gets a fixed share of the limit; PyVRP's runs get the time
    VROOM is expected to leave, so less on larger problems, and more with a longer limit."""
    small, large = search_budgets(10, 0.5, 81), search_budgets(10, 0.5, 241)
    assert small.ortools == large.ortools == pytest.approx(0.5 * SEARCH_SHARE * 10)
    assert small.pyvrp > large.pyvrp > small.ortools
    assert small.pyvrp < 0.5 * solve_module.GENERAL_CORE_SHARE * 10
    assert search_budgets(20, 0.5, 241).pyvrp > large.pyvrp
    assert search_budgets(0.5, 0.5, 241).pyvrp == 0.0


def test_exact_plan_gives_the_run_from_scratch_the_whole_limit_and_vroom_s_core_the_rest() -> None:
    """Where PyVRP leads the run from scratch is sized for nearly the whole limit, the run from
    VROOM's routes for what VROOM leaves (less on bigger problems, where VROOM takes longer,
    and more where nothing is dropped), and a short limit leaves neither anything."""
    small, big = exact_plan(101, 10, 0.5), exact_plan(241, 10, 0.5)
    core = solve_module.EXACT_CORE_SHARE * 0.5
    assert core * 8.5 < small.cold <= core * 10
    assert 0 < big.warm < small.warm < small.cold
    assert big.level >= 1
    short = exact_plan(101, 0.5, 0.5)
    assert short.cold == 0 and short.warm == 0
    # Where the quick pass routes everything VROOM is only PyVRP's start: a lower level, and
    # the time it saves goes to the run from its routes.
    # Long runs' moves cost more: a 60 s run is sized for 1 + 50 x LONG_RUN_SLOWDOWN less
    # than six 10 s runs.
    long = exact_plan(101, 60, 0.5)
    factor = 1 + 50 * solve_module.LONG_RUN_SLOWDOWN
    overhead = solve_module.SEARCH_OVERHEAD + solve_module.quick_seconds(101)
    assert long.cold == pytest.approx(small.cold * (60 - overhead) / (10 - overhead) / factor)
    assert 4 * small.cold < long.cold < 5 * small.cold
    routed = exact_plan(241, 10, 0.5, drops=False)
    assert routed.level < big.level == 5 and exact_plan(101, 10, 0.5, drops=False).level == 5
    assert routed.warm > big.warm and routed.cold == big.cold


def test_unrouted_stops_count_what_the_start_leaves_out(lilim_6: Path) -> None:
    """Stops the starting routes leave out are dropped shipments; without routes, or with
    every stop routed, there are none."""
    nodes = len(build_graph(read_lilim(lilim_6)).nodes)
    assert unrouted_stops(None, nodes) == 0
    full = {"a": [("s", "pickup", "A")] * (nodes - 1)}
    assert unrouted_stops(full, nodes) == 0
    assert unrouted_stops({"a": [("s", "pickup", "A")] * 3}, nodes) == nodes - 4


class _Stats:
    def __init__(self, moves: int) -> None:
        self.num_moves = moves


class _Search:
    def __init__(self, moves: int) -> None:
        self.statistics = _Stats(moves)


class _Ils:
    def __init__(self, moves: int) -> None:
        self.search = _Search(moves)


class _Candidate:
    def __init__(self, shipments: int, routes: int) -> None:
        self.shipments, self.routes = shipments, routes

    def num_shipments(self) -> int:
        return self.shipments

    def num_routes(self) -> int:
        return self.routes


def _spent(moves: int, routed: int, routes: int, total: int = 50) -> float:
    meter = WorkMeter(1.0, total)
    meter.on_start(_Ils(moves))
    meter.on_iteration(None, _Candidate(routed, routes), None, None)
    return meter.spent


def test_work_meter_counts_moves_dearer_on_long_routes_and_with_missing_shipments() -> None:
    """The estimate grows with the moves evaluated, the routes' length and the shipments the
    candidate leaves out, and is the fitted nanoseconds per move (`WORK_NS`)."""
    fixed, per_stop, any_missing, per_missing = WORK_NS
    assert _spent(10_000, 50, 10) == pytest.approx(1e-9 * 10_000 * (fixed + per_stop * 10))
    assert _spent(20_000, 50, 10) == pytest.approx(2 * _spent(10_000, 50, 10))
    assert _spent(10_000, 50, 2) > _spent(10_000, 50, 10)
    assert _spent(10_000, 40, 8) == pytest.approx(
        1e-9 * 10_000 * (fixed + per_stop * 10 + any_missing + per_missing * 10)
    )
    assert _spent(0, 50, 10) == 0.0


def test_work_meter_stops_when_its_budget_is_spent() -> None:
    meter = WorkMeter(2e-3, 50)
    meter.on_start(_Ils(20_000))
    assert not meter(0.0)
    meter.on_iteration(None, _Candidate(50, 10), None, None)  # ~0.95 ms
    assert not meter(0.0)
    meter.on_iteration(None, _Candidate(50, 10), None, None)
    meter.on_iteration(None, _Candidate(50, 10), None, None)
    assert meter(0.0)


@pytest.mark.skipif(not pyvrp_seed.AVAILABLE, reason="pyvrp not installed")
def test_pyvrp_work_budget_is_deterministic_and_bounds_the_search(lilim_6: Path) -> None:
    """The same seed and work budget give the same routes; a larger budget runs longer; a
    run that ends on its budget is not marked as cut by its clock."""
    problem = read_lilim(lilim_6)
    graph = build_graph(problem)
    a = pyvrp_seed.solve_pyvrp(problem, graph, 30.0, 3, 0.05, None, True)
    b = pyvrp_seed.solve_pyvrp(problem, graph, 30.0, 3, 0.05, None, True)
    assert a is not None and b is not None
    assert a.sequences == b.sequences and not a.clock_cut
    t = time.process_time()
    pyvrp_seed.solve_pyvrp(problem, graph, 30.0, 3, 0.5, None, True)
    assert time.process_time() - t > 0.2


def test_canonical_vans_hand_routes_to_alike_vans_in_a_fixed_order(
    line_problem: Callable[..., Problem],
) -> None:
    """Routes swapped between alike vans come out the same; a van unlike the others keeps its
    own route, and no route is lost."""
    base = line_problem(n_ship=3)
    v0 = base.vans[0]
    vans = (replace(v0, id="a"), replace(v0, id="b"), replace(v0, id="big", capacity=99))
    p = replace(base, vans=vans)
    r1 = [("s0", "pickup", "A"), ("s0", "delivery", "B")]
    r2 = [("s1", "pickup", "A"), ("s1", "delivery", "C")]
    r3 = [("s2", "pickup", "A"), ("s2", "delivery", "B")]
    one = canonical_vans(p, {"a": r1, "b": r2, "big": r3})
    other = canonical_vans(p, {"a": r2, "b": r1, "big": r3})
    assert one == other
    assert one["big"] == r3
    assert sorted(map(repr, one.values())) == sorted(map(repr, (r1, r2, r3)))
    # A single route on alike vans goes to the first of them.
    assert canonical_vans(p, {"b": r1}) == {"a": r1}
