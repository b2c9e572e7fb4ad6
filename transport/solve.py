"""The solver as the product uses it: seeds, OR-Tools, verification, the best verified answer.

Within `time_limit` seconds of wall clock, model building included:

1. VROOM (optional) builds routes on both cores — in about a second on a hundred tasks;
2. PyVRP (optional) then searches for a number of iterations derived from the limit and the size
   (so a seed gives the same routes every time), capped by the time that is left;
3. beside it, OR-Tools (`transport.model`) starts from VROOM's routes when they verify — or builds
   its own first solution — and improves them with guided local search; it is the only engine
   that models everything (several windows per site, breaks, "any copy" pickups).

On large days (more than `LARGE_NODES` routing nodes) PyVRP found nothing feasible within 10 s
and VROOM's routes were a worse start than OR-Tools' own insertion, so there OR-Tools builds its
own first solution while VROOM runs beside it as a fallback candidate.

Each engine runs in a child process that is stopped at its deadline, because neither VROOM nor
OR-Tools' first-solution construction reliably honours a time limit on large days (VROOM
overran a 3 s timeout by 9 s on a 600-node day; OR-Tools took 23 s on a 5 s limit with breaks).
PyVRP and OR-Tools run side by side, which uses a second core when there is one.

Every candidate is re-timed by `transport.schedule` and must pass `transport.verify`; the cheapest
by `transport.cost.solution_cost` is returned.  Without pyvroom and pyvrp the solver still works,
from OR-Tools' own first solution, only less well.  Dropped shipments get a reason: an obviously
impossible request (larger than every van, a site closed during every shift) says so.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.connection import Connection
from typing import Any

from transport.cost import solution_cost
from transport.graph import Graph, build_graph
from transport.model import improve
from transport.problem import Dropped, Problem, Shipment, Solution
from transport.schedule import ScheduleError, Visit, schedule
from transport.seeds import pyvrp as pyvrp_seed
from transport.seeds import vroom as vroom_seed
from transport.verify import verify

log = logging.getLogger(__name__)

Sequences = dict[str, list[Visit]]

LARGE_NODES = 300
"""Above this many routing nodes PyVRP is skipped and VROOM runs beside OR-Tools (see solve)."""

PYVRP_ITERATIONS_PER_SECOND_NODE = 60_000
"""PyVRP iterations per second x routing nodes, measured on this (shared, loaded) machine:
lrc101 ~600-950/s at 107 nodes, lr1_2_1 ~300-470/s at 211.  The iteration budget derived from it
makes runs reproducible; the wall-clock cap only bites on a slower or busier machine."""


def diagnose(problem: Problem, shipment: Shipment) -> str:
    """Why a shipment was left out: a structural reason if there is one, else lack of room."""
    if shipment.size > max(v.capacity for v in problem.vans):
        return f"needs {shipment.size} crates, more than any van carries"
    idx = problem.site_index()
    lo = min(v.shift.start for v in problem.vans)
    hi = max(v.shift.end for v in problem.vans)
    for site_id in (shipment.delivery, *shipment.pickup_sites):
        site = problem.sites[idx[site_id]]
        if site.time_windows and not any(w.end >= lo and w.start <= hi for w in site.time_windows):
            return f"site {site_id} is closed during every van's shift"
    return "no room on today's runs within the time limit"


def timed(
    problem: Problem, sequences: Mapping[str, Sequence[Visit]], solver: str
) -> Solution | None:
    """Re-time and verify a candidate; None (with a log line) if it breaks a hard constraint."""
    try:
        sol = schedule(problem, sequences, solver=solver)
    except ScheduleError as e:
        log.info("%s: routes cannot be timed (%s)", solver, e)
        return None
    bad = verify(problem, sol)
    if bad:
        log.warning("%s: %d violations, first: %s", solver, len(bad), bad[0])
        return None
    reasons = {s.id: diagnose(problem, s) for s in problem.shipments}
    dropped = tuple(Dropped(d.shipment, reasons[d.shipment]) for d in sol.dropped)
    return Solution(sol.routes, dropped, solver)


def solve(
    problem: Problem,
    time_limit: float = 10.0,
    seed: int = 0,
    use_seeds: bool = True,
    initial: Mapping[str, Sequence[Visit]] | None = None,
) -> Solution:
    """The cheapest verified solution found within `time_limit` seconds.

    `initial` (yesterday's plan, a draft) is a candidate and OR-Tools' starting point when VROOM
    has nothing better.  Always returns a verified solution; at worst every shipment is dropped,
    each with its reason.
    """
    t0 = time.monotonic()
    # Leave time to collect, re-time and verify the answers (about 1 % of the limit, >= 0.15 s).
    deadline = t0 + time_limit - max(0.15, 0.01 * time_limit)
    graph = build_graph(problem)
    candidates: list[Solution] = []
    start_routes: Mapping[str, Sequence[Visit]] | None = None
    if initial:
        s = timed(problem, initial, "initial")
        if s is not None:
            candidates.append(s)
    large = len(graph.nodes) > LARGE_NODES
    side_job: tuple[str, _Child] | None = None
    ortools_job: _Child | None = None
    if use_seeds and problem.shipments:
        if large and vroom_seed.AVAILABLE:
            # Large day: OR-Tools' own insertion beats VROOM here (600 nodes: 5.10 M vs 5.47 M
            # cost), and PyVRP found nothing feasible; VROOM runs beside it as the fallback.
            side_job = (
                "vroom",
                _Child.start(vroom_seed.solve_vroom, problem, graph, 0.5 * time_limit),
            )
        if not large and vroom_seed.AVAILABLE:
            # VROOM first, on both cores: its routes are the best start OR-Tools gets and on
            # mid-size days it is the strongest engine, but only given the CPU time it needs.
            vroom_end = t0 + 0.65 * time_limit
            job = _Child.start(
                vroom_seed.solve_vroom, problem, graph, 0.6 * time_limit, 2, 0.5 * time_limit
            )
            seq = job.result(vroom_end - time.monotonic(), "VROOM")
            s = None if seq is None else timed(problem, seq, "bokflyt/vroom")
            if s is not None:
                candidates.append(s)
        if not large and pyvrp_seed.AVAILABLE:
            # Then PyVRP beside OR-Tools.  Its iteration budget depends on the limit and the size
            # only (reproducible); the wall-clock cap is what is left.  PyVRP's own runtime limit
            # excludes building its data (~2.4 s at 600 nodes).
            setup = 2.5 * (len(graph.nodes) / 600) ** 2
            cap = 0.85 * (deadline - time.monotonic()) - setup
            if cap > 0.1:
                its = pyvrp_iterations(graph, 0.5 * time_limit)
                side_job = (
                    "pyvrp",
                    _Child.start(pyvrp_seed.solve_pyvrp, problem, graph, cap, seed, its),
                )
    if candidates:
        cheapest = min(candidates, key=lambda s: solution_cost(problem, s))
        start_routes = {
            r.van: [(x.shipment, x.kind, x.site) for x in r.stops] for r in cheapest.routes
        }
    if problem.shipments:
        budget = deadline - time.monotonic()
        if budget > 0.5:
            # OR-Tools checks its clock between steps and then has to hand its routes back.
            inner = 0.9 * budget - 0.2
            ortools_job = _Child.start(_ortools_sequences, problem, graph, inner, start_routes)
            seq = ortools_job.result(deadline - time.monotonic(), "OR-Tools")
            s = None if seq is None else timed(problem, seq, "bokflyt/ortools")
            if s is not None:
                candidates.append(s)
    if side_job is not None:
        name, job = side_job
        seq = job.result(deadline - time.monotonic(), name)
        s = None if seq is None else timed(problem, seq, f"bokflyt/{name}")
        if s is not None:
            candidates.append(s)
    if not candidates:
        reasons = tuple(Dropped(s.id, diagnose(problem, s)) for s in problem.shipments)
        return Solution((), reasons, "none")
    best = min(candidates, key=lambda s: solution_cost(problem, s))
    log.info(
        "best of %d candidates: %s, %d vans, cost %.3f, %.2f s",
        len(candidates),
        best.solver,
        best.vehicles,
        solution_cost(problem, best),
        time.monotonic() - t0,
    )
    return best


def pyvrp_iterations(graph: Graph, seconds: float) -> int:
    """A deterministic PyVRP iteration budget expected to take about `seconds` here."""
    return max(20, int(seconds * PYVRP_ITERATIONS_PER_SECOND_NODE / len(graph.nodes)))


def _ortools_sequences(
    problem: Problem,
    graph: Graph,
    budget: float,
    initial: Mapping[str, Sequence[Visit]] | None,
) -> Sequences | None:
    res = improve(problem, graph, budget, initial=initial)
    return None if res is None else res.sequences


def _run_child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        conn.send(fn(*args))
    except Exception as e:  # noqa: BLE001 - report any engine failure to the parent as None
        logging.getLogger(__name__).warning("engine %s failed: %s", fn.__name__, e)
        conn.send(None)
    finally:
        conn.close()


class _Child:
    """One engine run in a child process, stopped if it has not answered by its deadline."""

    def __init__(self, proc: Any, conn: Connection) -> None:
        self.proc, self.conn = proc, conn

    @classmethod
    def start(cls, fn: Callable[..., Any], *args: Any) -> _Child:
        methods = multiprocessing.get_all_start_methods()
        ctx: Any = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_run_child, args=(child, fn, args), daemon=True)
        proc.start()
        child.close()
        return cls(proc, parent)

    def result(self, wait: float, name: str) -> Sequences | None:
        try:
            if self.conn.poll(max(0.0, wait)):
                got: Sequences | None = self.conn.recv()
                return got
            log.warning("%s did not answer in time; stopped", name)
            return None
        except EOFError:
            log.warning("%s ended without an answer", name)
            return None
        finally:
            if self.proc.is_alive():
                self.proc.terminate()
            self.proc.join(1.0)
            self.conn.close()
