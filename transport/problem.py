"""The routing problem and its solution as typed, immutable values.

These are the boundary types between everything that *makes* a day's problem (the planner, the
Li & Lim reader, the JSON loader, the day generator) and everything that *solves* or *checks* it
(`transport.model`, `transport.verify`).  Each value validates itself on construction, so a
solver never sees a van whose depot does not exist or a shipment larger than every van.

Units are the caller's: the Li & Lim reader uses the benchmark's abstract units, the planner uses
seconds and metres.  Travel time and distance come either from site coordinates (Euclidean, travel
time = distance / `speed`) or from explicit matrices; see `docs/routing-problem.md` for the JSON
form.

Error tree::

    ProblemError(ValueError)      -- an invalid problem or solution value; `.key` names the field
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property


class ProblemError(ValueError):
    """An invalid problem or solution; `key` names the offending field, e.g. `vans[2].capacity`."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


@dataclass(frozen=True)
class TimeWindow:
    """A closed interval [start, end] in which service at a site may *begin*."""

    start: float
    end: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start) and math.isfinite(self.end)):
            raise ProblemError("time_window", "bounds must be finite numbers")
        if self.end < self.start:
            raise ProblemError("time_window", f"end {self.end} is before start {self.start}")

    def contains(self, t: float, tol: float = 1e-6) -> bool:
        return self.start - tol <= t <= self.end + tol


@dataclass(frozen=True)
class Site:
    """A place the van stops: a library, a school, the depot.

    `service_time` is spent once per stop (parking, carrying in); `service_per_crate` once per crate
    loaded or unloaded there.  An empty `time_windows` means always open.
    """

    id: str
    x: float | None = None
    y: float | None = None
    time_windows: tuple[TimeWindow, ...] = ()
    service_time: float = 0.0
    service_per_crate: float = 0.0

    def __post_init__(self) -> None:
        if not self.id:
            raise ProblemError("sites[].id", "must be a non-empty string")
        if (self.x is None) != (self.y is None):
            raise ProblemError(f"sites[{self.id}]", "give both x and y or neither")
        if self.service_time < 0 or self.service_per_crate < 0:
            raise ProblemError(f"sites[{self.id}]", "service times must be >= 0")
        prev: TimeWindow | None = None
        for tw in self.time_windows:
            if prev is not None and tw.start <= prev.end:
                raise ProblemError(
                    f"sites[{self.id}].time_windows", "windows must be sorted and disjoint"
                )
            prev = tw

    def window_at_or_after(self, t: float, tol: float = 1e-6) -> float | None:
        """Earliest time >= t at which service may begin here, or None if every window is past."""
        if not self.time_windows:
            return t
        for tw in self.time_windows:
            if t <= tw.end + tol:
                return max(t, tw.start)
        return None

    def is_open(self, t: float, tol: float = 1e-6) -> bool:
        return not self.time_windows or any(tw.contains(t, tol) for tw in self.time_windows)


@dataclass(frozen=True)
class Break:
    """A driver's break of `duration` that must start within [earliest, latest]."""

    earliest: float
    latest: float
    duration: float

    def __post_init__(self) -> None:
        if self.latest < self.earliest:
            raise ProblemError("break", "latest is before earliest")
        if self.duration <= 0:
            raise ProblemError("break.duration", "must be > 0")


@dataclass(frozen=True)
class Van:
    """A vehicle: crate capacity, where it starts and ends, its shift, a break, a fixed cost."""

    id: str
    capacity: int
    start: str
    end: str
    shift: TimeWindow
    break_: Break | None = None
    fixed_cost: float = 0.0

    def __post_init__(self) -> None:
        if self.capacity <= 0:
            raise ProblemError(f"vans[{self.id}].capacity", "must be > 0")
        if self.fixed_cost < 0:
            raise ProblemError(f"vans[{self.id}].fixed_cost", "must be >= 0")
        b = self.break_
        if b is not None and (
            b.earliest < self.shift.start or b.latest + b.duration > self.shift.end
        ):
            raise ProblemError(f"vans[{self.id}].break", "must lie within the shift")


@dataclass(frozen=True)
class Shipment:
    """Crates moving from a pickup site to a delivery site on one van.

    `alternatives` are further sites the same shipment may be collected from instead ("any copy"
    transfers); the solver picks at most one.  `priority` (0 = normal) and `age` (days waited) raise
    the penalty for leaving the shipment for another day.
    """

    id: str
    pickup: str
    delivery: str
    size: int = 1
    priority: int = 0
    age: int = 0
    alternatives: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.size <= 0:
            raise ProblemError(f"shipments[{self.id}].size", "must be > 0")
        if self.priority < 0 or self.age < 0:
            raise ProblemError(f"shipments[{self.id}]", "priority and age must be >= 0")
        if self.delivery in self.pickup_sites:
            raise ProblemError(f"shipments[{self.id}]", "delivery site is also a pickup site")
        if len(set(self.pickup_sites)) != len(self.pickup_sites):
            raise ProblemError(f"shipments[{self.id}].alternatives", "repeat a pickup site")

    @property
    def pickup_sites(self) -> tuple[str, ...]:
        """The preferred pickup site first, then the alternatives."""
        return (self.pickup, *self.alternatives)


@dataclass(frozen=True)
class Objective:
    """Weights of the cost: time first, then distance; dropping a shipment costs a penalty.

    The drop penalty of a shipment is `drop_penalty * (1 + priority) * (1 + age_weight * age)`.
    """

    time_weight: float = 1.0
    distance_weight: float = 0.001
    drop_penalty: float = 1e6
    age_weight: float = 0.5


@dataclass(frozen=True)
class Problem:
    """A day's pickup-and-delivery problem.

    If `durations`/`distances` are given they are square matrices over `sites` in order; otherwise
    every site needs coordinates and both come from Euclidean distance (time = distance / speed).
    """

    sites: tuple[Site, ...]
    vans: tuple[Van, ...]
    shipments: tuple[Shipment, ...]
    durations: tuple[tuple[float, ...], ...] | None = None
    distances: tuple[tuple[float, ...], ...] | None = None
    speed: float = 1.0
    objective: Objective = field(default_factory=Objective)
    name: str = ""

    def __post_init__(self) -> None:
        ids = [s.id for s in self.sites]
        if len(set(ids)) != len(ids):
            raise ProblemError("sites", "site ids must be unique")
        if not self.vans:
            raise ProblemError("vans", "at least one van is needed")
        if len({v.id for v in self.vans}) != len(self.vans):
            raise ProblemError("vans", "van ids must be unique")
        if len({s.id for s in self.shipments}) != len(self.shipments):
            raise ProblemError("shipments", "shipment ids must be unique")
        known = set(ids)
        for i, v in enumerate(self.vans):
            for key, site in (("start", v.start), ("end", v.end)):
                if site not in known:
                    raise ProblemError(f"vans[{i}].{key}", f"unknown site {site!r}")
        for i, s in enumerate(self.shipments):
            for site in (*s.pickup_sites, s.delivery):
                if site not in known:
                    raise ProblemError(f"shipments[{i}]", f"unknown site {site!r}")
        if self.speed <= 0:
            raise ProblemError("speed", "must be > 0")
        n = len(self.sites)
        for key, m in (("durations", self.durations), ("distances", self.distances)):
            if m is None:
                continue
            if len(m) != n or any(len(row) != n for row in m):
                raise ProblemError(key, f"must be a {n}x{n} matrix over sites")
            if any(x < 0 or not math.isfinite(x) for row in m for x in row):
                raise ProblemError(key, "entries must be finite and >= 0")
        if self.distances is None:
            for st in self.sites:
                if st.x is None:
                    raise ProblemError(
                        f"sites[{st.id}]", "coordinates needed when there is no distance matrix"
                    )

    def site_index(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.sites)}

    def distance_matrix(self) -> list[list[float]]:
        """Distances between sites, explicit or Euclidean (computed once; do not mutate)."""
        return self._distance_matrix

    def duration_matrix(self) -> list[list[float]]:
        """Travel times between sites, explicit or distance / speed (computed once)."""
        return self._duration_matrix

    @cached_property
    def _distance_matrix(self) -> list[list[float]]:
        if self.distances is not None:
            return [list(r) for r in self.distances]
        return _euclid(self.sites)

    @cached_property
    def _duration_matrix(self) -> list[list[float]]:
        if self.durations is not None:
            return [list(r) for r in self.durations]
        return [[d / self.speed for d in row] for row in self._distance_matrix]

    def drop_penalty(self, shipment: Shipment) -> float:
        o = self.objective
        return o.drop_penalty * (1 + shipment.priority) * (1 + o.age_weight * shipment.age)


def _euclid(sites: Sequence[Site]) -> list[list[float]]:
    pts = [(site.x or 0.0, site.y or 0.0) for site in sites]
    return [[math.hypot(ax - bx, ay - by) for (bx, by) in pts] for (ax, ay) in pts]


# --------------------------------------------------------------------------- solution


@dataclass(frozen=True)
class Stop:
    """One visit: a shipment is picked up or delivered at a site.

    `start` is when service begins (the ETA once any waiting is over); `load` is the number of
    crates on board after the visit.
    """

    site: str
    shipment: str
    kind: str  # "pickup" | "delivery"
    start: float
    load: int

    def __post_init__(self) -> None:
        if self.kind not in ("pickup", "delivery"):
            raise ProblemError("stops[].kind", f"must be pickup or delivery, not {self.kind!r}")


@dataclass(frozen=True)
class Route:
    """A van's day: leaves its start depot at `depart`, returns at `arrive`; an optional break."""

    van: str
    stops: tuple[Stop, ...]
    depart: float
    arrive: float
    break_start: float | None = None


@dataclass(frozen=True)
class Dropped:
    """A shipment left for another day, and why."""

    shipment: str
    reason: str


@dataclass(frozen=True)
class Solution:
    """Routes of the vans that drive (unused vans are left out) and the dropped shipments."""

    routes: tuple[Route, ...]
    dropped: tuple[Dropped, ...] = ()
    solver: str = ""

    @property
    def vehicles(self) -> int:
        return sum(1 for r in self.routes if r.stops)
