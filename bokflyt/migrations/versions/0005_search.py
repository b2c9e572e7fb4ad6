"""Search: documents per manifestation cluster, availability per site, the full-text index.

SQLite gets an FTS5 table fed with tokens bokflyt has already folded and stemmed (so the
tokenizer only splits on spaces and must not strip diacritics: å would become a). PostgreSQL
gets a tsvector column with a GIN index and a text search configuration `bokflyt_norsk`: the
built-in `norwegian` configuration with its Snowball stemmer but without its stop-word list,
because titles such as "Det" or "Hva nå?" consist of nothing else.

Revision ID: 0005
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None

_PG_SETUP = [
    "CREATE TEXT SEARCH DICTIONARY bokflyt_norsk_stem (TEMPLATE = snowball, Language = norwegian)",
    "CREATE TEXT SEARCH CONFIGURATION bokflyt_norsk (COPY = pg_catalog.norwegian)",
    "ALTER TEXT SEARCH CONFIGURATION bokflyt_norsk ALTER MAPPING FOR asciiword, asciihword,"
    " hword_asciipart, word, hword, hword_part WITH bokflyt_norsk_stem",
]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        for statement in _PG_SETUP:
            op.execute(statement)
    op.create_table(
        "search_docs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.String(length=64), nullable=False),
        sa.Column("title_key", sa.Text(), nullable=False),
        sa.Column("isbn_keys", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=3), nullable=True),
        sa.Column("audience", sa.String(length=10), nullable=False),
        sa.Column("held_sites", sa.Text(), nullable=False),
        sa.Column("shelf_sites", sa.Text(), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("on_shelf", sa.Integer(), nullable=False),
        sa.Column("fts", postgresql.TSVECTOR() if postgres else sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_docs")),
        sa.UniqueConstraint("cluster_id", name=op.f("uq_search_docs_cluster_id")),
    )
    if postgres:
        op.create_index(
            "ix_search_docs_fts", "search_docs", ["fts"], unique=False, postgresql_using="gin"
        )
    op.create_table(
        "search_display",
        sa.Column("doc_id", sa.Integer(), nullable=False),
        sa.Column("display", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["doc_id"],
            ["search_docs.id"],
            name=op.f("fk_search_display_doc_id_search_docs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("doc_id", name=op.f("pk_search_display")),
    )
    op.create_table(
        "search_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_state")),
    )
    op.execute("INSERT INTO search_state (id, version) VALUES (1, 0)")
    op.create_table(
        "search_availability",
        sa.Column("doc_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("on_shelf", sa.Integer(), nullable=False),
        sa.Column("on_loan", sa.Integer(), nullable=False),
        sa.Column("in_transit", sa.Integer(), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["doc_id"],
            ["search_docs.id"],
            name=op.f("fk_search_availability_doc_id_search_docs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_search_availability_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("doc_id", "site_id", name=op.f("pk_search_availability")),
    )
    if not postgres:
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "title, authors, subjects, other, tokenize = 'unicode61 remove_diacritics 0')"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if not postgres:
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_availability")
    op.drop_table("search_display")
    op.drop_table("search_state")
    if postgres:
        op.drop_index("ix_search_docs_fts", table_name="search_docs")
    op.drop_table("search_docs")
    if postgres:
        op.execute("DROP TEXT SEARCH CONFIGURATION bokflyt_norsk")
        op.execute("DROP TEXT SEARCH DICTIONARY bokflyt_norsk_stem")
