"""Reader for Li & Lim pickup-and-delivery (PDPTW) benchmark files, and their `.sol` answers.

Format: first line `K Q S` (vehicles, capacity, speed), then one line per task
`id x y demand earliest latest service pickup_sibling delivery_sibling`; task 0 is the depot.
A pickup names its delivery in the last column, a delivery names its pickup in the one before.

Each task becomes its own `Site` named by its task id, so a solution's stops map straight back to
task ids; each pickup/delivery pair becomes one `Shipment` named by the pickup's id.  Travel time
equals Euclidean distance (the benchmark's convention), so `speed` is 1.  Vehicle count reduction
comes first in the benchmark's ranking, so every van carries a fixed cost larger than any
plausible total distance.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from transport.problem import Objective, Problem, Shipment, Site, TimeWindow, Van


class LiLimFormatError(ValueError):
    """A malformed Li & Lim file; names the file and line."""

    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}:{line}: {message}")
        self.source, self.line = source, line


@dataclass(frozen=True)
class _Task:
    id: int
    x: float
    y: float
    demand: int
    earliest: float
    latest: float
    service: float
    pickup: int
    delivery: int


def parse_lilim(text: str, name: str = "lilim") -> Problem:
    """Parse Li & Lim text into a `Problem` (depot = site "0", tasks = sites "1".."n")."""
    lines = [(i + 1, ln.split()) for i, ln in enumerate(text.splitlines()) if ln.strip()]
    if not lines:
        raise LiLimFormatError(name, 1, "empty file")
    lineno, head = lines[0]
    if len(head) < 2:
        raise LiLimFormatError(name, lineno, "header must be 'vehicles capacity speed'")
    try:
        n_vehicles, capacity = int(head[0]), int(head[1])
    except ValueError:
        raise LiLimFormatError(name, lineno, "vehicles and capacity must be integers") from None
    tasks: list[_Task] = []
    for lineno, cols in lines[1:]:
        if len(cols) != 9:
            raise LiLimFormatError(name, lineno, f"expected 9 columns, found {len(cols)}")
        try:
            t = _Task(
                int(cols[0]), float(cols[1]), float(cols[2]), int(cols[3]), float(cols[4]),
                float(cols[5]), float(cols[6]), int(cols[7]), int(cols[8]),
            )  # fmt: skip
        except ValueError as e:
            raise LiLimFormatError(name, lineno, f"bad number ({e})") from None
        if t.id != len(tasks):
            raise LiLimFormatError(name, lineno, f"task ids must run 0..n, got {t.id}")
        tasks.append(t)
    if not tasks:
        raise LiLimFormatError(name, 2, "no depot line")
    depot = tasks[0]
    sites = tuple(
        Site(
            id=str(t.id),
            x=t.x,
            y=t.y,
            time_windows=(TimeWindow(t.earliest, t.latest),),
            service_time=t.service,
        )
        for t in tasks
    )
    shipments = []
    for t in tasks[1:]:
        if t.pickup == 0:  # a pickup: names its delivery
            d = t.delivery
            if not (0 < d < len(tasks)) or tasks[d].pickup != t.id:
                raise LiLimFormatError(name, t.id + 2, f"pickup {t.id} names bad delivery {d}")
            shipments.append(
                Shipment(id=str(t.id), pickup=str(t.id), delivery=str(d), size=t.demand)
            )
        elif not (0 < t.pickup < len(tasks)) or tasks[t.pickup].delivery != t.id:
            raise LiLimFormatError(name, t.id + 2, f"delivery {t.id} names bad pickup {t.pickup}")
    horizon = TimeWindow(depot.earliest, depot.latest)
    xs = [t.x for t in tasks]
    ys = [t.y for t in tasks]
    diameter = math.hypot(max(xs) - min(xs), max(ys) - min(ys))
    # A van must cost more than any route could ever save: 2 * diameter per task bounds a route.
    fixed = round(2 * diameter * len(tasks) + 1000.0)
    vans = tuple(
        Van(id=str(k), capacity=capacity, start="0", end="0", shift=horizon, fixed_cost=fixed)
        for k in range(n_vehicles)
    )
    objective = Objective(
        time_weight=0.0, distance_weight=1.0, drop_penalty=float(fixed * 100), age_weight=0.0
    )
    return Problem(
        sites=sites,
        vans=vans,
        shipments=tuple(shipments),
        speed=1.0,
        objective=objective,
        name=name,
    )


def read_lilim(path: Path) -> Problem:
    """Read a Li & Lim `.txt` file."""
    return parse_lilim(path.read_text(encoding="utf-8"), name=path.stem)


_ROUTE = re.compile(r"^\s*Route\s+\d+\s*:\s*(.*)$")


def read_lilim_solution(path: Path) -> list[list[int]]:
    """Routes (task ids, depot left out) from a SINTEF `.sol` file."""
    routes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _ROUTE.match(line)
        if m:
            routes.append([int(x) for x in m.group(1).split()])
    return routes


def route_distance(problem: Problem, routes: list[list[int]]) -> float:
    """Total Euclidean distance of task-id routes, each from and back to the depot, unrounded."""
    dist = problem.distance_matrix()
    total = 0.0
    for r in routes:
        path = [0, *r, 0]
        total += sum(dist[a][b] for a, b in zip(path, path[1:], strict=False))
    return total
