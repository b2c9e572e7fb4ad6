"""The 0003_transport migration creates exactly the tables in transport.models (SQLite)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect

import transport.models as tm
from bokflyt.db import make_engine, upgrade

TRANSPORT_TABLES = {"transfers", "route_plans", "route_stops", "plan_crates"}


def test_migration_matches_models(tmp_path: Path) -> None:
    """After `upgrade heads`, Alembic sees no difference in the transport tables."""
    engine = make_engine(f"sqlite:///{tmp_path / 't.db'}")
    upgrade(engine)
    only = MetaData(naming_convention=tm.Base.metadata.naming_convention)
    for name in (*TRANSPORT_TABLES, "sites"):
        tm.Base.metadata.tables[name].to_metadata(only)

    def include(_obj: object, name: str | None, type_: str, *_rest: object) -> bool:
        return type_ != "table" or name in TRANSPORT_TABLES | {"sites"}

    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include}
        )
        diffs = compare_metadata(ctx, only)
    assert diffs == []
    assert set(inspect(engine).get_table_names()) >= TRANSPORT_TABLES
    columns = {c["name"] for t in TRANSPORT_TABLES for c in inspect(engine).get_columns(t)}
    assert not {c for c in columns if "borrower" in c or "patron" in c}
    engine.dispose()
