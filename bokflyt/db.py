"""The one place engines and sessions are made.

SQLite gets WAL mode (readers keep reading while a sync writes), foreign keys on and a busy
timeout; PostgreSQL URLs are routed to psycopg 3. Schema changes only go through Alembic
(`bokflyt db upgrade`), never `create_all`, so both engines end up with the same schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from catalog.search import PG_SEARCH_SETTING, SEARCH_READY

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain `postgresql://` URLs (psycopg2 is not a dependency)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _mark_search_ready(_dbapi_connection: Any, record: Any) -> None:
    record.info[SEARCH_READY] = True


def make_engine(url: str, *, interactive: bool = False) -> Engine:
    """An engine for `url` with the per-dialect settings bokflyt relies on.

    `interactive` is for the web app, whose statements are all short: its PostgreSQL
    connections start without parallel query workers (see `catalog.search.prepare_connection`),
    so a search does not spend a round trip on `SET LOCAL` each time.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if not interactive:
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"options": f"-c {PG_SEARCH_SETTING}"},
    )
    event.listen(engine, "connect", _mark_search_ready)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that do not expire objects on commit, so results outlive their unit of work."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to the newest revision of every migration branch."""
    command.upgrade(alembic_config(engine), revision)


def current_revisions(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())
