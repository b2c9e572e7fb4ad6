"""`routes print`, `crates labels` and `slips` from a real stored plan, read back with pypdf."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.bootstrap import mirror_configuration
from bokflyt.commands.crates import crates
from bokflyt.commands.routes import routes
from bokflyt.commands.routes_print import print_cmd
from bokflyt.commands.slips import slips
from bokflyt.context import AppContext
from bokflyt.settings import load_settings
from catalog.models import ItemRow, Site, Source, SourceRecord
from catalog.records import BibRecord, record_to_dict
from transport.models import RoutePlan
from transport.print_plan import numbered_crates

MONDAY = "2026-11-30"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
BORROWER = "BRW-99887766"
LEGS = [("BEK", "SKA")] * 3 + [("SKA", "SAN")] * 2 + [("SAN", "BEK")]


def _cli() -> click.Group:
    """The commands as the CLI will register them, without touching the shared groups."""
    group = click.Group("bokflyt")
    group.add_command(click.Group("routes", commands={**routes.commands, "print": print_cmd}))
    group.add_command(crates)
    group.add_command(slips)
    return group


def _run(config: Path, *args: str) -> tuple[int, str]:
    ctx = AppContext(config_path=config)
    try:
        res = CliRunner().invoke(_cli(), list(args), obj=ctx)
        return res.exit_code, res.output
    finally:
        ctx.close()


def _text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


@pytest.fixture
def planned(config_file: Path, session_factory: sessionmaker[Session], tmp_path: Path) -> Path:
    """Sites, items whose records carry a planted borrower key, transfers imported from a CSV
    with borrower columns, and a stored plan for Monday."""
    settings = load_settings(config_file)
    with session_factory.begin() as s:
        mirror_configuration(s, settings)
    with session_factory.begin() as s:
        source = s.scalar(select(Source).where(Source.name == "public"))
        sites = {site.code: site.id for site in s.scalars(select(Site))}
        assert source is not None
        for k, (origin, _dest) in enumerate(LEGS):
            title = f"Tittel nummer {k}" if k else "<b>Tittel nummer 0 &amp; co</b>\x07"
            data = record_to_dict(BibRecord("public", f"r{k}", title))
            data["borrower"] = BORROWER
            record = SourceRecord(source_id=source.id, record_id=f"r{k}", raw=b"",
                                  raw_format="marc", checksum=str(k),
                                  title=f"Tittel nummer {k}", data=data)  # fmt: skip
            record.items.append(ItemRow(barcode=f"0301{k:04d}", location_code=origin,
                                        home_location_code=origin, site_id=sites[origin],
                                        call_number=f"839.82 Fo{k}",
                                        status="on_shelf"))  # fmt: skip
            s.add(record)
    csv_file = tmp_path / "transfers.csv"
    csv_file.write_text(
        "strekkode;fra;til;lånenummer;låner\n"
        + "".join(
            f"0301{k:04d};{a};{b};{BORROWER};Kari Nordmann\n" for k, (a, b) in enumerate(LEGS)
        ),
        encoding="utf-8",
    )
    code, out = _run(config_file, "routes", "import-transfers", str(csv_file))
    assert code == 0, out
    code, out = _run(config_file, "routes", "plan", "--date", MONDAY, "--time-limit", "1")
    assert code == 0, out
    return config_file


def test_documents_list_every_stop_crate_and_item(
    planned: Path, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """Sheets name every stop with its notes; labels every crate and item; slips every item;
    the planted borrower id is printed nowhere."""
    with session_factory() as s:
        plan = s.scalar(select(RoutePlan))
        assert plan is not None
        ids = [cid for cid, c in numbered_crates(plan) if c.routed]
        stop_sites = {stop.site for stop in plan.stops}
        names = {site.code: site.name for site in s.scalars(select(Site))}
    assert len(ids) == 3 and stop_sites == {"SAN", "BEK", "SKA"}
    sheet, labels, slip = (tmp_path / n for n in ("ruter.pdf", "etiketter.pdf", "lapper.pdf"))
    for args in (
        ("routes", "print", "--date", MONDAY, "-o", str(sheet)),
        ("crates", "labels", "--date", MONDAY, "-o", str(labels)),
        ("slips", "--date", MONDAY, "-o", str(slip)),
    ):
        code, out = _run(planned, *args)
        assert code == 0, out
    sheet_text, label_text, slip_text = _text(sheet), _text(labels), _text(slip)
    for site_code in stop_sites:
        assert names[site_code] in sheet_text
    assert "Levering i skolebiblioteket" in sheet_text
    for cid in ids:
        assert cid in sheet_text and cid in label_text
    for k in range(len(LEGS)):
        assert f"0301{k:04d}" in label_text and f"0301{k:04d}" in slip_text
        assert f"Tittel nummer {k}" in label_text
    assert "<b>Tittel nummer 0 &amp; co</b>" in label_text  # markup printed as typed
    assert "4021901" in slip_text  # SKA's library number, large on its slips
    for text in (sheet_text, label_text, slip_text):
        assert BORROWER not in text and "Kari Nordmann" not in text
    if shutil.which("pdftoppm") and "sqlite" in str(planned.read_text()):
        ARTIFACTS.mkdir(exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                        str(sheet), str(ARTIFACTS / "plan-route-sheet-page1")],
                       check=True, timeout=60)  # fmt: skip


def test_print_for_one_van_and_unknown_van(planned: Path, tmp_path: Path) -> None:
    """`--van` prints that van's sheet; a van without a route exits 1."""
    code, out = _run(planned, "routes", "print", "--date", MONDAY, "--van", "1", "-o",
                     str(tmp_path / "bil1.pdf"))  # fmt: skip
    assert code == 0 and "Bil 1" in _text(tmp_path / "bil1.pdf"), out
    code, out = _run(planned, "routes", "print", "--date", MONDAY, "--van", "9", "-o",
                     str(tmp_path / "bil9.pdf"))  # fmt: skip
    assert code == 1 and not (tmp_path / "bil9.pdf").exists()


@pytest.mark.parametrize(
    "args",
    [("routes", "print"), ("crates", "labels"), ("slips",)],
    ids=["routes-print", "crates-labels", "slips"],
)
def test_no_plan_is_a_bokmaal_error(
    config_file: Path, engine: Engine, tmp_path: Path, args: tuple[str, ...]
) -> None:
    """A day without a plan exits 1 with a bokmål message and writes no file."""
    with sessionmaker(engine).begin() as s:
        mirror_configuration(s, load_settings(config_file))
    out_file = tmp_path / "x.pdf"
    code, out = _run(config_file, *args, "--date", "2026-12-02", "-o", str(out_file))
    assert code == 1 and "Det finnes ingen ruteplan for 2026-12-02" in out
    assert not out_file.exists()
