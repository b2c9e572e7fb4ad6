"""The routing model in OR-Tools — the only module that imports `ortools`.

One call, `improve`, builds the pickup-and-delivery model from a compiled `Graph` and searches,
optionally from initial routes.  The model:

* time dimension over a transit matrix (service at the node, per-stop time when leaving a site,
  travel), site windows as cumul ranges with the gaps between windows removed, shift windows on
  each van's start and end;
* crate dimension with each van's capacity;
* every shipment optional: a disjunction over its possible pickup nodes (at most one is used, so
  the van collects an "any copy" transfer where it passes anyway) paired with its delivery node,
  same van, pickup first, dropped at a penalty that grows with priority and age;
* breaks as OR-Tools break intervals (fixed duration, start inside the break window), which may
  fall during a drive but never during crate handling;
* a fixed cost per van used, arc costs = time weight x travel + distance weight x distance.

Search: PARALLEL_CHEAPEST_INSERTION (the only first-solution strategy that reliably finds a
feasible pickup-and-delivery solution under tight windows, see reference/routing.md) or the given
initial routes, then guided local search.  The search is stopped by a budget of search branches
(`default_branch_limit`), so the same inputs give the same answer whenever the budget is reached
first; the wall-clock limit stays in force as a safety net (it covers building the model and the
first solution too), and `ModelResult.clock_cut` says when it ended the search instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from transport.graph import COST_SCALE, Graph
from transport.problem import Problem
from transport.schedule import Visit

log = logging.getLogger(__name__)


BRANCHES_PER_CPU_SECOND_NODE = 35_000
"""Search branches per CPU second x routing nodes, measured here (OR-Tools 9.15, guided local
search from VROOM's routes): lr101 1631 in 2.6 s at 107 nodes, lr1_2_1 841 in 2.0 s at 211,
Bærum days 597 in 2.1 s at 241 and 278 in 2.0 s at 601 (most of it the first solution); lc101,
the slowest, ~300 a second at 107 nodes, which is the rate used."""


FIRST_SOLUTION_BRANCHES = 1000
"""The least branch budget of a search without starting routes: building the first solution
takes most of it.  Bærum days with breaks (161-271 nodes) found 9-48 solutions in 1.0-1.4 CPU
seconds with it; with the ~60-100 branches their budget gave (`default_branch_limit` sized for
a guided local search from VROOM's routes) they found none, and on a 120-shipment day with
breaks and "any copy" transfers 10 times that budget found a plan 18 % cheaper than PyVRP's."""


def default_branch_limit(cpu_seconds: float, nodes: int) -> int:
    """A deterministic work budget expected to take about `cpu_seconds` of one core here.

    Branches (decisions of the search, counted by the solver) grow steadily with the work done,
    unlike improving solutions, which guided local search finds quickly at first and then
    seconds apart (lr101: 10 in 0.2 s, 50 in 7 s), so a solution count either stops too early or
    is never reached and leaves the wall clock to decide.
    """
    return max(50, int(cpu_seconds * BRANCHES_PER_CPU_SECOND_NODE / max(nodes, 1)))


@dataclass(frozen=True)
class ModelResult:
    """Sequences per van id, and OR-Tools' own break start per van (in problem units)."""

    sequences: dict[str, list[Visit]]
    break_starts: dict[str, float]
    objective: int
    solutions: int = 0
    """Solutions the search found."""
    clock_cut: bool = False
    """True when the wall-clock limit, not the branch budget, ended the search."""


def first_solution_strategy(nodes: int) -> str:
    """PARALLEL_CHEAPEST_INSERTION up to a few hundred nodes; beyond, it alone can outlast a 10 s
    limit on a 600-node day, where LOCAL_CHEAPEST_INSERTION did better (5.10 M vs 6.28 M cost)."""
    return "PARALLEL_CHEAPEST_INSERTION" if nodes <= 300 else "LOCAL_CHEAPEST_INSERTION"


def improve(
    problem: Problem,
    graph: Graph,
    time_limit: float,
    initial: Mapping[str, Sequence[Visit]] | None = None,
    branch_limit: int | None = None,
    first_solution: str | None = None,
) -> ModelResult | None:
    """Solve (or improve `initial`) with a budget of `branch_limit` search branches (default:
    what half a core does in `time_limit`), stopped by the wall clock at `time_limit` seconds at
    the latest; None if nothing was found."""
    t0 = time.monotonic()
    n = len(graph.nodes)
    n_vans = len(problem.vans)
    manager = pywrapcp.RoutingIndexManager(n, n_vans, list(graph.starts), list(graph.ends))
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    cost_cb = routing.RegisterTransitMatrix([list(r) for r in graph.cost])
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    for v, van in enumerate(problem.vans):
        routing.SetFixedCostOfVehicle(round(van.fixed_cost * COST_SCALE), v)

    horizon = max(graph.scale_time_down(v.shift.end) for v in problem.vans)
    time_cb = routing.RegisterTransitMatrix([list(r) for r in graph.time])
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")

    demand_cb = routing.RegisterUnaryTransitVector([nd.demand for nd in graph.nodes])
    routing.AddDimensionWithVehicleCapacity(
        demand_cb, 0, [v.capacity for v in problem.vans], True, "crates"
    )

    max_cap = max(v.capacity for v in problem.vans)
    for node, nd in enumerate(graph.nodes):
        if nd.kind == "depot":
            continue
        index = manager.NodeToIndex(node)
        windows = [
            (max(0, graph.scale_time_up(w.start)), min(horizon, graph.scale_time_down(w.end)))
            for w in problem.sites[nd.site].time_windows
        ]
        windows = [(lo, hi) for lo, hi in windows if lo <= hi]
        if abs(nd.demand) > max_cap or (problem.sites[nd.site].time_windows and not windows):
            # Cannot be served by any van (too big, or closed all day): keep it out of the
            # search instead of letting a contradictory domain fail the whole model.
            routing.ActiveVar(index).SetValue(0)
            continue
        if not windows:
            continue
        cumul = tdim.CumulVar(index)
        cumul.SetRange(windows[0][0], windows[-1][1])
        for (_, a_end), (b_start, _) in zip(windows, windows[1:], strict=False):
            if a_end + 1 <= b_start - 1:
                cumul.RemoveInterval(a_end + 1, b_start - 1)

    visit_transits = visit_transits_by_index(manager, graph)
    for v, van in enumerate(problem.vans):
        lo, hi = graph.scale_time_up(van.shift.start), graph.scale_time_down(van.shift.end)
        tdim.CumulVar(routing.Start(v)).SetRange(lo, hi)
        tdim.CumulVar(routing.End(v)).SetRange(lo, hi)
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.End(v)))
        if van.break_ is not None:
            brk = van.break_
            interval = solver.FixedDurationIntervalVar(
                graph.scale_time_up(brk.earliest),
                graph.scale_time_down(brk.latest),
                graph.scale_time_up(brk.duration),
                False,
                f"break {van.id}",
            )
            tdim.SetBreakIntervalsOfVehicle([interval], v, visit_transits)

    for si, ship in enumerate(problem.shipments):
        penalty = round(problem.drop_penalty(ship) * COST_SCALE)
        p_idx = [manager.NodeToIndex(p) for p in graph.pickups[si]]
        d_idx = manager.NodeToIndex(graph.deliveries[si])
        p_disj = routing.AddDisjunction(p_idx, penalty, 1)
        d_disj = routing.AddDisjunction([d_idx], 0, 1)
        # The pair constraint itself keeps pickup and delivery on one van, pickup first, and both
        # active or both dropped; explicit VehicleVar/CumulVar constraints on top made the search
        # 30x slower for no change in the answers (checked by transport.verify).
        routing.AddPickupAndDeliverySets(p_disj, d_disj)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy,
        first_solution or first_solution_strategy(len(graph.nodes)),
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    remaining = max(0.01, time_limit - (time.monotonic() - t0))
    params.time_limit.FromMilliseconds(max(10, int(remaining * 1000)))
    limit = branch_limit if branch_limit is not None else default_branch_limit(time_limit / 2, n)
    if not initial:
        limit = max(limit, FIRST_SOLUTION_BRANCHES)
    routing.CloseModelWithParameters(params)
    routing.AddSearchMonitor(solver.BranchesLimit(limit))
    found: list[float] = []
    routing.AddAtSolutionCallback(lambda: found.append(time.monotonic() - t0))

    start = None
    if initial:
        routes = []
        for van in problem.vans:
            routes.append(
                [manager.NodeToIndex(n) for n in _nodes_of(problem, graph, initial.get(van.id, ()))]
            )
        start = routing.ReadAssignmentFromRoutes(routes, True)
        if start is None:
            # Restoring routes makes OR-Tools search for the break placements, within the
            # branch budget: on days with breaks it failed from 80 shipments on, also with
            # 10 s and no branch limit.  A model of its own builds a first solution instead,
            # with the budget that needs (this one's limit also bounds the restore).
            log.warning("initial routes rejected by the model; building a first solution")
            left = time_limit - (time.monotonic() - t0)
            return (
                improve(problem, graph, left, None, limit, first_solution) if left > 0.1 else None
            )
    if start is not None:
        sol = routing.SolveFromAssignmentWithParameters(start, params)
    else:
        sol = routing.SolveWithParameters(params)
    elapsed = time.monotonic() - t0
    # The branch budget ends a search that did its work; anything else (the wall clock in
    # practice) makes the answer depend on the machine's speed and load.
    branches = solver.Branches()
    cut = branches < limit and elapsed >= 0.95 * time_limit
    log.log(
        logging.WARNING if cut else logging.INFO,
        "OR-Tools: status %s in %.2f s, %d nodes, %d solutions, %d/%d branches%s",
        routing.status(),
        elapsed,
        n,
        len(found),
        branches,
        limit,
        " - stopped by the wall clock, answer depends on load" if cut else "",
    )
    if sol is None:
        return None
    sequences: dict[str, list[Visit]] = {}
    breaks: dict[str, float] = {}
    for v, van in enumerate(problem.vans):
        idx = sol.Value(routing.NextVar(routing.Start(v)))
        seq: list[Visit] = []
        while not routing.IsEnd(idx):
            nd = graph.nodes[manager.IndexToNode(idx)]
            ship = problem.shipments[nd.shipment]
            seq.append((ship.id, nd.kind, problem.sites[nd.site].id))
            idx = sol.Value(routing.NextVar(idx))
        if seq:
            sequences[van.id] = seq
    intervals = sol.IntervalVarContainer()
    for i in range(intervals.Size()):
        el = intervals.Element(i)
        name = el.Var().Name()
        if name.startswith("break ") and el.PerformedValue():
            breaks[name[len("break ") :]] = el.StartValue() / graph.time_scale
    return ModelResult(sequences, breaks, sol.ObjectiveValue(), len(found), cut)


def visit_transits_by_index(manager: pywrapcp.RoutingIndexManager, graph: Graph) -> list[int]:
    """The crate-handling time a break may not overlap, per routing *index*: OR-Tools reads
    `node_visit_transits[from_index]`.  Listed by node (the depot first, which has no index
    of its own) it gave each stop the crate time of the node before it and was read past its
    end at the vans' start indices."""
    return [
        graph.nodes[manager.IndexToNode(i)].service for i in range(manager.GetNumberOfIndices())
    ]


def _nodes_of(problem: Problem, graph: Graph, seq: Sequence[Visit]) -> list[int]:
    """Routing node ids of a visit sequence."""
    pos = {s.id: i for i, s in enumerate(problem.shipments)}
    out = []
    for sid, kind, site in seq:
        si = pos[sid]
        if kind == "delivery":
            out.append(graph.deliveries[si])
        else:
            k = problem.shipments[si].pickup_sites.index(site)
            out.append(graph.pickups[si][k])
    return out
