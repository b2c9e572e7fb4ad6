"""What happened to crates after printing: scans at pickup and delivery, and deviations (avvik).

A crate's state is its latest scan; the scans themselves are kept, so "who had crate K…-03 when"
can be answered after a complaint.  A delivery scanned away from the crate's destination is kept
with `wrong_site` and `forward` set: the crate must go on, and the next plan's staff see it.

Deviations are what the carrier is told about: per day and van, optionally a crate and a site.
No column holds a person.  Schema changes go through `bokflyt/migrations/versions/0007_scanning.py`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base

SCAN_EVENTS = ("picked_up", "delivered")
DEVIATION_KINDS = ("late", "damaged", "missing", "closed")


class CrateScan(Base):
    """One scan of a crate label at a site."""

    __tablename__ = "crate_scans"
    __table_args__ = (Index("ix_crate_scans_crate", "crate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    crate_id: Mapped[str] = mapped_column(String(40))
    day: Mapped[date] = mapped_column(Date)
    event: Mapped[str] = mapped_column(String(12))
    site: Mapped[str] = mapped_column(String(20), ForeignKey("sites.code"))
    expected_site: Mapped[str] = mapped_column(String(20), ForeignKey("sites.code"))
    items: Mapped[int] = mapped_column(Integer)
    wrong_site: Mapped[bool] = mapped_column(Boolean, default=False)
    forward: Mapped[bool] = mapped_column(Boolean, default=False)
    scanned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Deviation(Base):
    """A late, damaged or missing crate or a closed site, reported for one day and van."""

    __tablename__ = "deviations"
    __table_args__ = (Index("ix_deviations_day", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    van: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(12))
    crate_id: Mapped[str | None] = mapped_column(String(40))
    site: Mapped[str | None] = mapped_column(String(20), ForeignKey("sites.code"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
