"""`bokflyt sheets sample`: the demo documents are written without a database."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader

from bokflyt.commands.sheets import sheets


def test_sample_writes_all_six_documents(tmp_path: Path) -> None:
    """PDF and HTML of route sheet, crate labels and slips for the given day, names echoed."""
    out = tmp_path / "ark"
    result = CliRunner().invoke(sheets, ["sample", "-o", str(out), "--date", "2026-11-27"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        f"{kind}-2026-11-27.{ext}"
        for kind in ("kjoreliste", "kasseetiketter", "transportlapper")
        for ext in ("pdf", "html")
    )
    echoed = result.output.split()
    assert len(echoed) == 6 and all(Path(p).is_file() for p in echoed)
    route = PdfReader(out / "kjoreliste-2026-11-27.pdf")
    assert "KJØRELISTE" in route.pages[0].extract_text()


def test_sample_requires_an_output_directory() -> None:
    """Without -o the command is a usage error (exit 2), not a crash."""
    result = CliRunner().invoke(sheets, ["sample"])
    assert result.exit_code == 2


def test_every_sheets_command_has_help() -> None:
    """Each command in the group documents itself."""
    for name, command in sheets.commands.items():
        assert command.help, name
        assert CliRunner().invoke(sheets, [name, "--help"]).exit_code == 0
