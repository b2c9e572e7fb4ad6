"""VROOM (pyvroom) as a source of first routes; optional, the only module that imports `vroom`.

VROOM finds a good pickup-and-delivery solution in well under a second on a hundred tasks, which
OR-Tools' own construction does not.  Its model is made a little stricter than ours (the per-stop
time is charged on every job), so its routes are feasible for us; they are re-timed and verified
by the caller anyway.  Alternative pickups are not offered to VROOM: it uses the preferred one.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from transport.graph import COST_SCALE, Graph
from transport.problem import Problem
from transport.seeds import SeedRoutes

log = logging.getLogger(__name__)

try:  # pragma: no cover - depends on the environment
    import vroom

    AVAILABLE = True
except ImportError:  # pragma: no cover
    AVAILABLE = False


# CPU seconds VROOM takes at each exploration level at 600 nodes here, scaled from lr1_2_1
# (211 nodes: 0.72, 1.57, 2.09, 3.61 s at levels 2-5) and a 600-node day; time grows ~ nodes^2.
_LEVEL_SECONDS_AT_600 = {1: 2.4, 2: 5.8, 3: 12.7, 4: 17.0, 5: 29.0}


def level_seconds(nodes: int, level: int) -> float:
    """The CPU seconds `level` is expected to take at `nodes` (the table, without the margin
    `exploration_level` adds): what a plan that runs something after VROOM has to leave it."""
    return _LEVEL_SECONDS_AT_600[level] * (nodes / 600) ** 2


def exploration_level(nodes: int, timeout: float | None) -> int:
    """The highest exploration level expected to finish within `timeout` CPU seconds (>= 1).

    VROOM does not stop reliably at its timeout on large inputs, so the level is chosen to fit;
    the level is VROOM's work budget, so the same input gives the same routes.
    """
    if timeout is None:
        return 5
    fits = [
        lvl for lvl, s in _LEVEL_SECONDS_AT_600.items() if 1.5 * s * (nodes / 600) ** 2 <= timeout
    ]
    return max(fits, default=1)


def solve_vroom(
    problem: Problem,
    graph: Graph,
    timeout: float | None,
    threads: int = 1,
    level_budget: float | None = None,
    level: int | None = None,
) -> SeedRoutes | None:
    """Sequences per van id from VROOM, or None when pyvroom is missing or VROOM fails.

    The exploration level, `level` or chosen to fit `level_budget` seconds (default: `timeout`),
    is the work budget: VROOM finishes it and gives the same routes every time (though not
    always on the same one of several identical vans: see `transport.solve.canonical_vans`).
    Its own `timeout` is the safety net on a busy machine; when it ends the search the routes
    say so (`clock_cut`).  VROOM shares a timeout out between its searches, so a timeout short of
    what the level needs cuts searches even when the whole ends well before it: without a
    timeout, a caller's own deadline is the only safety net.
    """
    if not AVAILABLE:
        log.info("pyvroom not installed; no VROOM seed")
        return None
    t0 = time.monotonic()
    scale = graph.time_scale
    idx = problem.site_index()
    inp = vroom.Input()
    inp.set_durations_matrix("car", graph.site_travel(problem))
    inp.set_costs_matrix("car", graph.site_cost(problem))
    for k, v in enumerate(problem.vans):
        breaks = []
        if v.break_ is not None:
            b = v.break_
            breaks.append(
                vroom.Break(
                    id=1,
                    time_windows=[
                        vroom.TimeWindow(
                            graph.scale_time_up(b.earliest), graph.scale_time_down(b.latest)
                        )
                    ],
                    service=graph.scale_time_up(b.duration),
                )
            )
        inp.add_vehicle(
            vroom.Vehicle(
                id=k,
                start=idx[v.start],
                end=idx[v.end],
                capacity=vroom.Amount([v.capacity]),
                time_window=vroom.TimeWindow(
                    graph.scale_time_up(v.shift.start), graph.scale_time_down(v.shift.end)
                ),
                breaks=breaks,
                costs=vroom.VehicleCosts(fixed=round(v.fixed_cost * COST_SCALE)),
            )
        )

    def step(site_id: str, size: int, job_id: int) -> vroom.ShipmentStep:
        site = problem.sites[idx[site_id]]
        service = graph.scale_time_up(site.service_time + site.service_per_crate * size)
        tws = [
            vroom.TimeWindow(graph.scale_time_up(w.start), graph.scale_time_down(w.end))
            for w in site.time_windows
        ]
        return vroom.ShipmentStep(
            id=job_id, location=idx[site_id], default_service=service, time_windows=tws
        )

    for si, s in enumerate(problem.shipments):
        prio = min(100, s.priority * 10 + s.age)
        inp.add_shipment(
            pickup=step(s.pickup, s.size, 2 * si),
            delivery=step(s.delivery, s.size, 2 * si + 1),
            amount=vroom.Amount([s.size]),
            priority=prio,
        )
    if level is None:
        level = exploration_level(len(graph.nodes), level_budget or timeout)
    try:
        sol = inp.solve(
            exploration_level=level,
            nb_threads=threads,
            timeout=None if timeout is None else timedelta(seconds=max(timeout, 0.01)),
        )
    except Exception as e:  # noqa: BLE001 - VROOM raises plain RuntimeErrors
        log.warning("VROOM failed: %s", e)
        return None
    elapsed = time.monotonic() - t0
    # VROOM's clock starts with its input, ours a little later: a generous threshold, so that a
    # search its timeout ended is never passed off as finished (lr1_2_1 at load 10 was).
    cut = timeout is not None and elapsed >= 0.8 * timeout
    routes = sol.routes
    out: dict[str, list[tuple[str, str, str]]] = {}
    for row in routes.itertuples():
        if row.type not in ("pickup", "delivery"):
            continue
        van = problem.vans[int(row.vehicle_id)]
        ship = problem.shipments[int(row.id) // 2]
        site = ship.pickup if row.type == "pickup" else ship.delivery
        out.setdefault(van.id, []).append((ship.id, str(row.type), site))
    log.log(
        logging.WARNING if cut else logging.INFO,
        "VROOM: %d routes (level %d, time scale %g) in %.2f s%s",
        len(out),
        level,
        scale,
        elapsed,
        " - stopped by its timeout, answer depends on load" if cut else "",
    )
    return SeedRoutes(out, cut)
