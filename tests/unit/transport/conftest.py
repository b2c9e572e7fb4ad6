"""Fixtures for the routing tests: small problems built in code (and `LILIM_6`, a 6-pair
Li & Lim instance cut from lr101; `GEN_40`, 40 tasks from `benchmarks/gen_lilim.py --kind lrc1
--tasks 40 --seed 11`, big enough for the engines to disagree)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from transport.problem import Break, Objective, Problem, Shipment, Site, TimeWindow, Van

DATA = Path(__file__).parent / "data"
LILIM_6 = DATA / "lr101_6pairs.txt"
GEN_40 = DATA / "gen_lrc1_40.txt"


def _line_problem(
    n_ship: int = 2,
    capacity: int = 10,
    vans: int = 1,
    brk: Break | None = None,
    windows: dict[str, tuple[TimeWindow, ...]] | None = None,
) -> Problem:
    """Depot D at x=0, sites A..E at x=10..50 on a line; shipment k goes A->(B, C, ...)."""
    names = ["D", "A", "B", "C", "D2", "E"]
    windows = windows or {}
    sites = tuple(
        Site(
            id=n,
            x=10.0 * i,
            y=0.0,
            time_windows=windows.get(n, ()),
            service_time=2.0,
            service_per_crate=1.0,
        )
        for i, n in enumerate(names)
    )
    ships = tuple(
        Shipment(id=f"s{k}", pickup="A", delivery=names[2 + k], size=2) for k in range(n_ship)
    )
    van_list = tuple(
        Van(
            id=f"v{k}",
            capacity=capacity,
            start="D",
            end="D",
            shift=TimeWindow(0, 1000),
            break_=brk,
            fixed_cost=100.0,
        )
        for k in range(vans)
    )
    return Problem(
        sites=sites,
        vans=van_list,
        shipments=ships,
        objective=Objective(time_weight=1.0, distance_weight=0.0, drop_penalty=10_000.0),
    )


@pytest.fixture
def line_problem() -> Callable[..., Problem]:
    """Builder of line problems: `line_problem(n_ship=2, capacity=10, vans=1, brk=None)`."""
    return _line_problem


@pytest.fixture
def lilim_6() -> Path:
    """Path of the 6-pair Li & Lim instance."""
    return LILIM_6


@pytest.fixture
def gen_40() -> Path:
    """Path of the generated 40-task Li & Lim-style instance."""
    return GEN_40
