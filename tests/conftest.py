"""Fixtures shared by the whole suite: a database on SQLite and on PostgreSQL, a config file.

Every test that asks for `db_url` (or `engine`, `session_factory`) runs twice: on a fresh SQLite
file and on a PostgreSQL database created for that test with a unique name and dropped after,
so runs never see each other's data. Without a reachable PostgreSQL the second half is skipped
with the reason shown; with BOKFLYT_REQUIRE_POSTGRES=1 (set by .ci/run) it fails instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.db import make_engine, make_session_factory, normalise_url, upgrade

POSTGRES_ADMIN_URL = os.environ.get(
    "BOKFLYT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("BOKFLYT_REQUIRE_POSTGRES") == "1"

_pg_problem: list[str | None] = []


def _postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None; asked once per run."""
    if not _pg_problem:
        try:
            engine = create_engine(
                normalise_url(POSTGRES_ADMIN_URL), connect_args={"connect_timeout": 3}
            )
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()
            _pg_problem.append(None)
        except Exception as exc:  # any failure to connect means: no PostgreSQL here
            _pg_problem.append(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc}")
    return _pg_problem[0]


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the maintenance database, for CREATE/DROP DATABASE."""
    problem = _postgres_problem()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"BOKFLYT_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)
    engine = create_engine(normalise_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def _fresh_postgres_url(admin: Engine) -> tuple[str, str]:
    name = f"bokflyt_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    return name, url


def _drop_postgres(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of each engine (no schema yet)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bokflyt.db'}"
        return
    admin = request.getfixturevalue("postgres_admin")
    name, url = _fresh_postgres_url(admin)
    try:
        yield url
    finally:
        _drop_postgres(admin, name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the newest schema."""
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


TEST_CONFIG = """
[database]
url = "{db_url}"

[[sites]]
code = "SAN"
name = "Sandvika bibliotek"
kind = "branch"
library_number = "2021900"
lat = 59.8897
lon = 10.5225
hours = {{ mon = ["08:00-19:00"], wed = ["08:00-19:00"], fri = ["08:00-17:00"] }}

[[sites]]
code = "BEK"
name = "Bekkestua bibliotek"
kind = "branch"
library_number = "2021901"
lat = 59.9183
lon = 10.5884
hours = {{ mon = ["10:00-19:00"], wed = ["10:00-19:00"], fri = ["10:00-16:00"] }}

[[sites]]
code = "SKA"
name = "Bekkestua skole"
kind = "school"
library_number = "4021901"
lat = 59.9171
lon = 10.5853
hours = {{ mon = ["08:30-11:00", "12:00-14:30"], wed = ["08:30-11:00"] }}
notes = "Levering i skolebiblioteket, 2. etg."

[sources.public]
kind = "file"
holdings = "koha-952"

[sources.school]
kind = "file"
holdings = "bibliofil-850"
sites = {{ "skole-a" = "SKA" }}

[fleet]
depot = "SAN"
hub = "SAN"
"""


@pytest.fixture
def config_file(tmp_path: Path, db_url: str) -> Path:
    """A small three-site configuration pointing at this test's database."""
    path = tmp_path / "bokflyt.toml"
    path.write_text(TEST_CONFIG.format(db_url=db_url), encoding="utf-8")
    return path


@pytest.fixture
def add_one_van_plan() -> Callable[..., None]:
    """Adds a draft plan to a session: van 1 takes one crate (B1, B2) from SAN to SKA.

    The SAN and SKA sites must already be in the session (flushed).
    """
    from transport.models import PlanCrate, RoutePlan, RouteStop

    def add(session: Session, day: date, distance_m: float) -> None:
        plan = RoutePlan(
            day=day,
            status="draft",
            solver="test",
            vehicles=1,
            distance_m=distance_m,
            cost=1.0,
            problem_json={},
            solution_json={},
        )
        for seq, (site, kind, eta_s, load_after) in enumerate(
            [("SAN", "pickup", 8 * 3600, 1), ("SKA", "delivery", 9 * 3600 + 15 * 60, 0)]
        ):
            plan.stops.append(
                RouteStop(
                    van="1",
                    seq=seq,
                    site=site,
                    kind=kind,
                    leg="SAN>SKA",
                    eta_s=eta_s,
                    crates=1,
                    load_after=load_after,
                )
            )
        plan.crates.append(
            PlanCrate(
                origin="SAN",
                destination="SKA",
                number=1,
                barcodes=["B1", "B2"],
                routed=True,
                note=None,
            )
        )
        session.add(plan)

    return add
