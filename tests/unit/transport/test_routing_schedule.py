"""Earliest-start timing of stop sequences, and the compiled integer graph."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transport.graph import build_graph
from transport.problem import Break, Problem, TimeWindow
from transport.schedule import ScheduleError, schedule
from transport.verify import verify

ORDER = [
    ("s0", "pickup", "A"),
    ("s0", "delivery", "B"),
    ("s1", "pickup", "A"),
    ("s1", "delivery", "C"),
]


def test_times_follow_the_rules(line_problem: Callable[..., Problem]) -> None:
    """Service starts on arrival; per-stop time is paid once per run of visits at a site."""
    p = line_problem(n_ship=2)
    order = [
        ("s0", "pickup", "A"),
        ("s1", "pickup", "A"),
        ("s0", "delivery", "B"),
        ("s1", "delivery", "C"),
    ]
    r = schedule(p, {"v0": order}).routes[0]
    starts = [s.start for s in r.stops]
    # D->A 10; 2 crates = 2; second pickup at A at 12; +2 crates +2 stop +10 drive -> B at 26
    assert starts == [10.0, 12.0, 26.0, 40.0]
    assert [s.load for s in r.stops] == [2, 4, 2, 0]
    assert verify(p, schedule(p, {"v0": order})) == []


def test_waits_for_a_later_window(line_problem: Callable[..., Problem]) -> None:
    """Arriving in a gap between two windows waits for the next one."""
    p = line_problem(windows={"B": (TimeWindow(0, 15), TimeWindow(100, 200))})
    r = schedule(p, {"v0": ORDER[:2]}).routes[0]
    assert r.stops[1].start == 100.0


def test_too_late_raises(line_problem: Callable[..., Problem]) -> None:
    """A sequence that reaches a site after its last window cannot be timed."""
    p = line_problem(windows={"B": (TimeWindow(0, 15),)})
    with pytest.raises(ScheduleError):
        schedule(p, {"v0": ORDER[:2]})


def test_break_is_placed_and_verified(line_problem: Callable[..., Problem]) -> None:
    """A break is put where it fits and the result passes the checker."""
    p = line_problem(n_ship=2, brk=Break(20, 40, 15))
    sol = schedule(p, {"v0": ORDER})
    bs = sol.routes[0].break_start
    assert bs is not None and 20 <= bs <= 40
    assert verify(p, sol) == []


def test_unserved_are_dropped(line_problem: Callable[..., Problem]) -> None:
    """Shipments in no sequence are listed as dropped."""
    sol = schedule(line_problem(n_ship=2), {"v0": ORDER[:2]})
    assert [d.shipment for d in sol.dropped] == ["s1"]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.permutations(range(4)), st.floats(0, 300), st.floats(5, 60))
def test_any_timed_sequence_is_verified_or_rejected(
    line_problem: Callable[..., Problem], perm: list[int], bstart: float, bdur: float
) -> None:
    """Whatever the order and break, schedule either raises or yields what verify accepts
    apart from order rules (precedence, capacity) that timing does not decide."""
    p = line_problem(n_ship=2, capacity=4, brk=Break(bstart, bstart + 100, bdur))
    seq = [ORDER[i] for i in perm]
    try:
        sol = schedule(p, {"v0": seq})
    except ScheduleError:
        return
    timing = {"time-window", "travel-time", "shift", "break", "load-mismatch"}
    assert not timing & {v.code for v in verify(p, sol)}


def test_graph_rounds_times_up(line_problem: Callable[..., Problem]) -> None:
    """Integer transit times are never shorter than the float ones they stand for."""
    p = line_problem(n_ship=1)
    g = build_graph(p)
    dur = p.duration_matrix()
    for i, a in enumerate(g.nodes):
        for j, b in enumerate(g.nodes):
            assert g.time[i][j] >= dur[a.site][b.site] * g.time_scale
