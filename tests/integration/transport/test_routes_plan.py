"""`routes plan` and `routes dispatch` against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.bootstrap import mirror_configuration
from bokflyt.commands.routes import routes
from bokflyt.context import AppContext
from bokflyt.settings import load_settings
from transport.models import RoutePlan, Transfer

MONDAY = "2026-11-30"
BORROWER = "BRW-55443322"


@pytest.fixture
def seeded(
    config_file: Path, engine: Engine, session_factory: sessionmaker[Session], tmp_path: Path
) -> Path:
    """Sites mirrored from the config; transfers imported with `routes import-transfers` from a
    CSV that carries a borrower number, name and e-mail."""
    settings = load_settings(config_file)
    with session_factory.begin() as s:
        mirror_configuration(s, settings)
    csv_file = tmp_path / "transfers.csv"
    csv_file.write_text(
        "strekkode;fra;til;lånenummer;låner;e-post\n"
        + "".join(
            f"0301{k:04d};{a};{b};{BORROWER};Kari Nordmann;kari@example.no\n"
            for k, (a, b) in enumerate(
                [("BEK", "SKA")] * 5 + [("SKA", "SAN")] * 2 + [("SAN", "BEK")]
            )
        ),
        encoding="utf-8",
    )
    code, out = _run(config_file, "import-transfers", str(csv_file))
    assert code == 0 and "8 overføring(er)" in out, out
    return config_file


def _run(config: Path, *args: str) -> tuple[int, str]:
    ctx = AppContext(config_path=config)
    try:
        res = CliRunner().invoke(routes, list(args), obj=ctx)
        return res.exit_code, res.output
    finally:
        ctx.close()


def test_plan_replan_dispatch_freeze(
    seeded: Path,
    engine: Engine,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A verified draft is stored and replaced on re-planning; once dispatched it never changes;
    the planted borrower id is in no table and no output."""
    caplog.set_level(logging.DEBUG)
    code, out = _run(seeded, "plan", "--date", MONDAY, "--time-limit", "2")
    assert code == 0, out
    assert "utkast til kjøreplan" in out and " lever " in out and " hent " in out
    with session_factory() as s:
        first = s.scalar(select(RoutePlan))
        assert first is not None and first.status == "draft" and first.stops
    code, out = _run(seeded, "plan", "--date", MONDAY, "--time-limit", "2")
    assert code == 0, out
    with session_factory() as s:
        assert len(s.scalars(select(RoutePlan)).all()) == 1
    code, out = _run(seeded, "dispatch", "--date", MONDAY)
    assert code == 0, out
    code, out = _run(seeded, "plan", "--date", MONDAY, "--time-limit", "2")
    assert code == 1 and "sendt ut og endres ikke" in out
    with session_factory() as s:
        plan = s.scalar(select(RoutePlan))
        assert plan is not None and plan.status == "dispatched"
        moved = s.scalars(select(Transfer).where(Transfer.at_site.is_not(None))).all()
        assert moved
    # The borrower id appears in no table, no printed output and no log line.
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f"SELECT * FROM {table}")):  # noqa: S608 - test only
                for secret in (BORROWER, "Kari Nordmann", "kari@example.no"):
                    assert secret not in repr(tuple(row))
    assert BORROWER not in out and BORROWER not in caplog.text


def test_dispatch_without_plan_fails(seeded: Path) -> None:
    """Dispatching a day with no plan exits 1 with a reason."""
    code, out = _run(seeded, "dispatch", "--date", "2026-12-02")
    assert code == 1 and "ingen kjøreplan" in out


def test_closed_site_is_reached_via_the_hub(
    seeded: Path, session_factory: sessionmaker[Session]
) -> None:
    """With SKA closed on the day by `[calendar]`, no van stops at SKA: BEK's books for SKA go to
    the hub (SAN), and the summary names the closure and SKA's next service day."""
    with seeded.open("a", encoding="utf-8") as f:
        f.write(f'\n[calendar]\nsite_closed = {{ SKA = ["{MONDAY}"] }}\n')
    code, out = _run(seeded, "plan", "--date", MONDAY, "--time-limit", "1")
    assert code == 0, out
    assert "stengt i dag: SKA (stengt); neste kjøredag 2026-12-02" in out, out
    with session_factory() as s:
        plan = s.scalar(select(RoutePlan))
        assert plan is not None and plan.stops
        assert "SKA" not in {stop.site for stop in plan.stops}
        legs = {(c.origin, c.destination) for c in plan.crates}
        assert ("BEK", "SAN") in legs and not any("SKA" in leg for leg in legs)


def test_school_holiday_keeps_schools_off_the_route(seeded: Path) -> None:
    """A holiday for kind "school" closes SKA but not the branches."""
    with seeded.open("a", encoding="utf-8") as f:
        f.write(
            '\n[calendar]\nholidays = [{ from = "2026-11-23", to = "2026-12-06", '
            'kinds = ["school"], name = "skoleferie" }]\n'
        )
    code, out = _run(seeded, "plan", "--date", MONDAY, "--time-limit", "1")
    assert code == 0, out
    assert "stengt i dag: SKA (skoleferie); neste kjøredag 2026-12-07" in out
    stops = [line.split()[1] for line in out.splitlines() if line.startswith("  ")]
    assert "BEK" in stops and "SKA" not in stops
