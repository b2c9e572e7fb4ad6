"""PyVRP as a source of first routes; optional, the only module that imports `pyvrp`.

PyVRP's iterated local search is the strongest of the three engines at reducing vehicles on Li &
Lim instances.  It can start from given routes (VROOM's: its search only ever replaces the best
solution by a cheaper feasible one, so it never ends worse than that start).  It is stopped by an
budget of work counted in its local search's moves (`WorkMeter`: so the same seed gives the same
routes, and the budget fits the CPU time far better than an iteration count) with a runtime cap
as a safety net.
Its model cannot express several windows per site, breaks or alternative pickups: the seed uses
the hull of the windows and the preferred pickup, and the caller re-times and verifies the
routes, throwing away any that do not fit our model.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from transport.graph import COST_SCALE, Graph
from transport.problem import Problem
from transport.schedule import Visit
from transport.seeds import SeedRoutes

log = logging.getLogger(__name__)

try:  # pragma: no cover - depends on the environment
    import pyvrp
    from pyvrp.IteratedLocalSearch import (
        IteratedLocalSearchCallbacks,
        IteratedLocalSearchParams,
    )
    from pyvrp.search import PerturbationParams
    from pyvrp.stop import MaxRuntime, MultipleCriteria

    AVAILABLE = True
except ImportError:  # pragma: no cover
    AVAILABLE = False
    IteratedLocalSearchCallbacks = object  # type: ignore[assignment, misc]

TUNED_HISTORY = 50
"""Late-acceptance history of the tuned search (PyVRP's default: 300); see `tuned_params`."""

TUNED_MAX_PERTURBATIONS = 15
"""Most perturbations per iteration in the tuned search (PyVRP's default: 25)."""

WORK_NS = (39.4, 0.777, 52.4, 4.24)
"""Nanoseconds of CPU per move the local search evaluates: fixed, per stop on the candidate's
average route, more where shipments are missing from the routes, and per missing shipment
(PyVRP then also tries to insert them).  Fitted on runs from scratch of the tuned search
(`tuned_params`): 5 s on 18 generated Li & Lim instances and 8 s on six Bærum days of 40-120
shipments gave CPU time / estimate 0.94-1.08 (sd 0.04); 2 s runs on 54 generated instances, the
five given ones and four days 0.81-1.14 (days lower: the first seconds drop more shipments).
The time per iteration, which the budgets were counted in before, varied 0.58-1.50 ms over the
Li & Lim instances and reached 6.2 ms on a day with 37 of 120 shipments left out."""


class WorkMeter(IteratedLocalSearchCallbacks):
    """The CPU seconds a search has done, estimated from what it did rather than timed
    (`WORK_NS`): a budget in it stops the same seed at the same point whatever the machine's
    load, and tracks the CPU time closely enough to use most of the limit.  Passed to PyVRP
    as callbacks (counting) and as a stopping criterion (checking)."""

    def __init__(self, budget: float, shipments: int) -> None:
        self.budget = budget
        self.shipments = shipments
        self.spent = 0.0
        self._search: Any = None

    def on_start(self, ils: Any) -> None:
        self._search = ils.search

    def on_iteration(self, current: Any, candidate: Any, best: Any, cost_evaluator: Any) -> None:
        fixed, per_stop, any_missing, per_missing = WORK_NS
        length = 2 * candidate.num_shipments() / max(1, candidate.num_routes())
        missing = self.shipments - candidate.num_shipments()
        ns = fixed + per_stop * length
        if missing > 0:
            ns += any_missing + per_missing * missing
        self.spent += 1e-9 * ns * self._search.statistics.num_moves

    def __call__(self, best_cost: float) -> bool:
        """As a stopping criterion: the budget is spent."""
        return self.spent >= self.budget


def tuned_params(callbacks: Any = None) -> Any:
    """PyVRP's iterated local search tuned for runs of 5-10 CPU seconds.

    Measured without load, runs stopped by iteration counts and read at equal CPU time.  The
    reference was PyVRP's defaults, seed 0, at 10 CPU seconds.  History 50 with 1-15
    perturbations, seed 1, at 7 CPU seconds:
    - won 2, tied 27, lost 1 of 30 instances it was not chosen on; defaults lost 3 there;
    - over all 45 instances, won 4, tied 38, lost 3; defaults won 2 and lost 5;
    - reached the reference's cost in a median 0.7 CPU seconds, defaults in 1.7;
    - fewer perturbations make an iteration cheaper: 1.32-1.33 times the defaults' iterations
      in the same CPU time (median over 45 instances);
    - from VROOM's routes, never worse than defaults from the same start (10 instances).
    Longer histories (600), fewer neighbours (20, 30), no exhaustive search on new bests and
    1-40 perturbations were all worse than the defaults.  The benchmark's reference PyVRP keeps
    the defaults."""
    return pyvrp.SolveParams(
        ils=IteratedLocalSearchParams(history_length=TUNED_HISTORY, callbacks=callbacks),
        perturbation=PerturbationParams(1, TUNED_MAX_PERTURBATIONS),
    )


def solve_pyvrp(
    problem: Problem,
    graph: Graph,
    max_runtime: float,
    seed: int = 0,
    work: float | None = None,
    initial: Mapping[str, Sequence[Visit]] | None = None,
    tuned: bool = False,
) -> SeedRoutes | None:
    """Sequences per van id from PyVRP, or None when it is missing or finds nothing feasible.

    `work` is the budget in estimated CPU seconds (`WorkMeter`); without it, or when
    `max_runtime` comes first, the routes are marked as cut by the clock.  `tuned` searches
    with `tuned_params` instead of PyVRP's defaults.  `initial` routes that PyVRP's model
    cannot take (an alternative pickup) are ignored with a log line.
    """
    if not AVAILABLE:
        log.info("pyvrp not installed; no PyVRP seed")
        return None
    idx = problem.site_index()
    travel = graph.site_travel(problem)
    cost = graph.site_cost(problem)
    up, down = graph.scale_time_up, graph.scale_time_down
    m = pyvrp.Model()
    locs = [m.add_location(s.x or 0.0, s.y or 0.0) for s in problem.sites]
    depots: dict[str, object] = {}
    for v in problem.vans:
        for site in (v.start, v.end):
            if site not in depots:
                depots[site] = m.add_depot(locs[idx[site]], name=site)
    # Vans that are alike share one vehicle type; remember which van ids each type stands for.
    groups: dict[tuple[object, ...], list[str]] = {}
    for v in problem.vans:
        key = (v.capacity, v.start, v.end, v.shift.start, v.shift.end, v.fixed_cost)
        groups.setdefault(key, []).append(v.id)
    type_vans: list[list[str]] = []
    for (cap, start, end, lo, hi, fixed), ids in groups.items():
        m.add_vehicle_type(
            num_available=len(ids),
            capacity=[int(cap)],  # type: ignore[call-overload]
            start_depot=depots[str(start)],  # type: ignore[arg-type]
            end_depot=depots[str(end)],  # type: ignore[arg-type]
            tw_early=up(float(lo)),  # type: ignore[arg-type]
            tw_late=down(float(hi)),  # type: ignore[arg-type]
            fixed_cost=round(float(fixed) * COST_SCALE),  # type: ignore[arg-type]
        )
        type_vans.append(ids)
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            m.add_edge(a, b, distance=cost[i][j], duration=travel[i][j])

    def window(site_id: str) -> tuple[int, int]:
        tws = problem.sites[idx[site_id]].time_windows
        if not tws:
            return 0, 2**62
        return up(tws[0].start), down(tws[-1].end)

    def service(site_id: str, size: int) -> int:
        s = problem.sites[idx[site_id]]
        return up(s.service_time + s.service_per_crate * size)

    for s in problem.shipments:
        pe, pl = window(s.pickup)
        de, dl = window(s.delivery)
        penalty = round(problem.drop_penalty(s) * COST_SCALE)
        m.add_shipment(
            locs[idx[s.pickup]],
            locs[idx[s.delivery]],
            pickup_tw_early=pe,
            pickup_tw_late=pl,
            pickup_service_duration=service(s.pickup, s.size),
            delivery_tw_early=de,
            delivery_tw_late=dl,
            delivery_service_duration=service(s.delivery, s.size),
            amount=[s.size],
            prize=penalty,
            required=False,
            name=s.id,
        )
    start = None if not initial else _initial_solution(m.data(), problem, type_vans, initial)
    stop = MaxRuntime(max(max_runtime, 0.01))
    meter = None if work is None else WorkMeter(work, len(problem.shipments))
    if meter is not None:
        stop = MultipleCriteria([meter, stop])  # type: ignore[assignment]
    if tuned:
        params = tuned_params(meter)
    else:
        params = pyvrp.SolveParams(ils=IteratedLocalSearchParams(callbacks=meter))  # type: ignore[arg-type]
    try:
        res = m.solve(
            stop=stop,
            seed=seed,
            display=False,
            collect_stats=False,
            initial_solution=start,
            params=params,
        )
    except Exception as e:  # noqa: BLE001 - PyVRP raises assorted errors on odd data
        log.warning("PyVRP failed: %s", e)
        return None
    if not res.best.is_feasible():
        log.info("PyVRP found no feasible solution")
        return None
    cut = meter is None or meter.spent < meter.budget
    out: dict[str, list[Visit]] = {}
    used: dict[int, int] = {}
    for route in res.best.routes():
        vt = route.vehicle_type()
        van_id = type_vans[vt][used.get(vt, 0)]
        used[vt] = used.get(vt, 0) + 1
        seq: list[Visit] = []
        for act in route.schedule():
            if not act.is_shipment():
                continue
            ship = problem.shipments[act.idx]
            if act.is_pickup():
                seq.append((ship.id, "pickup", ship.pickup))
            else:
                seq.append((ship.id, "delivery", ship.delivery))
        if seq:
            out[van_id] = seq
    log.log(
        logging.WARNING if cut and meter is not None else logging.INFO,
        "PyVRP: %d routes after %d iterations, %s s of work, in %.2f s%s%s",
        len(out),
        res.num_iterations,
        "no budget" if meter is None else f"{meter.spent:.2f} of {meter.budget:.2f}",
        res.runtime,
        " from the given routes" if start is not None else "",
        " - stopped by its runtime cap, answer depends on load" if cut else "",
    )
    return SeedRoutes(out, cut)


def _initial_solution(
    data: Any,
    problem: Problem,
    type_vans: list[list[str]],
    initial: Mapping[str, Sequence[Visit]],
) -> Any:
    """`initial` as a PyVRP solution, or None if it uses a pickup PyVRP was not given."""
    van_type = {van: t for t, ids in enumerate(type_vans) for van in ids}
    pos = {s.id: i for i, s in enumerate(problem.shipments)}
    routes = []
    for van_id, seq in initial.items():
        if not seq:
            continue
        acts = []
        for sid, kind, site in seq:
            si = pos[sid]
            ship = problem.shipments[si]
            if site != (ship.pickup if kind == "pickup" else ship.delivery):
                log.info("PyVRP: initial routes use an alternative pickup; not used")
                return None
            act = pyvrp.ActivityType.PICKUP if kind == "pickup" else pyvrp.ActivityType.DELIVERY
            acts.append(pyvrp.Activity(act, si))
        routes.append(pyvrp.Route(data, acts, van_type[van_id]))
    try:
        return pyvrp.Solution(data, routes)
    except Exception as e:  # noqa: BLE001 - PyVRP rejects routes it cannot represent
        log.info("PyVRP: initial routes rejected (%s)", e)
        return None
