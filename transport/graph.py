"""The problem compiled into integer matrices over routing nodes, shared by every solver backend.

Solvers work in integers, the problem in floats.  Times are scaled and rounded *up* and windows
rounded *inwards*, so anything feasible in the integer model is feasible in the float model that
`transport.verify` checks (the converse can fail by a rounding hair, which only costs a little
optimality).  Costs are scaled and rounded to nearest.

Routing nodes: first one node per distinct depot site, then for every shipment one node per
possible pickup site followed by one delivery node.  Two shipments at one site are two nodes (a
solver visits each once), joined by zero travel time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from transport.problem import Problem

COST_SCALE = 1000


@dataclass(frozen=True)
class Node:
    """A routing node: a depot (`shipment` is -1) or one end of one shipment at one site."""

    site: int
    shipment: int
    kind: str  # "depot" | "pickup" | "delivery"
    demand: int  # + on pickup, - on delivery
    service: int  # scaled crate-handling time at this node


@dataclass(frozen=True)
class Graph:
    """Integer matrices over routing nodes plus the index maps to go back to the problem."""

    nodes: tuple[Node, ...]
    starts: tuple[int, ...]  # per van
    ends: tuple[int, ...]
    time: tuple[tuple[int, ...], ...]  # service at i + leaving-site time + travel, scaled up
    cost: tuple[tuple[int, ...], ...]  # objective cost of the arc
    pickups: tuple[tuple[int, ...], ...]  # per shipment: pickup node per pickup site
    deliveries: tuple[int, ...]  # per shipment
    time_scale: float

    def scale_time_up(self, t: float) -> int:
        return math.ceil(t * self.time_scale - 1e-9)

    def scale_time_down(self, t: float) -> int:
        return math.floor(t * self.time_scale + 1e-9)

    def site_travel(self, problem: Problem) -> list[list[int]]:
        """Scaled-up travel time between sites (for backends that take site-level matrices)."""
        dur = problem.duration_matrix()
        return [[self.scale_time_up(x) for x in row] for row in dur]

    def site_cost(self, problem: Problem) -> list[list[int]]:
        """Arc cost between sites: time weight x travel + distance weight x distance."""
        return _site_cost(problem)


def _site_cost(problem: Problem) -> list[list[int]]:
    dur = problem.duration_matrix()
    dist = problem.distance_matrix()
    tw, dw = problem.objective.time_weight, problem.objective.distance_weight
    n = len(dur)
    return [
        [round(COST_SCALE * (tw * dur[i][j] + dw * dist[i][j])) for j in range(n)] for i in range(n)
    ]


def choose_time_scale(problem: Problem) -> float:
    """1000 sub-units per time unit unless that would overflow 32 bits (VROOM's matrices)."""
    horizon = max(v.shift.end for v in problem.vans)
    scale = 1000.0
    while scale > 1e-3 and horizon * scale > 2e9:
        scale /= 10
    return scale


def build_graph(problem: Problem) -> Graph:
    """Compile `problem` into routing nodes and integer time and cost matrices."""
    scale = choose_time_scale(problem)
    idx = problem.site_index()
    nodes: list[Node] = []
    depot_node: dict[str, int] = {}
    for v in problem.vans:
        for site in (v.start, v.end):
            if site not in depot_node:
                depot_node[site] = len(nodes)
                nodes.append(Node(idx[site], -1, "depot", 0, 0))
    pickups: list[tuple[int, ...]] = []
    deliveries: list[int] = []
    for si, s in enumerate(problem.shipments):
        ps = []
        for site in s.pickup_sites:
            crate = problem.sites[idx[site]].service_per_crate * s.size
            ps.append(len(nodes))
            nodes.append(Node(idx[site], si, "pickup", s.size, math.ceil(crate * scale - 1e-9)))
        pickups.append(tuple(ps))
        crate = problem.sites[idx[s.delivery]].service_per_crate * s.size
        deliveries.append(len(nodes))
        nodes.append(
            Node(idx[s.delivery], si, "delivery", -s.size, math.ceil(crate * scale - 1e-9))
        )
    dur = problem.duration_matrix()
    site_cost = _site_cost(problem)
    stop = [s.service_time for s in problem.sites]
    time_rows = []
    cost_rows = []
    for a in nodes:
        trow = []
        crow = []
        for b in nodes:
            leave = stop[a.site] if a.kind != "depot" and a.site != b.site else 0.0
            raw = (leave + dur[a.site][b.site]) * scale
            trow.append(a.service + math.ceil(raw - 1e-9))
            crow.append(site_cost[a.site][b.site])
        time_rows.append(tuple(trow))
        cost_rows.append(tuple(crow))
    return Graph(
        nodes=tuple(nodes),
        starts=tuple(depot_node[v.start] for v in problem.vans),
        ends=tuple(depot_node[v.end] for v in problem.vans),
        time=tuple(time_rows),
        cost=tuple(cost_rows),
        pickups=tuple(pickups),
        deliveries=tuple(deliveries),
        time_scale=scale,
    )
