"""The catalogue journey end to end: two systems' files in, one merged catalogue out.

A public-library file (Koha 952) and a school file (Bibliofil 850) of one generated collection
are imported through the CLI; `clusters export` must reproduce the true grouping (records with
the same book number are the same book), librarian splits must survive a re-import, and
`stats --json` must agree with what was imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest
from click.testing import CliRunner

from bokflyt.cli import cli

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "baerum.toml"
RECORDS = 240


def _pairs(groups: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {pair for members in groups.values() for pair in combinations(sorted(members), 2)}


@pytest.fixture
def runner(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    """A CLI runner on the Bærum configuration, pointed at this test's database."""
    monkeypatch.setenv("BOKFLYT_CONFIG", str(EXAMPLE))
    monkeypatch.setenv("BOKFLYT_DATABASE_URL", db_url)
    monkeypatch.setenv("BOKFLYT_STATE_DIR", str(tmp_path / "state"))
    return CliRunner()


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _export(runner: CliRunner) -> list[dict[str, str]]:
    return [json.loads(line) for line in _ok(runner, "clusters", "export").splitlines() if line]


def test_two_systems_merge_into_the_true_grouping(runner: CliRunner, tmp_path: Path) -> None:
    """Export matches the generator's truth exactly; stats and search agree; a split survives
    a full re-import of the school file."""
    data = tmp_path / "data"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make-demo-data"), "--out", str(data),
         "--records", str(RECORDS)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    _ok(runner, "init")
    _ok(runner, "import", str(data / "folkebibliotek.xml"), "--source", "public")
    _ok(runner, "import", str(data / "skolebibliotek.xml"), "--source", "school")

    rows = _export(runner)
    assert set(rows[0]) == {"source", "id", "cluster", "work"}
    found: dict[str, set[str]] = {}
    truth: dict[str, set[str]] = {}
    for row in rows:
        key = f"{row['source']}:{row['id']}"
        found.setdefault(row["cluster"], set()).add(key)
        truth.setdefault(row["id"][1:], set()).add(key)  # P0000007 and S0000007: one book
    found_pairs, true_pairs = _pairs(found), _pairs(truth)
    assert len(true_pairs) >= RECORDS // 8
    assert found_pairs == true_pairs

    stats = json.loads(_ok(runner, "stats", "--json"))
    assert stats["sources"]["public"]["records"] == RECORDS
    assert stats["sources"]["school"]["records"] == RECORDS // 2
    assert stats["clusters"] == len(found)
    assert stats["items_without_site"] == 0

    merged = next(members for members in truth.values() if len(members) == 2)
    school = next(k for k in merged if k.startswith("school:"))
    _ok(runner, "merge", "split", school)
    _ok(runner, "import", str(data / "skolebibliotek.xml"), "--source", "school", "--full")
    after = {f"{r['source']}:{r['id']}": r["cluster"] for r in _export(runner)}
    public = next(k for k in merged if k.startswith("public:"))
    assert after[school] != after[public]
    others = [m for m in truth.values() if len(m) == 2 and m != merged]
    assert all(len({after[k] for k in m}) == 1 for m in others)
