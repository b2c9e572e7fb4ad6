"""The objective of a solution in the problem's own (float) units.

Every backend optimises an integer image of this; comparing candidates here, on the float
values, is what decides which answer is returned.
"""

from __future__ import annotations

from transport.problem import Problem, Solution


def _along_routes(problem: Problem, solution: Solution, matrix: list[list[float]]) -> float:
    """`matrix` summed over every leg driven, depot to depot (vans without stops stay home)."""
    idx = problem.site_index()
    vans = {v.id: v for v in problem.vans}
    total = 0.0
    for r in solution.routes:
        if not r.stops:
            continue
        van = vans[r.van]
        path = [van.start, *(s.site for s in r.stops), van.end]
        total += sum(matrix[idx[a]][idx[b]] for a, b in zip(path, path[1:], strict=False))
    return total


def route_distance(problem: Problem, solution: Solution) -> float:
    """Total distance driven, depot to depot, unrounded."""
    return _along_routes(problem, solution, problem.distance_matrix())


def route_travel_time(problem: Problem, solution: Solution) -> float:
    """Total driving time (travel only: no service, waiting or break)."""
    return _along_routes(problem, solution, problem.duration_matrix())


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
