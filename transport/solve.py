"""The solver as the product uses it: seeds, OR-Tools, verification, the best verified answer.

The answer depends only on (problem, seed, limit), not on the machine's load: every engine runs
a deterministic work budget derived from the limit and the problem's size, calibrated so that it
normally finishes well within the limit on a two-core machine (`CPU_SHARE`, `cpu_share`):

1. VROOM (optional) builds routes on both cores at the exploration level that fits
   `VROOM_CPU` x limit CPU seconds — about a second on a hundred tasks;
2. then, side by side, PyVRP (optional, two runs with seeds `seed` and `seed + 1`) searches
   from the cheapest routes so far (VROOM's) for a budget of work (`pyvrp.WorkMeter`) — it
   only ever keeps a cheaper feasible solution, so it never ends behind VROOM — and OR-Tools
   (`transport.model`) improves the same routes for a number of search branches; OR-Tools is
   the only engine that models everything (several windows per site, breaks, "any copy"
   pickups).  All start from routes fixed before any of them runs, so none depends on which
   engine answered first.

Where PyVRP's model is the whole problem (`pyvrp_exact`: one window per site, no breaks, no
alternative pickups — the Li & Lim instances, plain days) OR-Tools from VROOM's routes never
won, while PyVRP kept improving with more iterations, so there PyVRP gets both cores and
OR-Tools does not run (`exact_plan`): after a quick VROOM pass that sizes it, PyVRP from
scratch (seed `seed + 1`) runs on one core to the end, while VROOM runs on the other, followed
by PyVRP from the cheapest routes so far.  Two runs from VROOM's routes were both stuck on them
on some instances (on a fresh 100-task lrc2 both ended 3.6 % behind PyVRP from scratch), and a
run from scratch started after VROOM and beside OR-Tools got half the iterations of the
benchmark's reference PyVRP.

The wall clock stays only as the safety net that guarantees the limit: each engine runs in a
child process that is stopped at its deadline (neither VROOM nor OR-Tools' first-solution
construction reliably honours a time limit on large days), and each has its own clock limit
inside.  When the clock, not the budget, ended an engine, the answer depends on the load that
time: a warning says so and `Outcome.clock_cut` names the engines.

On large days (more than `LARGE_NODES` routing nodes) PyVRP found nothing feasible within 10 s
and VROOM's routes were a worse start than OR-Tools' own insertion, so there OR-Tools builds its
own first solution while VROOM runs beside it as a fallback candidate.

Every candidate is re-timed by `transport.schedule` and must pass `transport.verify`; the cheapest
by `transport.cost.solution_cost` is returned, so the best verified seed is always kept.  Without
pyvroom and pyvrp the solver still works, from OR-Tools' own first solution, only less well.
Dropped shipments get a reason: an obviously impossible request (larger than every van, a site
closed during every shift) says so.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

from transport.cost import solution_cost
from transport.graph import Graph, build_graph
from transport.model import default_branch_limit, improve
from transport.problem import Dropped, Problem, Shipment, Solution, Van
from transport.schedule import ScheduleError, Visit, schedule
from transport.seeds import SeedRoutes
from transport.seeds import pyvrp as pyvrp_seed
from transport.seeds import vroom as vroom_seed
from transport.verify import verify

log = logging.getLogger(__name__)

Sequences = dict[str, list[Visit]]

LARGE_NODES = 300
"""Above this many routing nodes PyVRP is skipped and VROOM runs beside OR-Tools (see solve)."""

CPU_SHARE = 0.55
"""The share of a core each engine is assumed to get, so that its work budget normally finishes
within the limit: PyVRP twice and OR-Tools search side by side, three processes on two cores, so
an engine gets about 0.67 of a core on an idle machine. At 0.4 the solver finished 10 s runs in
4-5 s on an idle machine, leaving time unused (15 of 17 instances held the benchmark target);
at 0.55 it takes 4-8 s (16-17 of 17). At load 7-11 (four people testing and benchmarking on
the same two cores) an engine got only 0.08-0.25 of a core; there 0.15 never let the clock cut
a 10 s run. A machine shared like that sets `BOKFLYT_SOLVER_CPU_SHARE` (see `cpu_share`); a cut
run is logged and reported anyway.  Where PyVRP leads (`pyvrp_exact`) its two runs are sized
for `EXACT_CORE_SHARE` times this."""

CPU_SHARE_ENV = "BOKFLYT_SOLVER_CPU_SHARE"


def cpu_share() -> float:
    """`CPU_SHARE`, or the environment's override (a number in (0, 4]); a bad value is an error
    rather than a silent default, because it changes every answer."""
    raw = os.environ.get(CPU_SHARE_ENV)
    if raw is None:
        return CPU_SHARE
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{CPU_SHARE_ENV}={raw!r} is not a number") from None
    if not 0 < value <= 4:
        raise ValueError(f"{CPU_SHARE_ENV}={raw!r} must be in (0, 4]")
    return value


VROOM_CPU = 0.75
"""CPU seconds per second of limit that VROOM's exploration level is sized for, both threads
together (it runs first, alone but for PyVRP's run from scratch where PyVRP leads): at 10 s
the level the benchmark's own VROOM reaches with the whole limit (level 5) up to ~240 nodes,
so the solver starts from routes at least that good (at 0.2 a 241-node day got level 2 and
lost to the reference VROOM by 4 %)."""

PYVRP_CAP_SHARE = 0.98
"""The part of the time left that a PyVRP run's wall-clock cap may take (see `_pyvrp_cap`).
It was 0.8 of it, less three times the time to build PyVRP's data: at 10 s and 100 tasks, a
run started after VROOM (~1 s) got 6.6 s, below the 7.3 CPU seconds it was sized for; at 0.95
less twice that time the run from scratch on a 200-task lrc1 was cut at 8.2 s."""

SEARCH_SHARE = 0.45
"""The part of the limit OR-Tools' budget is sized for where it leads (it runs after VROOM,
which takes up to ~0.4 of the limit on two cores, beside two PyVRP runs)."""

EXACT_CORE_SHARE = 1.45
"""How much of a core each PyVRP run is sized for where PyVRP leads (`pyvrp_exact`), as a
multiple of `cpu_share` (0.8 at the default): two engines alone on two cores, with room for
the error of PyVRP's work estimate (`pyvrp.WORK_NS`: CPU time up to 1.08 x the estimate on
runs alone, a few per cent more with two side by side), so that a run stops on its budget,
not its cap (at 0.825 the run from scratch on the 120-shipment day took 1.21 x its estimate
once, beside VROOM and the other run, and was cut).  With budgets counted in iterations it
was 0.88, but the runs took only 0.62-0.98 of it (median 0.78) and ended at 6-8 s of 10."""

GENERAL_CORE_SHARE = 1.0
"""How much of a core each PyVRP run is sized for where OR-Tools leads, as a multiple of
`cpu_share` (0.55 at the default), for the time VROOM leaves (`search_budgets`): two PyVRP
runs and OR-Tools share the two cores, OR-Tools for its own smaller budget (at 1.2, with
OR-Tools building its own first solution on a day with breaks, a PyVRP run was cut).  Sized at
`SEARCH_SHARE` of the limit like OR-Tools, the runs ended at 3-5 s of 10 on Bærum days with
breaks, where OR-Tools found nothing from VROOM's routes in 0.3-1.1 s.  Sized so, and with
OR-Tools building a first solution of its own there (`model.FIRST_SOLUTION_BRANCHES`), the
runs end at 7-8 s and the plans cost 1.8 %, 7.4 % and 21.6 % less (40, 80 and 120 shipments,
seed 1: 24,062 -> 23,639, 37,821 -> 35,029, 1,165,417 -> 914,068)."""

SEARCH_OVERHEAD = 0.75
"""Wall seconds of any run in which no engine searches: the deadline's margin (at least 0.25 s),
the engines' caps' margins, starting them and building PyVRP's data.  Left out of the limit
before the PyVRP budgets are sized, so that at short limits a run is no bigger than the time
there is (1.5 s: ~0.6 CPU seconds)."""

PYVRP_RUNS = 2
"""PyVRP searches side by side from the cheapest routes so far, with seeds `seed`, `seed + 1`,
... where OR-Tools leads (see `exact_plan` for where PyVRP leads)."""

QUICK_LEVEL = 0
"""The VROOM exploration level of the quick pass that starts an exact plan (`exact_plan`):
0.03-0.08 s on one core at 100-200 tasks, with routes within a route of VROOM's best: they tell
whether every shipment fits (see `ROUTED_ALL_VROOM_SHARE`) and are a candidate of their own."""

ROUTED_ALL_VROOM_SHARE = 0.15
"""The part of the limit VROOM's level is sized for where the quick pass routes every shipment
(`exact_plan`): level 5 up to ~130 nodes at 10 s, level 3 at 200.  There VROOM's routes are
mostly PyVRP's start: on 14 Li & Lim instances at 10 s PyVRP's reference was as good as
VROOM's level 5 on 13 (better on 6) and behind on one by 0.05 in distance, lr1_2_1, which
level 3 solves to the best known in 1.0 s; at 200 tasks level 5 took 0.8-2.2 s more of the
other core than level 3.  At 100 tasks level 5 costs ~0.5-1.2 s, and capped at level 3 there
bokflyt lost to the reference VROOM (level 5) on gen-lr1-100-30 by 0.0005 in distance.
Where shipments are dropped VROOM is the engine that counts (a 120-shipment day: PyVRP 31 %
behind VROOM; level 4 there was 4 % behind level 5), so it gets the level that fits."""

LONG_RUN_SLOWDOWN = 0.008
"""Per second of limit beyond 10 s: see `long_run_factor`."""

VROOM_WALL_SLACK = 1.3
"""Wall seconds per expected CPU second of VROOM on one thread (`vroom.level_seconds`): its table
is low by up to 30 % on some instances (lc1 with 200 tasks, level 5: 4.21 s against 3.25)."""


def pyvrp_exact(problem: Problem) -> bool:
    """True when PyVRP's model is the whole problem: at most one time window per site, no van
    breaks, no alternative pickups (PyVRP is given the hull of the windows, no break and the
    preferred pickup, so elsewhere its routes may fail verification or miss better copies)."""
    return (
        all(len(s.time_windows) <= 1 for s in problem.sites)
        and all(v.break_ is None for v in problem.vans)
        and not any(s.alternatives for s in problem.shipments)
    )


@dataclass(frozen=True)
class Budgets:
    """CPU seconds of work for each PyVRP run from the cheapest routes so far and for OR-Tools'
    search (before `route_stretch`), where OR-Tools leads."""

    pyvrp: float
    ortools: float


def search_budgets(time_limit: float, share: float, nodes: int) -> Budgets:
    """OR-Tools' budget is `SEARCH_SHARE` of the limit; each PyVRP run's is
    `GENERAL_CORE_SHARE` of a core for the time VROOM is expected to leave (its level's CPU
    seconds on its two threads, with `VROOM_WALL_SLACK`), from the size and limit only."""
    even = share * SEARCH_SHARE * time_limit
    level = vroom_seed.exploration_level(nodes, VROOM_CPU * time_limit)
    vroom_wall = VROOM_WALL_SLACK * vroom_seed.level_seconds(nodes, level) / 2
    window = max(0.0, time_limit - SEARCH_OVERHEAD - vroom_wall)
    pyvrp = GENERAL_CORE_SHARE * share * window / long_run_factor(time_limit)
    return Budgets(pyvrp, even)


@dataclass(frozen=True)
class ExactPlan:
    """Where PyVRP leads: VROOM's exploration level and the CPU seconds of the PyVRP run from
    scratch (`cold`) and of the run from VROOM's routes (`warm`), each alone on a core."""

    level: int
    cold: float
    warm: float


def exact_plan(nodes: int, time_limit: float, share: float, drops: bool = True) -> ExactPlan:
    """The work budgets where PyVRP models the whole problem (`pyvrp_exact`), from the size and
    the limit only, so that the answer does not depend on the machine's load.

    One core: a quick VROOM pass (`QUICK_LEVEL`), then PyVRP from scratch to the end.  The
    other: VROOM at the level that fits `VROOM_CPU` of the limit, on one thread, then PyVRP
    from the cheapest routes so far to the end.  OR-Tools does not run: from VROOM's routes it
    never beat PyVRP here, and its small budget cost each PyVRP run about a CPU second (three
    busy processes on two cores).

    The run from scratch is the one the benchmark's reference PyVRP is measured against: it
    used to start after VROOM and beside OR-Tools and got ~48 % of the reference's iterations
    on a 200-task lrc1 (3,547 against 7,364, both cut by their cap); started at once it gets
    `EXACT_CORE_SHARE` x `share` of a core for nearly the whole limit.

    VROOM's level: where the quick pass routes every shipment (`drops` false: a Li & Lim
    instance, a day with room for everything) what fits `ROUTED_ALL_VROOM_SHARE` of the
    limit, else what fits `VROOM_CPU` of it.
    """
    core = EXACT_CORE_SHARE * share
    window = max(0.0, time_limit - SEARCH_OVERHEAD - quick_seconds(nodes))
    level = vroom_seed.exploration_level(nodes, VROOM_CPU * time_limit)
    if not drops:
        fits = [
            lvl
            for lvl in range(1, level + 1)
            if vroom_seed.level_seconds(nodes, lvl) <= ROUTED_ALL_VROOM_SHARE * time_limit
        ]
        level = max(fits, default=1)
    vroom_wall = VROOM_WALL_SLACK * vroom_seed.level_seconds(nodes, level) / core
    search = core / long_run_factor(time_limit)  # VROOM's own time does not grow so
    return ExactPlan(level, search * window, search * max(0.0, window - vroom_wall))


def long_run_factor(time_limit: float) -> float:
    """How much dearer PyVRP's moves are on average in a run longer than 10 s than the work
    estimate says (`pyvrp.WORK_NS`, fitted on runs of 2-8 s).  At 60 s with a factor of 1.2
    the run from scratch on lc101 took 57.3 s for 40.5 estimated seconds (1.41 x) and was cut
    by its cap; the runs on lr101, lc1_2_1, lr1_2_1 and lrc101 ended on their budgets at
    41-57 s.  At 1.4 the lc101 run fits."""
    return 1.0 + LONG_RUN_SLOWDOWN * max(0.0, time_limit - 10.0)


def quick_seconds(nodes: int) -> float:
    """Wall seconds the quick VROOM pass is allowed for (`QUICK_LEVEL`): 0.05 s for starting it
    and 0.8 s per 600 nodes squared (0.08 s measured at 201)."""
    return 0.05 + 0.8 * (nodes / 600) ** 2


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


@dataclass(frozen=True)
class Outcome:
    """The answer, and the engines whose wall-clock safety net ended them (empty: the answer
    depends only on problem, seed and limit)."""

    solution: Solution
    clock_cut: tuple[str, ...] = ()


def solve(
    problem: Problem,
    time_limit: float = 10.0,
    seed: int = 0,
    use_seeds: bool = True,
    initial: Mapping[str, Sequence[Visit]] | None = None,
) -> Solution:
    """The cheapest verified solution found within `time_limit` seconds (see `solve_outcome`)."""
    return solve_outcome(problem, time_limit, seed, use_seeds, initial).solution


def solve_outcome(
    problem: Problem,
    time_limit: float = 10.0,
    seed: int = 0,
    use_seeds: bool = True,
    initial: Mapping[str, Sequence[Visit]] | None = None,
) -> Outcome:
    """The cheapest verified solution found within `time_limit` seconds, and what cut it short.

    `initial` (yesterday's plan, a draft) is a candidate and the engines' starting point when
    VROOM has nothing better.  Always returns a verified solution; at worst every shipment is
    dropped, each with its reason.
    """
    t0 = time.monotonic()
    share = cpu_share()
    # Leave time to stop the engines and to re-time and verify their answers (2 % of the limit,
    # at least 0.25 s: with 0.15 s a 2 s limit was overrun on a machine at load 10).
    deadline = t0 + time_limit - max(0.25, 0.02 * time_limit)
    graph = build_graph(problem)
    nodes = len(graph.nodes)
    candidates: list[Solution] = []
    cuts: list[str] = []
    if initial:
        s = timed(problem, initial, "initial")
        if s is not None:
            candidates.append(s)
    large = nodes > LARGE_NODES
    seeds = use_seeds and bool(problem.shipments)
    use_vroom = seeds and vroom_seed.AVAILABLE
    use_pyvrp = seeds and not large and pyvrp_seed.AVAILABLE
    run = _Run(problem, graph, time_limit, deadline, seed, share, candidates, cuts)
    if use_vroom and use_pyvrp and pyvrp_exact(problem):
        _exact_search(run)
    else:
        _general_search(run, use_vroom, use_pyvrp)
    if not candidates:
        reasons = tuple(Dropped(s.id, diagnose(problem, s)) for s in problem.shipments)
        return Outcome(Solution((), reasons, "none"), tuple(cuts))
    best = min(candidates, key=lambda s: solution_cost(problem, s))
    log.info(
        "best of %d candidates: %s, %d vans, cost %.3f, %.2f s%s",
        len(candidates),
        best.solver,
        best.vehicles,
        solution_cost(problem, best),
        time.monotonic() - t0,
        f"; cut by the wall clock: {', '.join(cuts)}" if cuts else "",
    )
    return Outcome(best, tuple(cuts))


@dataclass(frozen=True)
class _Run:
    """One solve: the problem, its limits, and the verified candidates and clock cuts that the
    engines have handed in so far."""

    problem: Problem
    graph: Graph
    time_limit: float
    deadline: float
    seed: int
    share: float
    candidates: list[Solution]
    cuts: list[str]


def _exact_search(run: _Run) -> None:
    """Where PyVRP models the whole problem: the two cores as `exact_plan` lays them out."""
    problem, graph, time_limit, deadline = run.problem, run.graph, run.time_limit, run.deadline
    seed, share, candidates, cuts = run.seed, run.share, run.candidates, run.cuts
    t0 = time.monotonic()
    nodes = len(graph.nodes)
    quick_wait = quick_seconds(nodes) + 0.02 * time_limit
    job = _Child.start(vroom_seed.solve_vroom, problem, graph, None, 1, None, QUICK_LEVEL)
    got = job.result(quick_wait + 0.1, "VROOM (quick)")
    _collect(problem, got, "vroom-quick", candidates, cuts)
    quick = got.sequences if isinstance(got, SeedRoutes) else None
    drops = quick is None or unrouted_stops(quick, nodes) > 0
    plan = exact_plan(nodes, time_limit, share, drops)
    side_jobs: list[tuple[str, _Child]] = []
    cap = _pyvrp_cap(deadline, nodes)
    if plan.cold <= 0:
        log.info("no PyVRP run from scratch: the limit leaves no time for it")
    elif cap > 0.1:
        # Seed + 1: the benchmark's reference PyVRP runs with the seed itself, and a copy of
        # its search would prove nothing.
        job = _Child.start(
            pyvrp_seed.solve_pyvrp, problem, graph, cap, seed + 1, plan.cold, None, True
        )
        side_jobs.append(("pyvrp-cold", job))
    else:
        _clock_cut(cuts, "pyvrp-cold", "no time left to start it")
    # No timeout of VROOM's own: it splits a timeout between its searches, each of which then
    # stops early; on one thread at 10 s that lost 4 % on a 120-shipment day though VROOM
    # finished in 5.3 s.  The level is its budget; being stopped here is the safety net.
    job = _Child.start(vroom_seed.solve_vroom, problem, graph, None, 1, None, plan.level)
    got = job.result(min(t0 + 0.8 * time_limit, deadline) - time.monotonic(), "VROOM")
    _collect(problem, got, "vroom", candidates, cuts)
    start_routes = _cheapest_routes(problem, candidates)
    cap = _pyvrp_cap(deadline, nodes)
    if not start_routes or plan.warm <= 0:
        log.info("no PyVRP run from VROOM's routes: no routes, or the limit leaves no time")
    elif cap > 0.1:
        job = _Child.start(
            pyvrp_seed.solve_pyvrp, problem, graph, cap, seed, plan.warm, start_routes, True
        )
        side_jobs.append(("pyvrp", job))
    else:
        _clock_cut(cuts, "pyvrp", "no time left to start it")
    _gather(problem, side_jobs, deadline, candidates, cuts)


def _general_search(run: _Run, use_vroom: bool, use_pyvrp: bool) -> None:
    """VROOM, then PyVRP twice from the cheapest routes so far beside OR-Tools, which leads here:
    it is the only engine that models everything (several windows, breaks, any-copy pickups)."""
    problem, graph, time_limit, deadline = run.problem, run.graph, run.time_limit, run.deadline
    seed, share, candidates, cuts = run.seed, run.share, run.candidates, run.cuts
    t0 = time.monotonic()
    nodes = len(graph.nodes)
    large = nodes > LARGE_NODES
    budgets = search_budgets(time_limit, share, nodes)
    side_jobs: list[tuple[str, _Child]] = []
    if use_vroom:
        if large:
            # Large day: OR-Tools' own insertion beats VROOM here (600 nodes: 5.10 M vs 5.47 M
            # cost), and PyVRP found nothing feasible; VROOM runs beside it as the fallback.
            # It has until the deadline (level 1 at 600 nodes: ~2.4 CPU seconds).
            job = _Child.start(vroom_seed.solve_vroom, problem, graph, 0.85 * time_limit)
            side_jobs.append(("vroom", job))
        else:
            # VROOM first, on both cores: its routes are the best start the others get and on
            # mid-size days it is the strongest engine, but only given the CPU time it needs.
            # No timeout of its own (see `_exact_search`): the wait below is the safety net.
            job = _Child.start(
                vroom_seed.solve_vroom, problem, graph, None, 2, VROOM_CPU * time_limit
            )
            got = job.result(t0 + 0.55 * time_limit - time.monotonic(), "VROOM")
            _collect(problem, got, "vroom", candidates, cuts)
    start_routes = _cheapest_routes(problem, candidates)
    stretch = route_stretch(start_routes, nodes)
    if use_pyvrp:
        # PyVRP beside OR-Tools.  Its work budget depends on the limit only; its wall-clock
        # cap is what is left, with a margin: stopped by its cap it still answers, stopped at
        # the parent's deadline it does not.
        # Two runs with different seeds: independent searches from one start differ most in
        # distance.
        cap = _pyvrp_cap(deadline, nodes)
        for k in range(PYVRP_RUNS):
            name = "pyvrp" if k == 0 else f"pyvrp{k + 1}"
            if cap > 0.1:
                job = _Child.start(
                    pyvrp_seed.solve_pyvrp,
                    *(problem, graph, cap, seed + k, budgets.pyvrp, start_routes, True),
                )
                side_jobs.append((name, job))
            else:
                _clock_cut(cuts, name, "no time left to start it")
    if problem.shipments:
        inner = 0.9 * (deadline - time.monotonic()) - 0.2
        if inner > 0.3:
            # OR-Tools checks its clock between steps and then has to hand its routes back.
            branches = default_branch_limit(budgets.ortools / stretch, nodes)
            job = _Child.start(_ortools_sequences, problem, graph, inner, start_routes, branches)
            got = job.result(deadline - time.monotonic(), "OR-Tools")
            _collect(problem, got, "ortools", candidates, cuts)
        else:
            _clock_cut(cuts, "ortools", "no time left to start it")
    _gather(problem, side_jobs, deadline, candidates, cuts)


def canonical_vans(problem: Problem, sequences: Mapping[str, Sequence[Visit]]) -> Sequences:
    """The same routes, with those of interchangeable vans (alike in all but their id) handed
    to them in a fixed order: by the routes' stops, to the vans in the problem's order.

    VROOM's search is deterministic, but which of several equally good answers it returns
    depends on which of its threads finishes first (VROOM-Project/vroom#145): on a 40-task
    Li & Lim-style instance 10 of 30 runs gave the same routes on other vans, and the same
    problem and seed gave another plan.  Engines' answers pass through here, so which alike
    van drives which route no longer depends on that."""
    groups: dict[Van, list[str]] = {}
    for v in problem.vans:
        groups.setdefault(replace(v, id=""), []).append(v.id)
    out: Sequences = {}
    for ids in groups.values():
        routes = sorted(
            (list(sequences[i]) for i in ids if sequences.get(i)), key=lambda r: repr(r)
        )
        for van_id, route in zip(ids, routes, strict=False):
            out[van_id] = route
    known = {v.id for v in problem.vans}
    out.update({k: list(r) for k, r in sequences.items() if k not in known})  # timed() rejects
    return out


def _cheapest_routes(problem: Problem, candidates: list[Solution]) -> Sequences | None:
    """The routes of the cheapest candidate so far: the start the next engines get."""
    return _routes_of(min(candidates, key=lambda s: solution_cost(problem, s), default=None))


def _gather(
    problem: Problem,
    side_jobs: list[tuple[str, _Child]],
    deadline: float,
    candidates: list[Solution],
    cuts: list[str],
) -> None:
    """Wait for the engines running beside the plan (until the deadline) and collect them."""
    for name, job in side_jobs:
        got = job.result(deadline - time.monotonic(), name)
        _collect(problem, got, name, candidates, cuts)


def _routes_of(solution: Solution | None) -> Sequences | None:
    if solution is None:
        return None
    return {r.van: [(x.shipment, x.kind, x.site) for x in r.stops] for r in solution.routes}


def _clock_cut(cuts: list[str], name: str, why: str) -> None:
    log.warning("%s: %s; the answer depends on the machine's load this time", name, why)
    cuts.append(name)


def _collect(
    problem: Problem,
    got: SeedRoutes | None | _Late,
    name: str,
    candidates: list[Solution],
    cuts: list[str],
) -> None:
    """Add an engine's verified routes to the candidates and note a cut by the clock."""
    if isinstance(got, _Late):
        _clock_cut(cuts, name, "stopped at its deadline")
        return
    if got is None:
        return
    if got.clock_cut:
        cuts.append(name)
        if not got.sequences:
            return
    s = timed(problem, canonical_vans(problem, got.sequences), f"bokflyt/{name}")
    if s is not None:
        candidates.append(s)


def _pyvrp_cap(deadline: float, nodes: int) -> float:
    """A PyVRP run's wall-clock cap: the time left less building its data (PyVRP's own runtime
    excludes it; ~2.4 s at 600 nodes, 1.5 times that allowed) and a margin to hand its routes back.
    Stopped by its cap a run still answers; stopped at the parent's deadline it does not."""
    setup = 2.5 * (nodes / 600) ** 2
    return PYVRP_CAP_SHARE * (deadline - time.monotonic()) - 1.5 * setup - 0.2


def route_stretch(start: Mapping[str, Sequence[Visit]] | None, nodes: int) -> float:
    """How much dearer a search step is than on Li & Lim-like routes of ten stops.

    Local search moves cost more on long routes: a PyVRP iteration took ~1 ms at 107 nodes on
    routes of 7 stops (lrc101), 10-13 ms at 241 nodes on routes of 60 (a Bærum day).  Taken from
    the routes every engine starts from, so it is the same every run.
    """
    routes = [seq for seq in (start or {}).values() if seq]
    if not routes:
        return max(1.0, nodes / 10 / 10)
    return max(1.0, sum(len(r) for r in routes) / len(routes) / 10)


def unrouted_stops(start: Mapping[str, Sequence[Visit]] | None, nodes: int) -> int:
    """Routing nodes (depot aside) that the starting routes leave out: dropped shipments."""
    if not start:
        return 0
    return max(0, nodes - 1 - sum(len(seq) for seq in start.values()))


def _ortools_sequences(
    problem: Problem,
    graph: Graph,
    budget: float,
    initial: Mapping[str, Sequence[Visit]] | None,
    branches: int,
) -> SeedRoutes | None:
    began = time.monotonic()
    res = improve(problem, graph, budget, initial=initial, branch_limit=branches)
    if res is None:
        # Nothing found: by the clock (no routes, but a cut to report) or by the budget.
        cut = time.monotonic() - began >= 0.95 * budget
        return SeedRoutes({}, True) if cut else None
    return SeedRoutes(res.sequences, res.clock_cut)


def _run_child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        conn.send(fn(*args))
    except Exception as e:  # noqa: BLE001 - report any engine failure to the parent as None
        logging.getLogger(__name__).warning("engine %s failed: %s", fn.__name__, e)
        conn.send(None)
    finally:
        conn.close()


class _Late:
    """An engine stopped at its deadline before it answered."""


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

    def result(self, wait: float, name: str) -> SeedRoutes | None | _Late:
        """The engine's answer, or `_Late` if it had none by `wait` seconds from now."""
        try:
            if self.conn.poll(max(0.0, wait)):
                got: SeedRoutes | None = self.conn.recv()
                return got
            log.warning("%s did not answer in time; stopped", name)
            return _Late()
        except EOFError:
            log.warning("%s ended without an answer", name)
            return None
        finally:
            if self.proc.is_alive():
                self.proc.kill()  # pure computation: nothing to clean up, and no waiting
            self.proc.join(1.0)
            self.conn.close()
