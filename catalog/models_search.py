"""Storage of the search index: one document per manifestation cluster, availability per site.

These tables are derived data, rebuilt from `source_records` and `items` by
`catalog.search_index`; nothing else writes them. The full-text part lives beside them and
differs per engine, so it is not modelled here: on SQLite the FTS5 table `search_fts` (rowid =
`search_docs.id`, created by migration 0005), on PostgreSQL the `fts` tsvector column below
with its GIN index.

`held_sites` and `shelf_sites` list site ids between spaces (" 3 7 ") so a site filter is a
substring test on the row already read, not a join per hit; the site facet, which needs every
site of every hit, reads `search_availability` through a covering index instead.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base


class SearchDoc(Base):
    """The merged, searchable view of one manifestation cluster."""

    __tablename__ = "search_docs"
    __table_args__ = (
        Index("ix_search_docs_fts", "fts", postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[str] = mapped_column(String(64), unique=True)
    title_key: Mapped[str] = mapped_column(Text)
    isbn_keys: Mapped[str] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(3))
    audience: Mapped[str] = mapped_column(String(10))
    held_sites: Mapped[str] = mapped_column(Text)
    shelf_sites: Mapped[str] = mapped_column(Text)
    copies: Mapped[int] = mapped_column(Integer)
    on_shelf: Mapped[int] = mapped_column(Integer)
    fts: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))
    # format|audience|year bucket|language (`catalog.search_index.facet_key`): facets group on it
    facet_key: Mapped[str] = mapped_column(Text, server_default="")


class SearchDisplay(Base):
    """What a hit shows (title, names, ISBNs, members), kept apart from `search_docs` so the
    rows every search scans stay small and a million of them stay in memory."""

    __tablename__ = "search_display"

    doc_id: Mapped[int] = mapped_column(
        ForeignKey("search_docs.id", ondelete="CASCADE"), primary_key=True
    )
    display: Mapped[dict[str, Any]] = mapped_column(JSON)


class SearchState(Base):
    """One row: the index version, bumped by every rebuild and refresh in the same
    transaction, so cached results are reused only while the index they came from stands."""

    __tablename__ = "search_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class SearchAvailability(Base):
    """Copies of one cluster at one site, by what a librarian needs to know about them.

    `ix_search_availability_shelf` covers the site facet (doc, site, on the shelf), so counting
    it reads the index alone instead of the index and then the row for every hit."""

    __tablename__ = "search_availability"
    __table_args__ = (Index("ix_search_availability_shelf", "doc_id", "site_id", "on_shelf"),)

    doc_id: Mapped[int] = mapped_column(
        ForeignKey("search_docs.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    copies: Mapped[int] = mapped_column(Integer)
    on_shelf: Mapped[int] = mapped_column(Integer)
    on_loan: Mapped[int] = mapped_column(Integer)
    in_transit: Mapped[int] = mapped_column(Integer)
    next_due: Mapped[date | None] = mapped_column(Date)
