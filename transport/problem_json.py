"""JSON form of `Problem` and `Solution` (schema in docs/routing-problem.md).

Loading validates as it goes and raises `ProblemError` whose `key` is the JSON path of the bad
value (`vans[1].shift`), so a person editing a problem file by hand can find the mistake.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from transport.problem import (
    Break,
    Dropped,
    Objective,
    Problem,
    ProblemError,
    Route,
    Shipment,
    Site,
    Solution,
    Stop,
    TimeWindow,
    Van,
)

SCHEMA_VERSION = 1


def _req(obj: dict[str, Any], key: str, path: str) -> Any:
    if not isinstance(obj, dict):
        raise ProblemError(path, "must be an object")
    if key not in obj:
        raise ProblemError(f"{path}.{key}" if path else key, "is required")
    return obj[key]


def _num(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProblemError(path, f"must be a finite number, not {value!r}")
    return float(value)


def _int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProblemError(path, f"must be an integer, not {value!r}")
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise ProblemError(path, f"must be a non-empty string, not {value!r}")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProblemError(path, "must be a list")
    return value


def _window(value: Any, path: str) -> TimeWindow:
    pair = _list(value, path)
    if len(pair) != 2:
        raise ProblemError(path, "must be [start, end]")
    try:
        return TimeWindow(_num(pair[0], f"{path}[0]"), _num(pair[1], f"{path}[1]"))
    except ProblemError as e:
        raise ProblemError(path, e.message) from None


def _matrix(value: Any, path: str) -> tuple[tuple[float, ...], ...]:
    return tuple(
        tuple(_num(x, f"{path}[{i}][{j}]") for j, x in enumerate(_list(row, f"{path}[{i}]")))
        for i, row in enumerate(_list(value, path))
    )


def _wrap(path: str, build: Any) -> Any:
    """Re-key a constructor's own validation error with the JSON path."""
    try:
        return build()
    except ProblemError as e:
        if e.key.startswith(path):
            raise
        raise ProblemError(path, f"{e.key}: {e.message}") from None


def problem_from_dict(data: Any) -> Problem:
    """Build and validate a `Problem` from parsed JSON."""
    if not isinstance(data, dict):
        raise ProblemError("$", "a problem must be a JSON object")
    sites = []
    for i, s in enumerate(_list(_req(data, "sites", ""), "sites")):
        p = f"sites[{i}]"
        sid = _str(_req(s, "id", p), f"{p}.id")
        x, y = s.get("x"), s.get("y")
        tws = tuple(
            _window(w, f"{p}.time_windows[{j}]")
            for j, w in enumerate(_list(s.get("time_windows", []), f"{p}.time_windows"))
        )
        sites.append(
            _wrap(
                p,
                lambda sid=sid, x=x, y=y, tws=tws, s=s, p=p: Site(
                    id=sid,
                    x=None if x is None else _num(x, f"{p}.x"),
                    y=None if y is None else _num(y, f"{p}.y"),
                    time_windows=tws,
                    service_time=_num(s.get("service_time", 0), f"{p}.service_time"),
                    service_per_crate=_num(s.get("service_per_crate", 0), f"{p}.service_per_crate"),
                ),
            )
        )
    vans = []
    for i, v in enumerate(_list(_req(data, "vans", ""), "vans")):
        p = f"vans[{i}]"
        brk = None
        if v.get("break") is not None:
            b = v["break"]
            brk = _wrap(
                f"{p}.break",
                lambda b=b, p=p: Break(
                    _num(_req(b, "earliest", f"{p}.break"), f"{p}.break.earliest"),
                    _num(_req(b, "latest", f"{p}.break"), f"{p}.break.latest"),
                    _num(_req(b, "duration", f"{p}.break"), f"{p}.break.duration"),
                ),
            )
        start = _str(_req(v, "start", p), f"{p}.start")
        vans.append(
            _wrap(
                p,
                lambda v=v, p=p, brk=brk, start=start: Van(
                    id=_str(_req(v, "id", p), f"{p}.id"),
                    capacity=_int(_req(v, "capacity", p), f"{p}.capacity"),
                    start=start,
                    end=_str(v.get("end", start), f"{p}.end"),
                    shift=_window(_req(v, "shift", p), f"{p}.shift"),
                    break_=brk,
                    fixed_cost=_num(v.get("fixed_cost", 0), f"{p}.fixed_cost"),
                ),
            )
        )
    shipments = []
    for i, s in enumerate(_list(_req(data, "shipments", ""), "shipments")):
        p = f"shipments[{i}]"
        alts = tuple(
            _str(a, f"{p}.alternatives[{j}]")
            for j, a in enumerate(_list(s.get("alternatives", []), f"{p}.alternatives"))
        )
        shipments.append(
            _wrap(
                p,
                lambda s=s, p=p, alts=alts: Shipment(
                    id=_str(_req(s, "id", p), f"{p}.id"),
                    pickup=_str(_req(s, "pickup", p), f"{p}.pickup"),
                    delivery=_str(_req(s, "delivery", p), f"{p}.delivery"),
                    size=_int(s.get("size", 1), f"{p}.size"),
                    priority=_int(s.get("priority", 0), f"{p}.priority"),
                    age=_int(s.get("age", 0), f"{p}.age"),
                    alternatives=alts,
                ),
            )
        )
    obj = data.get("objective", {})
    if not isinstance(obj, dict):
        raise ProblemError("objective", "must be an object")
    default = Objective()
    objective = Objective(
        **{
            k: _num(obj.get(k, getattr(default, k)), f"objective.{k}")
            for k in ("time_weight", "distance_weight", "drop_penalty", "age_weight")
        }
    )
    unknown = set(obj) - {"time_weight", "distance_weight", "drop_penalty", "age_weight"}
    if unknown:
        raise ProblemError(f"objective.{sorted(unknown)[0]}", "unknown key")
    return Problem(
        sites=tuple(sites),
        vans=tuple(vans),
        shipments=tuple(shipments),
        durations=_matrix(data["durations"], "durations") if "durations" in data else None,
        distances=_matrix(data["distances"], "distances") if "distances" in data else None,
        speed=_num(data.get("speed", 1.0), "speed"),
        objective=objective,
        name=str(data.get("name", "")),
    )


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The JSON form; `problem_from_dict(problem_to_dict(p)) == p`."""
    out: dict[str, Any] = {"schema": SCHEMA_VERSION, "name": problem.name, "speed": problem.speed}
    out["sites"] = [
        {
            "id": s.id,
            **({"x": s.x, "y": s.y} if s.x is not None else {}),
            "time_windows": [[w.start, w.end] for w in s.time_windows],
            "service_time": s.service_time,
            "service_per_crate": s.service_per_crate,
        }
        for s in problem.sites
    ]
    out["vans"] = [
        {
            "id": v.id,
            "capacity": v.capacity,
            "start": v.start,
            "end": v.end,
            "shift": [v.shift.start, v.shift.end],
            "break": None
            if v.break_ is None
            else {
                "earliest": v.break_.earliest,
                "latest": v.break_.latest,
                "duration": v.break_.duration,
            },
            "fixed_cost": v.fixed_cost,
        }
        for v in problem.vans
    ]
    out["shipments"] = [
        {
            "id": s.id,
            "pickup": s.pickup,
            "delivery": s.delivery,
            "size": s.size,
            "priority": s.priority,
            "age": s.age,
            "alternatives": list(s.alternatives),
        }
        for s in problem.shipments
    ]
    if problem.durations is not None:
        out["durations"] = [list(r) for r in problem.durations]
    if problem.distances is not None:
        out["distances"] = [list(r) for r in problem.distances]
    o = problem.objective
    out["objective"] = {
        "time_weight": o.time_weight,
        "distance_weight": o.distance_weight,
        "drop_penalty": o.drop_penalty,
        "age_weight": o.age_weight,
    }
    return out


def load_problem(path: Path) -> Problem:
    """Read a problem file; JSON syntax errors become `ProblemError` with the line number."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ProblemError("$", f"not valid JSON (line {e.lineno}: {e.msg})") from None
    return problem_from_dict(data)


def dump_problem(problem: Problem, path: Path) -> None:
    path.write_text(json.dumps(problem_to_dict(problem), indent=1), encoding="utf-8")


def solution_to_dict(solution: Solution) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "solver": solution.solver,
        "vehicles": solution.vehicles,
        "routes": [
            {
                "van": r.van,
                "depart": r.depart,
                "arrive": r.arrive,
                "break_start": r.break_start,
                "stops": [
                    {
                        "site": s.site,
                        "shipment": s.shipment,
                        "kind": s.kind,
                        "start": s.start,
                        "load": s.load,
                    }
                    for s in r.stops
                ],
            }
            for r in solution.routes
        ],
        "dropped": [{"shipment": d.shipment, "reason": d.reason} for d in solution.dropped],
    }


def solution_from_dict(data: Any) -> Solution:
    """Parse a solution written by `solution_to_dict` (used to re-verify stored answers)."""
    routes = []
    for i, r in enumerate(_list(_req(data, "routes", ""), "routes")):
        p = f"routes[{i}]"
        stops = tuple(
            Stop(
                site=_str(_req(s, "site", f"{p}.stops[{j}]"), f"{p}.stops[{j}].site"),
                shipment=_str(_req(s, "shipment", f"{p}.stops[{j}]"), f"{p}.stops[{j}].shipment"),
                kind=_str(_req(s, "kind", f"{p}.stops[{j}]"), f"{p}.stops[{j}].kind"),
                start=_num(_req(s, "start", f"{p}.stops[{j}]"), f"{p}.stops[{j}].start"),
                load=_int(_req(s, "load", f"{p}.stops[{j}]"), f"{p}.stops[{j}].load"),
            )
            for j, s in enumerate(_list(_req(r, "stops", p), f"{p}.stops"))
        )
        bs = r.get("break_start")
        routes.append(
            Route(
                van=_str(_req(r, "van", p), f"{p}.van"),
                stops=stops,
                depart=_num(_req(r, "depart", p), f"{p}.depart"),
                arrive=_num(_req(r, "arrive", p), f"{p}.arrive"),
                break_start=None if bs is None else _num(bs, f"{p}.break_start"),
            )
        )
    dropped = tuple(
        Dropped(_str(_req(d, "shipment", "dropped"), "dropped.shipment"), str(d.get("reason", "")))
        for d in _list(data.get("dropped", []), "dropped")
    )
    return Solution(routes=tuple(routes), dropped=dropped, solver=str(data.get("solver", "")))
