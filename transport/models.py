"""Transport storage: transfers waiting to move, and each day's route plan.

No table has a column for a borrower: a transfer knows an item (or a cluster, for "any copy") and
a destination, never who the book is for.  Sites are referred to by their configured code.

A plan is a draft until `routes dispatch` freezes it; planning the same day again replaces a
draft and never touches a dispatched plan.  The verified solution and the problem it answers are
kept as JSON beside the stops, so a stored plan can be re-checked later.

Schema changes go through `bokflyt/migrations/versions/0003_transport.py` and
`0008_transfer_choice.py` (the candidate copies of an "any copy" transfer).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import Base

TRANSFER_STATUSES = ("open", "planned", "in_transit", "delivered", "cancelled")
PLAN_STATUSES = ("draft", "dispatched")


class Transfer(Base):
    """One item (or any copy of a cluster) that must reach `to_site`."""

    __tablename__ = "transfers"
    __table_args__ = (Index("ix_transfers_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    barcode: Mapped[str | None] = mapped_column(String(64))
    cluster_key: Mapped[str | None] = mapped_column(String(64))
    any_copy: Mapped[bool] = mapped_column(Boolean, default=False)
    # "any copy": [[site, barcode], ...], one copy per site; the plan's choice goes to barcode
    candidates: Mapped[list[list[str]] | None] = mapped_column(JSON)
    from_site: Mapped[str | None] = mapped_column(String(20), ForeignKey("sites.code"))
    at_site: Mapped[str | None] = mapped_column(String(20), ForeignKey("sites.code"))
    to_site: Mapped[str] = mapped_column(String(20), ForeignKey("sites.code"))
    reason: Mapped[str] = mapped_column(String(20))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[date | None] = mapped_column(Date)
    age_days: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RoutePlan(Base):
    """The plan for one day: draft until dispatched."""

    __tablename__ = "route_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    solver: Mapped[str] = mapped_column(String(40))
    vehicles: Mapped[int] = mapped_column(Integer)
    distance_m: Mapped[float] = mapped_column(Float)
    cost: Mapped[float] = mapped_column(Float)
    problem_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    solution_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    stops: Mapped[list[RouteStop]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="RouteStop.seq"
    )
    crates: Mapped[list[PlanCrate]] = relationship(
        back_populates="plan", cascade="all, delete-orphan"
    )


class RouteStop(Base):
    """One pickup or delivery on a van's route, with its ETA (seconds after midnight)."""

    __tablename__ = "route_stops"
    __table_args__ = (UniqueConstraint("plan_id", "van", "seq", name="uq_route_stops_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("route_plans.id", ondelete="CASCADE"))
    van: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    site: Mapped[str] = mapped_column(String(20), ForeignKey("sites.code"))
    kind: Mapped[str] = mapped_column(String(10))
    leg: Mapped[str] = mapped_column(String(45))
    eta_s: Mapped[float] = mapped_column(Float)
    crates: Mapped[int] = mapped_column(Integer)
    load_after: Mapped[int] = mapped_column(Integer)

    plan: Mapped[RoutePlan] = relationship(back_populates="stops")


class PlanCrate(Base):
    """A numbered crate on one leg of a plan, with the barcodes packed in it.

    `shipment` is the solver's shipment the crate travels in, the same id its stops carry in
    `RouteStop.leg`: "ORIGIN>DEST" for a leg's packed crates, "T<transfer>>DEST" for the crates of
    an any-copy transfer, "T<oldest>+<more>>DEST" for a group of them that share their candidate
    sites (`transport.planner.AnyCopyLeg`), whose pickup site the solver chose.
    """

    __tablename__ = "plan_crates"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("route_plans.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(20), ForeignKey("sites.code"))
    destination: Mapped[str] = mapped_column(String(20), ForeignKey("sites.code"))
    number: Mapped[int] = mapped_column(Integer)
    barcodes: Mapped[list[str]] = mapped_column(JSON)
    shipment: Mapped[str | None] = mapped_column(String(45))
    routed: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[RoutePlan] = relationship(back_populates="crates")
