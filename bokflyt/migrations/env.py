"""Alembic environment: the engine comes from bokflyt (`alembic_config`), never from an ini file."""

from __future__ import annotations

from alembic import context

from bokflyt.metadata import target_metadata

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
