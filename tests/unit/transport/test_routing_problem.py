"""The routing problem values and their JSON form."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transport.problem import Break, Problem, ProblemError, Shipment, Site, TimeWindow, Van
from transport.problem_json import (
    load_problem,
    problem_from_dict,
    problem_to_dict,
    solution_from_dict,
    solution_to_dict,
)
from transport.schedule import schedule


def test_round_trip_is_identity(line_problem: Callable[..., Problem]) -> None:
    """A problem written to JSON and read back is equal to the original."""
    p = line_problem(brk=Break(100, 200, 30))
    assert problem_from_dict(json.loads(json.dumps(problem_to_dict(p)))) == p


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cap=st.integers(1, 50),
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    prio=st.integers(0, 3),
    start=st.floats(0, 500, allow_nan=False),
    width=st.floats(0, 500, allow_nan=False),
)
def test_round_trip_property(
    line_problem: Callable[..., Problem],
    cap: int,
    sizes: list[int],
    prio: int,
    start: float,
    width: float,
) -> None:
    """Any valid generated problem survives the JSON round trip unchanged."""
    base = line_problem(capacity=cap, windows={"B": (TimeWindow(start, start + width),)})
    ships = tuple(
        Shipment(id=f"x{i}", pickup="A", delivery="B", size=s, priority=prio, alternatives=("C",))
        for i, s in enumerate(sizes)
    )
    p = type(base)(base.sites, base.vans, ships, objective=base.objective)
    assert problem_from_dict(json.loads(json.dumps(problem_to_dict(p)))) == p


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda d: d["vans"][0].pop("capacity"), "vans[0].capacity"),
        (lambda d: d["vans"][0].__setitem__("capacity", "ten"), "vans[0].capacity"),
        (lambda d: d["sites"][1].__setitem__("time_windows", [[5, 1]]), "sites[1].time_windows[0]"),
        (lambda d: d["shipments"][0].__setitem__("pickup", "NOWHERE"), "shipments[0]"),
        (lambda d: d["vans"][0].__setitem__("shift", [0]), "vans[0].shift"),
        (lambda d: d.__setitem__("objective", {"bogus": 1}), "objective.bogus"),
        (lambda d: d["shipments"][0].__setitem__("size", 0), "shipments[0]"),
    ],
)
def test_load_errors_name_the_key(
    line_problem: Callable[..., Problem], mutate: object, key: str
) -> None:
    """A bad value is rejected with an error whose key points at it."""
    d = problem_to_dict(line_problem())
    mutate(d)  # type: ignore[operator]
    with pytest.raises(ProblemError) as err:
        problem_from_dict(d)
    assert err.value.key.startswith(key)


def test_invalid_json_reports_line(tmp_path: Path) -> None:
    """A syntax error in the file is reported with its line number."""
    f = tmp_path / "p.json"
    f.write_text('{\n "sites": [,]\n}')
    with pytest.raises(ProblemError, match="line 2"):
        load_problem(f)


def test_values_validate_themselves() -> None:
    """Impossible values cannot be constructed."""
    with pytest.raises(ProblemError):
        TimeWindow(5, 1)
    with pytest.raises(ProblemError):
        Site(id="a", x=1.0)
    with pytest.raises(ProblemError):
        Site(id="a", time_windows=(TimeWindow(0, 10), TimeWindow(5, 20)))
    with pytest.raises(ProblemError):
        Shipment(id="s", pickup="a", delivery="a")
    with pytest.raises(ProblemError):
        Van(id="v", capacity=1, start="a", end="a", shift=TimeWindow(0, 10), break_=Break(9, 9, 5))


def test_solution_round_trip(line_problem: Callable[..., Problem]) -> None:
    """A solution written to JSON and read back is equal to the original."""
    p = line_problem()
    sol = schedule(p, {"v0": [("s0", "pickup", "A"), ("s0", "delivery", "B")]})
    assert solution_from_dict(json.loads(json.dumps(solution_to_dict(sol)))) == sol
