"""The database layer on both engines: migrations match the models, SQLite pragmas, stats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.db import current_revisions, upgrade
from bokflyt.metadata import target_metadata
from catalog.models import ItemRow, Site, Source, SourceRecord
from catalog.stats import catalogue_stats


def _not_fts5_table(name: str | None, type_: str, _parents: object) -> bool:
    """The SQLite FTS5 index (`search_fts` and its shadow tables) is not modelled in ORM."""
    return not (type_ == "table" and name is not None and name.startswith("search_fts"))


def _fts_index_on(dialect: str) -> Callable[..., bool]:
    """The GIN index on `search_docs.fts` exists on PostgreSQL only (`ddl_if`)."""

    def include(_obj: object, name: str | None, type_: str, *_rest: object) -> bool:
        return dialect == "postgresql" or not (type_ == "index" and name == "ix_search_docs_fts")

    return include


def test_migrations_create_exactly_the_modelled_schema(engine: Engine) -> None:
    """After `upgrade`, Alembic finds no difference between the database and the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": _not_fts5_table,
                "include_object": _fts_index_on(connection.dialect.name),
            },
        )
        differences = compare_metadata(context, target_metadata)
    assert differences == []
    assert set(target_metadata.tables) <= set(inspect(engine).get_table_names())


def test_upgrade_is_idempotent(engine: Engine) -> None:
    """Running the migrations again changes nothing and keeps every branch at its head."""
    before = current_revisions(engine)
    upgrade(engine)
    assert current_revisions(engine) == before
    assert before


def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine: Engine) -> None:
    """SQLite connections use WAL and enforce foreign keys."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas; PostgreSQL always enforces foreign keys")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def _record(source: Source, record_id: str, cluster: str | None, **extra: object) -> SourceRecord:
    return SourceRecord(
        source=source,
        record_id=record_id,
        raw=b"<record/>",
        raw_format="marcxml",
        checksum=record_id * 4,
        title=f"Tittel {record_id}",
        cluster_id=cluster,
        work_id=cluster and f"w{cluster}",
        **extra,
    )


def test_stats_count_live_records_items_per_site_and_clusters(
    session_factory: sessionmaker[Session],
) -> None:
    """Withdrawn records and their items are left out; unknown-site items are counted apart."""
    with session_factory.begin() as session:
        san = Site(code="SAN", name="Sandvika", kind="branch", lat=59.9, lon=10.5)
        ska = Site(code="SKA", name="Skole", kind="school", lat=59.9, lon=10.6)
        public = Source(name="public", kind="file", holdings="koha-952")
        school = Source(name="school", kind="file", holdings="bibliofil-850")
        r1 = _record(public, "1", "c1")
        r2 = _record(school, "9", "c1")
        r3 = _record(public, "2", "c2", withdrawn_at=datetime.now(UTC))
        session.add_all([san, ska, public, school, r1, r2, r3])
        session.add_all(
            [
                ItemRow(record=r1, barcode="a", location_code="SAN", site=san, status="on_shelf"),
                ItemRow(record=r1, barcode="b", location_code="SAN", site=san, status="on_loan"),
                ItemRow(record=r2, barcode="c", location_code="x", site=ska, status="on_shelf"),
                ItemRow(record=r2, barcode="d", location_code="??", site=None, status="on_shelf"),
                ItemRow(record=r3, barcode="e", location_code="SAN", site=san, status="on_shelf"),
            ]
        )
    with session_factory() as session:
        stats = catalogue_stats(session)
    assert stats["sources"] == {"public": {"records": 1}, "school": {"records": 1}}
    assert stats["sites"] == {"SAN": {"items": 2}, "SKA": {"items": 1}}
    assert (stats["records"], stats["items"], stats["items_without_site"]) == (2, 4, 1)
    assert (stats["clusters"], stats["works"]) == (1, 1)
