"""The objective of a solution in the problem's own (float) units.

Every backend optimises an integer image of this; comparing candidates here, on the float
values, is what decides which answer is returned.
"""

from __future__ import annotations

from transport.problem import Problem, Solution


def route_distance(problem: Problem, solution: Solution) -> float:
    """Total distance driven, depot to depot, unrounded."""
    dist = problem.distance_matrix()
    idx = problem.site_index()
    vans = {v.id: v for v in problem.vans}
    total = 0.0
    for r in solution.routes:
        if not r.stops:
            continue
        van = vans[r.van]
        path = [van.start, *(s.site for s in r.stops), van.end]
        total += sum(dist[idx[a]][idx[b]] for a, b in zip(path, path[1:], strict=False))
    return total


def route_travel_time(problem: Problem, solution: Solution) -> float:
    """Total driving time (travel only: no service, waiting or break)."""
    dur = problem.duration_matrix()
    idx = problem.site_index()
    vans = {v.id: v for v in problem.vans}
    total = 0.0
    for r in solution.routes:
        if not r.stops:
            continue
        van = vans[r.van]
        path = [van.start, *(s.site for s in r.stops), van.end]
        total += sum(dur[idx[a]][idx[b]] for a, b in zip(path, path[1:], strict=False))
    return total


def solution_cost(problem: Problem, solution: Solution) -> float:
    """Fixed cost of vans used + weighted time and distance + penalties of dropped shipments."""
    o = problem.objective
    vans = {v.id: v for v in problem.vans}
    fixed = sum(vans[r.van].fixed_cost for r in solution.routes if r.stops)
    ships = {s.id: s for s in problem.shipments}
    penalty = sum(problem.drop_penalty(ships[d.shipment]) for d in solution.dropped)
    return (
        fixed
        + o.time_weight * route_travel_time(problem, solution)
        + o.distance_weight * route_distance(problem, solution)
        + penalty
    )
