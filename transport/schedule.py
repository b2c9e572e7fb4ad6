"""Earliest-start timing of a stop sequence: turns "which van visits what, in which order" into a
`Solution` with ETAs and loads.

Used for every answer, whichever engine produced the order (OR-Tools, VROOM, PyVRP, a `.sol`
file, yesterday's plan); the timing rules are those of `transport.verify`, which still checks the
result.  Times are as early as possible: the van leaves at the start of its shift and begins
service as soon as it arrives and the site is open.

The break goes in the first leg where the next service would otherwise begin after the break's
window opens; if that does not fit, every other leg (and before leaving, and after returning) is
tried in turn.  Taking the break as early as possible inside a leg never delays later stops more
than any other placement in that leg, so a sequence that is feasible with *some* break placement
is timed successfully.  A sequence that cannot be timed raises `ScheduleError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from transport.problem import Dropped, Problem, Route, Solution, Stop, Van

Visit = tuple[str, str, str]
"""(shipment id, "pickup" | "delivery", site id)."""

AUTO = -2
BEFORE = -1


class ScheduleError(ValueError):
    """A sequence that misses a window, overruns the shift or cannot fit the break."""


def schedule(
    problem: Problem,
    sequences: Mapping[str, Sequence[Visit]],
    solver: str = "",
    dropped_reason: str = "not routed",
) -> Solution:
    """Time every van's sequence as early as possible; shipments in no sequence are dropped."""
    routes = []
    served: set[str] = set()
    for van in problem.vans:
        seq = list(sequences.get(van.id, ()))
        if not seq:
            continue
        routes.append(time_route(problem, van, seq))
        served.update(sid for sid, _, _ in seq)
    unknown = served - {s.id for s in problem.shipments}
    if unknown:
        raise ScheduleError(f"unknown shipments {sorted(unknown)[:3]}")
    dropped = tuple(Dropped(s.id, dropped_reason) for s in problem.shipments if s.id not in served)
    return Solution(tuple(routes), dropped, solver)


def time_route(problem: Problem, van: Van, seq: Sequence[Visit]) -> Route:
    """One van's route with ETAs and loads; the break placed as described in the module doc."""
    if van.break_ is None:
        return _time(problem, van, seq, None)
    first_error: ScheduleError | None = None
    for leg in (AUTO, BEFORE, *range(len(seq) + 1), len(seq) + 1):
        try:
            return _time(problem, van, seq, leg)
        except ScheduleError as e:
            first_error = first_error or e
    assert first_error is not None
    raise first_error


def _time(problem: Problem, van: Van, seq: Sequence[Visit], break_leg: int | None) -> Route:
    """Earliest times with the break in leg `break_leg` (k: before stop k; len(seq): before the
    end depot; BEFORE: before leaving; len(seq)+1: after returning; AUTO: first useful leg)."""
    idx = problem.site_index()
    dur = problem.duration_matrix()
    sizes = {s.id: s.size for s in problem.shipments}
    brk = van.break_
    taken: float | None = None
    t = van.shift.start
    if brk is not None and break_leg == BEFORE:
        taken = max(t, brk.earliest)
        t = taken + brk.duration
    depart = t
    here = van.start
    leave_extra = 0.0
    load = 0
    stops: list[Stop] = []
    legs: list[Visit] = [*seq, ("", "end", van.end)]
    for k, (sid, kind, site_id) in enumerate(legs):
        if site_id not in idx:
            raise ScheduleError(f"van {van.id}: unknown site {site_id!r}")
        site = problem.sites[idx[site_id]]
        arrive = t + leave_extra + dur[idx[here]][idx[site_id]]
        if brk is not None and taken is None and break_leg is not None:
            if break_leg == AUTO:
                ready = site.window_at_or_after(arrive) if kind != "end" else arrive
                take = kind == "end" or ready is None or ready > brk.earliest
            else:
                take = break_leg == k
            if take:
                bs = max(t, brk.earliest)
                if bs > brk.latest + 1e-9:
                    raise ScheduleError(f"van {van.id}: no room for the break before stop {k}")
                taken = bs
                arrive = max(arrive + brk.duration, bs + brk.duration)
        if kind == "end":
            if brk is not None and taken is None:
                bs = max(arrive, brk.earliest)
                if bs > brk.latest + 1e-9:
                    raise ScheduleError(f"van {van.id}: no room for the break")
                taken = bs
            if arrive > van.shift.end + 1e-9:
                raise ScheduleError(f"van {van.id} is back after its shift ends")
            return Route(van.id, tuple(stops), depart, arrive, taken)
        start = site.window_at_or_after(arrive)
        if start is None:
            raise ScheduleError(f"van {van.id} reaches {site_id} after its last window")
        if sid not in sizes:
            raise ScheduleError(f"van {van.id}: unknown shipment {sid!r}")
        load += sizes[sid] if kind == "pickup" else -sizes[sid]
        stops.append(Stop(site_id, sid, kind, start, load))
        nxt = legs[k + 1][2]
        leave_extra = site.service_time if nxt != site_id else 0.0
        t = start + site.service_per_crate * sizes[sid]
        here = site_id
    raise AssertionError("unreachable: the loop returns at the end depot")
