"""Search speed: a facet key per document, a covering index for the site facet, and FTS5
prefix indexes.

`search_docs.facet_key` holds "format|audience|year bucket|language" so a search counts every
facet but the sites by grouping its hits on one stored column; the year buckets below are
those of `catalog.search_index.YEAR_BUCKETS` when this migration was written. Existing
documents get their key here, so no reindex is needed. `ix_search_availability_shelf` lets
the site facet read (doc, site, on the shelf) from the index alone.

On SQLite `search_fts` is rebuilt with prefix indexes for prefixes of 2 to 8 characters: the
last word typed is matched as a prefix, and without a prefix index of that length FTS5 merges
the posting lists of every term starting with it ("dal" → dal, dalen, dalberg …) for each
statement, even when the other words of the query leave one hit (at a million documents such
a query cost 50-180 ms of CPU; with the index under 1 ms). Longer prefixes are shared by few
terms. The prefix indexes make the FTS5 data about 1.7 times larger (measured at 100,000
documents: 18 → 30 MiB beside 10 MiB of text). The indexed text is copied from the old table.

Revision ID: 0009_search_facets
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_search_facets"
down_revision = "0005"
branch_labels = None
depends_on = None

_BACKFILL = (
    "UPDATE search_docs SET facet_key = format || '|' || audience || '|' || CASE"
    " WHEN year IS NULL THEN ''"
    " WHEN year <= 1899 THEN '-1899'"
    " WHEN year <= 1949 THEN '1900-1949'"
    " WHEN year <= 1999 THEN '1950-1999'"
    " WHEN year <= 2009 THEN '2000-2009'"
    " WHEN year <= 2019 THEN '2010-2019'"
    " ELSE '2020-' END || '|' || coalesce(language, '')"
)


_FTS = (
    "CREATE VIRTUAL TABLE {name} USING fts5(title, authors, subjects, other,"
    " tokenize = 'unicode61 remove_diacritics 0'{options})"
)


def _rebuild_fts(options: str) -> None:
    """Recreate `search_fts` with `options`, keeping its rows (FTS5 options are fixed at
    creation; renaming an FTS5 table renames its shadow tables too)."""
    op.execute(_FTS.format(name="search_fts_new", options=options))
    op.execute(
        "INSERT INTO search_fts_new (rowid, title, authors, subjects, other)"
        " SELECT rowid, title, authors, subjects, other FROM search_fts"
    )
    op.execute("INSERT INTO search_fts_new (search_fts_new) VALUES ('optimize')")
    op.execute("DROP TABLE search_fts")
    op.execute("ALTER TABLE search_fts_new RENAME TO search_fts")


def upgrade() -> None:
    op.add_column(
        "search_docs", sa.Column("facet_key", sa.Text(), server_default="", nullable=False)
    )
    op.execute(_BACKFILL)
    op.create_index(
        "ix_search_availability_shelf",
        "search_availability",
        ["doc_id", "site_id", "on_shelf"],
        unique=False,
    )
    op.execute("ANALYZE search_availability")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_fts(", prefix = '2 3 4 5 6 7 8'")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_fts("")
    op.drop_index("ix_search_availability_shelf", table_name="search_availability")
    with op.batch_alter_table("search_docs") as batch:
        batch.drop_column("facet_key")
