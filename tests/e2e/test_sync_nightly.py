"""scripts/nightly-sync as cron runs it: one stdout line, exit code, log file, alert hook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "nightly-sync"

CONFIG = """
[database]
url = "sqlite:///{db}"

[[sites]]
code = "SAN"
name = "Sandvika"
kind = "branch"
lat = 59.9
lon = 10.5

[sources.public]
kind = "file"
path = "{path}"
"""

ENTRY = """
from bokflyt.cli import cli, main
from bokflyt.commands.sync import COMMANDS
for command in COMMANDS:
    if command.name not in cli.commands:
        cli.add_command(command)
main()
"""


def _run(tmp_path: Path, path: Path) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    config = tmp_path / "bokflyt.toml"
    config.write_text(CONFIG.format(db=tmp_path / "b.db", path=path), encoding="utf-8")
    entry = tmp_path / "entry.py"
    entry.write_text(ENTRY, encoding="utf-8")
    wrapper = tmp_path / "bokflyt"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{entry}" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    log = tmp_path / "logs" / "nightly.log"
    alert = tmp_path / "alert.txt"
    env = {
        **os.environ,
        "BOKFLYT": str(wrapper),
        "BOKFLYT_CONFIG": str(config),
        "BOKFLYT_SYNC_LOG": str(log),
        "BOKFLYT_ALERT_COMMAND": f'cat > "{alert}"; echo "$BOKFLYT_SYNC_STATUS" >> "{alert}"',
    }
    result = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
    return result, log, alert


@pytest.fixture
def marcxml(tmp_path: Path) -> Path:
    path = tmp_path / "export.xml"
    path.write_text(
        '<collection xmlns="http://www.loc.gov/MARC21/slim"><record>'
        '<leader>00000cam a2200000 i 4500</leader><controlfield tag="001">1</controlfield>'
        '<datafield tag="245" ind1="0" ind2="0"><subfield code="a">Natt på Sandvika</subfield>'
        "</datafield></record></collection>",
        encoding="utf-8",
    )
    return path


def test_success_prints_one_line_and_logs(tmp_path: Path, marcxml: Path) -> None:
    """A good night: exit 0, one OK summary line on stdout, the log has it, no alert sent."""
    result, log, alert = _run(tmp_path, marcxml)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bokflyt nightly-sync OK")
    assert "nye 1" in lines[0]
    assert lines[0] in log.read_text(encoding="utf-8")
    assert not alert.exists()


def test_failure_exits_nonzero_and_runs_the_alert_hook(tmp_path: Path) -> None:
    """A failed night: non-zero exit, a FEIL line, and the alert command gets the summary."""
    result, log, alert = _run(tmp_path, tmp_path / "missing.xml")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bokflyt nightly-sync FEIL (exit 1)")
    assert "missing.xml" in lines[0] or "public" in lines[0]
    assert alert.read_text(encoding="utf-8").splitlines() == [lines[0], "failed"]
    assert "FEIL" in log.read_text(encoding="utf-8")
