"""An independent check of every hard constraint of a solution; imports no solver.

The solver and this checker are written against the same rules (docs/routing-problem.md) but share
no code beyond the value types, so a modelling slip in one is caught by the other.  Nothing is
stored or printed unless `verify` returns no violations.

The timing rules checked here:

* a route leaves its start depot at `depart` (not before the shift starts) and is back at its end
  depot at `arrive` (not after the shift ends);
* service at a stop begins at `start`, inside one of the site's windows, and lasts
  `service_per_crate * size`; when the van then leaves the site (the next stop is elsewhere) the
  site's per-stop `service_time` is added to the leg, so several shipments handled at one site in a
  row pay it once;
* the next stop can begin no earlier than the end of that service plus the leg's extra time plus
  the travel time, plus the break's duration if the break falls in that leg;
* the break starts within its window, inside the shift, and never overlaps service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from transport.problem import Problem, Route, Solution, Stop, Van

TOL = 1e-6


@dataclass(frozen=True)
class Violation:
    """One broken rule: `code` is stable for tests, `detail` is for people."""

    code: str
    detail: str

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


class InfeasibleSolution(Exception):
    """Raised by `check` when a solution breaks a hard constraint; carries every violation."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = tuple(violations)
        shown = "; ".join(str(v) for v in self.violations[:5])
        more = f" (+{len(self.violations) - 5} more)" if len(self.violations) > 5 else ""
        super().__init__(f"{len(self.violations)} violation(s): {shown}{more}")


def check(problem: Problem, solution: Solution) -> None:
    """Raise `InfeasibleSolution` unless the solution satisfies every hard constraint."""
    found = verify(problem, solution)
    if found:
        raise InfeasibleSolution(found)


def verify(problem: Problem, solution: Solution) -> list[Violation]:
    """Every violated hard constraint of `solution`; empty when it is feasible."""
    out: list[Violation] = []
    vans = {v.id: v for v in problem.vans}
    shipments = {s.id: s for s in problem.shipments}
    seen_vans: set[str] = set()
    visits: dict[tuple[str, str], tuple[int, int, Stop]] = {}
    for ri, route in enumerate(solution.routes):
        van = vans.get(route.van)
        if van is None:
            out.append(Violation("unknown-van", f"route {ri} names van {route.van!r}"))
            continue
        if route.van in seen_vans:
            out.append(Violation("van-reused", f"van {route.van} has more than one route"))
        seen_vans.add(route.van)
        for k, stop in enumerate(route.stops):
            s = shipments.get(stop.shipment)
            if s is None:
                out.append(Violation("unknown-shipment", f"route {ri} stop {k}: {stop.shipment}"))
                continue
            key = (stop.shipment, stop.kind)
            if key in visits:
                out.append(
                    Violation("visited-twice", f"{stop.kind} of {stop.shipment} appears twice")
                )
                continue
            visits[key] = (ri, k, stop)
            if stop.kind == "pickup" and stop.site not in s.pickup_sites:
                out.append(
                    Violation(
                        "wrong-site", f"{stop.shipment} picked up at {stop.site}, not allowed"
                    )
                )
            if stop.kind == "delivery" and stop.site != s.delivery:
                out.append(Violation("wrong-site", f"{stop.shipment} delivered to {stop.site}"))
        out.extend(_check_loads(route, van, problem))
        out.extend(_check_times(route, van, problem))
    dropped = {d.shipment for d in solution.dropped}
    for sid in dropped - shipments.keys():
        out.append(Violation("unknown-shipment", f"dropped {sid} is not in the problem"))
    for sid in shipments:
        p, d = visits.get((sid, "pickup")), visits.get((sid, "delivery"))
        if p is None and d is None:
            if sid not in dropped:
                out.append(Violation("missing", f"{sid} is neither routed nor dropped"))
            continue
        if sid in dropped:
            out.append(Violation("dropped-and-routed", f"{sid} is dropped but also routed"))
        if p is None or d is None:
            out.append(Violation("unpaired", f"{sid} has a pickup or a delivery, not both"))
            continue
        if p[0] != d[0]:
            out.append(Violation("different-van", f"{sid} picked up and delivered by two vans"))
        elif p[1] >= d[1]:
            out.append(Violation("precedence", f"{sid} delivered before it is picked up"))
    return out


def _check_loads(route: Route, van: Van, problem: Problem) -> list[Violation]:
    sizes = {s.id: s.size for s in problem.shipments}
    out = []
    load = 0
    for k, stop in enumerate(route.stops):
        size = sizes.get(stop.shipment, 0)
        load += size if stop.kind == "pickup" else -size
        if load > van.capacity:
            out.append(
                Violation("capacity", f"van {van.id} carries {load} > {van.capacity} at stop {k}")
            )
        if load < 0:
            out.append(Violation("negative-load", f"van {van.id} at stop {k}"))
        if stop.load != load:
            out.append(
                Violation("load-mismatch", f"van {van.id} stop {k}: says {stop.load}, is {load}")
            )
    return out


def _check_times(route: Route, van: Van, problem: Problem) -> list[Violation]:
    if not route.stops:
        return []
    out = []
    idx = problem.site_index()
    sites = problem.sites
    dur = problem.duration_matrix()
    sizes = {s.id: s.size for s in problem.shipments}
    if route.depart < van.shift.start - TOL:
        out.append(Violation("shift", f"van {van.id} leaves at {route.depart} before its shift"))
    if route.arrive > van.shift.end + TOL:
        out.append(Violation("shift", f"van {van.id} is back at {route.arrive} after its shift"))
    # Points in time order: (site, service start, service end, extra leg time when leaving).
    points: list[tuple[str, float, float, float]] = [(van.start, route.depart, route.depart, 0.0)]
    for k, stop in enumerate(route.stops):
        site = sites[idx[stop.site]] if stop.site in idx else None
        if site is None:
            out.append(Violation("unknown-site", f"van {van.id} stop {k}: {stop.site}"))
            return out
        if not site.is_open(stop.start):
            out.append(
                Violation("time-window", f"van {van.id} starts at {stop.site} at {stop.start:g}")
            )
        nxt = route.stops[k + 1].site if k + 1 < len(route.stops) else van.end
        leave = site.service_time if nxt != stop.site else 0.0
        end = stop.start + site.service_per_crate * sizes.get(stop.shipment, 0)
        points.append((stop.site, stop.start, end, leave))
    points.append((van.end, route.arrive, route.arrive, 0.0))
    brk = van.break_
    bs = route.break_start
    if brk is not None:
        if bs is None:
            out.append(Violation("break", f"van {van.id} takes no break"))
        elif not (brk.earliest - TOL <= bs <= brk.latest + TOL):
            out.append(Violation("break", f"van {van.id} break at {bs:g} outside its window"))
        elif bs < van.shift.start - TOL or bs + brk.duration > van.shift.end + TOL:
            out.append(Violation("break", f"van {van.id} break outside the shift"))
    in_leg: int | None = None  # the leg (k -> k+1) holding the break, -1 before, len after
    if brk is not None and bs is not None:
        be = bs + brk.duration
        if be <= points[0][1] + TOL:
            in_leg = -1
        elif bs >= points[-1][2] - TOL:
            in_leg = len(points)
        else:
            for k in range(len(points) - 1):
                if bs >= points[k][2] - TOL and be <= points[k + 1][1] + TOL:
                    in_leg = k
                    break
            if in_leg is None:
                out.append(Violation("break", f"van {van.id} break at {bs:g} overlaps service"))
    for k in range(len(points) - 1):
        a, b = points[k], points[k + 1]
        need = a[2] + a[3] + dur[idx[a[0]]][idx[b[0]]]
        if in_leg == k and brk is not None:
            need += brk.duration
        if b[1] < need - TOL:
            out.append(
                Violation("travel-time", f"van {van.id}: {b[0]} at {b[1]:g} but reachable {need:g}")
            )
    return out
