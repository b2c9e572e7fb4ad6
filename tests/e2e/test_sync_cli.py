"""`bokflyt sync`, `import` and `quarantine` as IT meets them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bokflyt.cli import cli
from bokflyt.commands.sync import COMMANDS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from zebra_server import load_generator  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def registered() -> None:
    """The sync commands on the root group (until bokflyt.cli registers them itself)."""
    for command in COMMANDS:
        if command.name not in cli.commands:
            cli.add_command(command)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The demo collection: 30 public titles (Koha 952) and the overlapping school file (850)."""
    gen = load_generator()
    out = tmp_path / "demo"
    gen.main(["--out", str(out), "--records", "30", "--seed", "7"])
    return out


def invoke(config: Path, *args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


@pytest.mark.parametrize(
    "path",
    [("sync",), ("import",), ("quarantine",), ("quarantine", "list"), ("quarantine", "show")],
)
def test_every_sync_command_has_help(path: tuple[str, ...]) -> None:
    """Each command and group answers --help with a description."""
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    assert len(result.output.splitlines()) > 3


def test_import_demo_files_then_stats_status_and_quarantine(config_file: Path, demo: Path) -> None:
    """Importing both demo files stores the good records, quarantines the broken, reports all."""
    public = invoke(config_file, "import", str(demo / "folkebibliotek.xml"), "--source", "public")
    assert public.exit_code == 0, public.output
    assert "nye 30" in public.output and "avvist 3" in public.output
    assert "ukjente steder" in public.output  # HOV, EIK... are not in the test config
    school = invoke(config_file, "import", str(demo / "skolebibliotek.xml"), "--source", "school")
    assert school.exit_code == 0, school.output
    stats = json.loads(invoke(config_file, "stats", "--json").output)
    assert stats["sources"]["public"]["records"] == 30
    assert stats["sources"]["school"]["records"] == 15
    assert stats["sites"]["SKA"]["items"] > 0 and stats["sites"]["SAN"]["items"] > 0
    status = invoke(config_file, "sync", "--status")
    assert status.exit_code == 0 and "school import ok" in status.output
    listing = invoke(config_file, "quarantine", "list")
    assert "BROKEN2" in listing.output and "leader har 8 tegn" in listing.output
    first_id = listing.output.split()[0].lstrip("#")
    shown = invoke(config_file, "quarantine", "show", first_id)
    assert shown.exit_code == 0 and "Årsak:" in shown.output and "<record" in shown.output


def test_reimport_is_unchanged_and_full_import_withdraws(
    config_file: Path, demo: Path, tmp_path: Path
) -> None:
    """Importing the same file again changes nothing; --full with fewer records withdraws."""
    path = demo / "folkebibliotek.xml"
    invoke(config_file, "import", str(path), "--source", "public")
    again = invoke(config_file, "import", str(path), "--source", "public")
    assert "nye 0, endret 0, uendret 30" in again.output
    gen = load_generator()
    smaller = tmp_path / "smaller.xml"
    gen.write(smaller, gen.public_collection(7, 25, broken=False))
    full = invoke(config_file, "import", str(smaller), "--source", "public", "--full")
    assert full.exit_code == 0 and "trukket tilbake 5" in full.output


def test_iso2709_import_by_content(config_file: Path, tmp_path: Path) -> None:
    """An ISO 2709 file with no telling name is recognised from its content."""
    import pymarc

    record = pymarc.Record(force_utf8=True)
    record.leader = pymarc.Leader("00000nam a2200000 i 4500")
    record.add_field(pymarc.Field(tag="001", data="iso1"))
    record.add_field(
        pymarc.Field(
            tag="245",
            indicators=pymarc.Indicators("1", "0"),
            subfields=[pymarc.Subfield("a", "Ærlig talt")],
        )
    )
    path = tmp_path / "eksport.dat"
    path.write_bytes(record.as_marc())
    result = invoke(config_file, "import", str(path), "--source", "public")
    assert result.exit_code == 0 and "nye 1" in result.output


def test_usage_and_failure_exit_codes(config_file: Path, tmp_path: Path) -> None:
    """Unknown source → 2; missing file → 1; a file source without path → 1 naming it."""
    assert invoke(config_file, "sync", "nosuch").exit_code == 2
    missing = invoke(config_file, "import", str(tmp_path / "nope.xml"), "--source", "public")
    assert missing.exit_code == 1 and "finner ikke fil" in missing.output
    nopath = invoke(config_file, "sync", "public")
    assert nopath.exit_code == 1 and "mangler 'path'" in nopath.output


def test_not_marc_is_a_clear_failure(config_file: Path, tmp_path: Path) -> None:
    """A file that is not MARC fails the import with a message and exit code 1."""
    path = tmp_path / "notes.txt"
    path.write_text("dette er ikke MARC i det hele tatt, bare tekst", encoding="utf-8")
    result = invoke(config_file, "import", str(path), "--source", "public")
    assert result.exit_code == 1 and "verken MARCXML eller ISO 2709" in result.output


def test_empty_full_import_is_refused(config_file: Path, demo: Path, tmp_path: Path) -> None:
    """An empty export imported with --full fails (exit 1) and withdraws nothing."""
    invoke(config_file, "import", str(demo / "folkebibliotek.xml"), "--source", "public")
    empty = tmp_path / "tom.xml"
    empty.write_text('<collection xmlns="http://www.loc.gov/MARC21/slim"></collection>')
    result = invoke(config_file, "import", str(empty), "--source", "public", "--full")
    assert result.exit_code == 1 and "ingenting trekkes tilbake" in result.output
    stats = json.loads(invoke(config_file, "stats", "--json").output)
    assert stats["sources"]["public"]["records"] == 30
