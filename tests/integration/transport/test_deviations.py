"""`deviations add/list/export` round trip against a real database."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bokflyt.bootstrap import mirror_configuration
from bokflyt.commands.deviations import deviations
from bokflyt.context import AppContext
from bokflyt.settings import load_settings


def _run(config: Path, *args: str) -> tuple[int, str]:
    ctx = AppContext(config_path=config)
    try:
        res = CliRunner().invoke(deviations, list(args), obj=ctx)
        return res.exit_code, res.output
    finally:
        ctx.close()


@pytest.fixture
def config(config_file: Path, engine: Engine) -> Path:
    """The test configuration with its sites mirrored into the database."""
    with sessionmaker(engine).begin() as s:
        mirror_configuration(s, load_settings(config_file))
    return config_file


def test_add_list_export_round_trip(config: Path, tmp_path: Path) -> None:
    """Deviations added on two days list per day, as JSON, and export to the carrier's CSV;
    a note that looks like a formula is defused."""
    added = [
        ("2026-11-30", "1", "late", [], "45 min forsinket; kø på E18"),
        ("2026-11-30", "1", "damaged", ["--crate", "K261130-02", "--site", "BEK"], "=HYPERLINK()"),
        ("2026-12-01", "2", "closed", ["--site", "SKA"], "Stengt, planleggingsdag"),
        ("2026-12-09", "2", "missing", ["--crate", "K261209-01"], ""),
    ]
    for day, van, kind, extra, note in added:
        code, out = _run(config, "add", "--date", day, "--van", van, "--kind", kind, *extra,
                         "--note", note)  # fmt: skip
        assert code == 0 and "registrert" in out, out
    code, out = _run(config, "list", "--date", "2026-11-30")
    assert code == 0 and "forsinket" in out and "skadet" in out and "stengt" not in out
    code, out = _run(config, "list", "--json")
    rows = json.loads(out)
    assert [(r["day"], r["kind"], r["crate"], r["site"]) for r in rows] == [
        ("2026-11-30", "late", None, None),
        ("2026-11-30", "damaged", "K261130-02", "BEK"),
        ("2026-12-01", "closed", None, "SKA"),
        ("2026-12-09", "missing", "K261209-01", None),
    ]
    target = tmp_path / "avvik.csv"
    code, out = _run(config, "export", "--from", "2026-11-30", "--to", "2026-12-01", "-o",
                     str(target))  # fmt: skip
    assert code == 0 and "3 avvik" in out, out
    table = list(csv.reader(target.read_text(encoding="utf-8").splitlines(), delimiter=";"))
    assert table[0] == ["dato", "bil", "type", "kasse", "sted", "merknad", "registrert"]
    assert [r[:6] for r in table[1:]] == [
        ["2026-11-30", "1", "forsinket", "", "", "45 min forsinket; kø på E18"],
        ["2026-11-30", "1", "skadet", "K261130-02", "BEK", "'=HYPERLINK()"],
        ["2026-12-01", "2", "stengt", "", "SKA", "Stengt, planleggingsdag"],
    ]


def test_invalid_input_is_refused(config: Path) -> None:
    """An unknown site exits 1 in bokmål, an unknown kind is a usage error; nothing is stored."""
    code, out = _run(config, "add", "--date", "2026-11-30", "--van", "1", "--kind", "late",
                     "--site", "XYZ")  # fmt: skip
    assert code == 1 and "Ukjent sted" in out
    code, _ = _run(config, "add", "--date", "2026-11-30", "--van", "1", "--kind", "lost")
    assert code == 2
    code, out = _run(config, "list")
    assert code == 0 and "Ingen avvik registrert" in out
