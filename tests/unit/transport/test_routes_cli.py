"""`bokflyt routes` driven through click's CliRunner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from adapters.lilim import read_lilim, route_distance
from bokflyt.commands.routes import routes
from transport.problem import Problem
from transport.problem_json import dump_problem
from transport.solve import CPU_SHARE_ENV


def test_lilim_output_format(
    lilim_6: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Li & Lim output lists task ids per route, the vehicle count and the unrounded distance."""
    # Budgets for a twentieth of a core: a test machine at load 10 cut the default ones at 1.5 s.
    monkeypatch.setenv(CPU_SHARE_ENV, "0.05")
    out = tmp_path / "sol.json"
    res = CliRunner().invoke(
        routes, ["solve", str(lilim_6), "--format", "lilim", "--time-limit", "1.5", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert set(data) == {"routes", "vehicles", "distance", "clock_cut"}
    assert data["clock_cut"] == [], "a 6-pair instance finishes its work budgets in 1.5 s"
    tasks = sorted(t for r in data["routes"] for t in r)
    assert tasks == list(range(1, 13))
    assert data["vehicles"] == len(data["routes"])
    p = read_lilim(lilim_6)
    assert abs(data["distance"] - route_distance(p, data["routes"])) < 1e-9


def test_json_problem(line_problem: Callable[..., Problem], tmp_path: Path) -> None:
    """A JSON problem gives a JSON solution with stops, ETAs and loads."""
    src = tmp_path / "p.json"
    dump_problem(line_problem(n_ship=2), src)
    out = tmp_path / "s.json"
    res = CliRunner().invoke(
        routes, ["solve", str(src), "--time-limit", "1", "--no-seeds", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    stops = [s for r in data["routes"] for s in r["stops"]]
    assert len(stops) == 4 and all("start" in s and "load" in s for s in stops)


def test_bad_problem_exits_1(tmp_path: Path) -> None:
    """An invalid problem file exits with status 1 and names the bad key; nothing is written."""
    src = tmp_path / "p.json"
    src.write_text(
        json.dumps(
            {
                "sites": [{"id": "D", "x": 0, "y": 0}],
                "vans": [{"id": "v", "start": "D", "shift": [0, 9]}],
                "shipments": [],
            }
        )
    )
    out = tmp_path / "s.json"
    res = CliRunner().invoke(routes, ["solve", str(src), "-o", str(out)])
    assert res.exit_code == 1
    assert "vans[0].capacity" in res.output
    assert not out.exists()


def test_missing_file_exits_1(tmp_path: Path) -> None:
    """A missing problem file is a clear error, not a traceback."""
    res = CliRunner().invoke(routes, ["solve", str(tmp_path / "nope.json"), "-o", "x.json"])
    assert res.exit_code == 1 and "finner ikke filen" in res.output


def test_every_command_has_help() -> None:
    """Every command and option in the group carries help text."""

    def walk(cmd: click.Command) -> None:
        assert cmd.help, cmd.name
        for param in cmd.params:
            if isinstance(param, click.Option):
                assert param.help, f"{cmd.name} {param.name}"
        if isinstance(cmd, click.Group):
            for sub in cmd.commands.values():
                walk(sub)

    walk(routes)
