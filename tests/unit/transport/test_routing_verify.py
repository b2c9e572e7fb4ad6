"""The independent checker catches every kind of broken solution."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from transport.problem import Break, Dropped, Problem, Route, Solution, Stop, TimeWindow
from transport.schedule import schedule
from transport.verify import InfeasibleSolution, check, verify

ORDER = [
    ("s0", "pickup", "A"),
    ("s0", "delivery", "B"),
    ("s1", "pickup", "A"),
    ("s1", "delivery", "C"),
]
BRK = Break(30, 60, 15)


@pytest.fixture
def p(line_problem: Callable[..., Problem]) -> Problem:
    return line_problem(n_ship=2, capacity=4)


@pytest.fixture
def good(p: Problem) -> Solution:
    return schedule(p, {"v0": ORDER})


def codes(problem: Problem, sol: Solution) -> set[str]:
    return {v.code for v in verify(problem, sol)}


def with_route(sol: Solution, **changes: object) -> Solution:
    return replace(sol, routes=(replace(sol.routes[0], **changes),))


def with_stop(sol: Solution, k: int, **changes: object) -> Solution:
    stops = list(sol.routes[0].stops)
    stops[k] = replace(stops[k], **changes)
    return with_route(sol, stops=tuple(stops))


def test_good_solution_passes(p: Problem, good: Solution) -> None:
    """A correctly timed solution has no violations and `check` accepts it."""
    assert verify(p, good) == []
    check(p, good)


def test_capacity(p: Problem) -> None:
    """Carrying more crates than the van holds is caught."""
    order = [ORDER[0], ORDER[2], ORDER[1], ORDER[3]]  # both on board at once: 4 crates
    small = replace(p, vans=(replace(p.vans[0], capacity=3),))
    assert "capacity" in codes(small, schedule(small, {"v0": order}))


def test_load_mismatch(p: Problem, good: Solution) -> None:
    """A stated load that differs from the real one is caught."""
    assert "load-mismatch" in codes(p, with_stop(good, 0, load=0))


def test_time_window(line_problem: Callable[..., Problem], good: Solution) -> None:
    """Starting service outside every window of the site is caught."""
    narrow = line_problem(n_ship=2, capacity=4, windows={"B": (TimeWindow(0, 5),)})
    assert "time-window" in codes(narrow, good)


def test_travel_time(p: Problem, good: Solution) -> None:
    """An ETA earlier than the van can get there is caught."""
    early = good.routes[0].stops[0].start + 1
    assert "travel-time" in codes(p, with_stop(good, 1, start=early))


def test_precedence(p: Problem) -> None:
    """Delivering before picking up is caught."""
    sol = schedule(p, {"v0": [("s0", "delivery", "B"), ("s0", "pickup", "A")]})
    assert "precedence" in codes(p, replace(sol, dropped=(Dropped("s1", "x"),)))


def test_same_van(line_problem: Callable[..., Problem]) -> None:
    """A pickup on one van and its delivery on another is caught."""
    two = line_problem(n_ship=1, vans=2)
    sol = schedule(two, {"v0": [("s0", "pickup", "A")], "v1": [("s0", "delivery", "B")]})
    assert "different-van" in codes(two, sol)


def test_visited_twice(p: Problem, good: Solution) -> None:
    """Visiting the same pickup twice is caught."""
    r = good.routes[0]
    again = replace(r.stops[0], start=r.stops[1].start + 20, load=2)
    assert "visited-twice" in codes(p, with_route(good, stops=(*r.stops[:2], again, *r.stops[2:])))


def test_missing_and_double_dropped(p: Problem, good: Solution) -> None:
    """A shipment neither routed nor dropped, or both, is caught."""
    assert "missing" in codes(p, replace(good, routes=()))
    assert "dropped-and-routed" in codes(p, replace(good, dropped=(Dropped("s0", "x"),)))


def test_wrong_site(p: Problem, good: Solution) -> None:
    """Picking up at a site that is not one of the shipment's pickup sites is caught."""
    assert "wrong-site" in codes(p, with_stop(good, 0, site="C"))


def test_shift(p: Problem, good: Solution) -> None:
    """Leaving before the shift or returning after it is caught."""
    assert "shift" in codes(p, with_route(good, depart=-5.0))
    short = replace(p, vans=(replace(p.vans[0], shift=TimeWindow(0, 50)),))
    assert "shift" in codes(short, good)


def test_depot_return_time(p: Problem, good: Solution) -> None:
    """Arriving at the end depot sooner than the drive back takes is caught."""
    last = good.routes[0].stops[-1]
    assert "travel-time" in codes(p, with_route(good, arrive=last.start + 1))


def test_unknown_van_and_reuse(p: Problem, good: Solution) -> None:
    """A route for a van that does not exist, or two routes for one van, are caught."""
    assert "unknown-van" in codes(p, with_route(good, van="ghost"))
    two = replace(good, routes=(good.routes[0], replace(good.routes[0], stops=())))
    assert "van-reused" in codes(p, two)


def test_unknown_shipment_in_route(p: Problem, good: Solution) -> None:
    """A stop for a shipment that is not in the problem is caught."""
    extra = Stop("B", "nope", "delivery", 999.0, 0)
    assert "unknown-shipment" in codes(p, with_route(good, stops=(*good.routes[0].stops, extra)))


def test_break_missing_or_outside_window(line_problem: Callable[..., Problem]) -> None:
    """No break, or a break starting outside its window, is caught."""
    pb = line_problem(n_ship=2, capacity=4, brk=BRK)
    sol = schedule(pb, {"v0": ORDER})
    assert verify(pb, sol) == []
    assert "break" in codes(pb, with_route(sol, break_start=None))
    assert "break" in codes(pb, with_route(sol, break_start=100.0))


def test_break_overlapping_service(line_problem: Callable[..., Problem]) -> None:
    """A break placed during crate handling is caught."""
    pb = line_problem(n_ship=2, capacity=4, brk=Break(0, 200, 15))
    sol = schedule(pb, {"v0": ORDER})
    inside = sol.routes[0].stops[0].start + 0.5  # 2 crates take 2 time units
    assert "break" in codes(pb, with_route(sol, break_start=inside))


def test_break_without_time_for_it(line_problem: Callable[..., Problem]) -> None:
    """A break that fits between two services but leaves no time for the drive is caught."""
    late_b = {"B": (TimeWindow(30, 100),)}
    plain = line_problem(n_ship=2, capacity=4, windows=late_b)
    pb = line_problem(n_ship=2, capacity=4, windows=late_b, brk=Break(0, 200, 15))
    sol = schedule(plain, {"v0": ORDER})  # timed without a break
    s0, s1 = sol.routes[0].stops[0], sol.routes[0].stops[1]
    bs = s0.start + 2.0  # right after loading 2 crates
    assert bs + 15 <= s1.start < bs + 15 + 2 + 10  # fits, but not with the stop time and drive
    assert codes(pb, with_route(sol, break_start=bs)) == {"travel-time"}


def test_check_raises_with_all_violations(p: Problem, good: Solution) -> None:
    """`check` raises with every violation listed."""
    bad = with_stop(with_route(good, depart=-5.0), 0, load=0)
    with pytest.raises(InfeasibleSolution) as err:
        check(p, bad)
    assert {v.code for v in err.value.violations} >= {"shift", "load-mismatch"}


def test_empty_route_is_fine(p: Problem) -> None:
    """An unused van with an empty route breaks no rule."""
    sol = Solution((Route("v0", (), 0, 0),), (Dropped("s0", "x"), Dropped("s1", "x")))
    assert verify(p, sol) == []
