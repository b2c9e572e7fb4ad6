"""The catalogue's storage: SQLAlchemy 2 typed models for sites, sources, records, items, runs.

The raw MARC of every source record is kept byte for byte with its checksum, so a record can
be re-parsed when bokflyt learns to read it better and a nightly sync can skip what did not
change. Cluster and work assignments sit on the record (`cluster_id`, `work_id`): they are a
function of the records, recomputed by the catalogue's merge, never entered by hand (manual
decisions live in their own table).

The same models serve SQLite and PostgreSQL; the schema itself is created by the Alembic
migrations in `bokflyt/migrations`, and a test checks that the two agree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base shared by every bokflyt table (catalogue and transport)."""

    metadata = MetaData(naming_convention=NAMING)


class Site(Base):
    """A branch, school library or depot; mirrored from the configuration by `bokflyt init`."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    library_number: Mapped[str | None] = mapped_column(String(7), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    notes: Mapped[str | None] = mapped_column(Text)


class Source(Base):
    """A library system records are harvested from; mirrored from `[sources.NAME]`."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    holdings: Mapped[str] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(500))

    records: Mapped[list[SourceRecord]] = relationship(back_populates="source")


class SourceRecord(Base):
    """One bibliographic record as one source holds it, raw MARC included.

    `data` is the parsed record (`catalog.records.record_to_dict`): the catalogue rebuilds
    `BibRecord`s from it for matching, search and display without parsing MARC again.
    """

    __tablename__ = "source_records"
    __table_args__ = (
        UniqueConstraint("source_id", "record_id", name="uq_source_records_source_record"),
        Index("ix_source_records_cluster", "cluster_id"),
        Index("ix_source_records_work", "work_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    record_id: Mapped[str] = mapped_column(String(64))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    raw_format: Mapped[str] = mapped_column(String(10))
    checksum: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    main_author: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    modified: Mapped[str | None] = mapped_column(String(20))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cluster_id: Mapped[str | None] = mapped_column(String(64))
    work_id: Mapped[str | None] = mapped_column(String(64))

    source: Mapped[Source] = relationship(back_populates="records")
    items: Mapped[list[ItemRow]] = relationship(
        back_populates="record", cascade="all, delete-orphan", passive_deletes=True
    )


class ItemRow(Base):
    """One copy; `site_id` is None when its location code matched no configured site."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("record_pk", "barcode", name="uq_items_record_barcode"),
        Index("ix_items_barcode", "barcode"),
        Index("ix_items_site", "site_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_pk: Mapped[int] = mapped_column(ForeignKey("source_records.id", ondelete="CASCADE"))
    barcode: Mapped[str] = mapped_column(String(64))
    location_code: Mapped[str] = mapped_column(String(64))
    home_location_code: Mapped[str | None] = mapped_column(String(64))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    call_number: Mapped[str | None] = mapped_column(String(200))
    item_type: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    due_date: Mapped[date | None] = mapped_column(Date)

    record: Mapped[SourceRecord] = relationship(back_populates="items")
    site: Mapped[Site | None] = relationship()


class HarvestRun(Base):
    """One sync or import of one source, with what it read and changed and how it ended."""

    __tablename__ = "harvest_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    records_read: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    unknown_sites: Mapped[str | None] = mapped_column(Text)
    checkpoint: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)

    source: Mapped[Source] = relationship()


class QuarantinedRecord(Base):
    """A record that could not be read, kept with its reason and raw bytes for IT to inspect."""

    __tablename__ = "quarantined_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id", ondelete="SET NULL"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    record_ref: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
