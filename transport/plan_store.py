"""Reading waiting transfers and storing day plans; never commits (the command does).

Error tree::

    PlanError(Exception)
      PlanFrozen      -- the day's plan is dispatched; planning again must not change it
      NoPlan          -- there is no plan for the day to dispatch
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from catalog.models import ItemRow, Site
from transport.cost import route_distance, solution_cost
from transport.crates import PendingItem
from transport.models import PlanCrate, RoutePlan, RouteStop, Transfer
from transport.planner import DayProblem
from transport.problem import Solution
from transport.problem_json import problem_to_dict, solution_to_dict

log = logging.getLogger(__name__)


class PlanError(Exception):
    """A plan operation that cannot be done; `day` says which plan."""

    def __init__(self, day: dt.date, message: str) -> None:
        super().__init__(f"{day.isoformat()}: {message}")
        self.day = day


class PlanFrozen(PlanError):
    """The plan is dispatched and is never changed by later planning."""


class NoPlan(PlanError):
    """No plan exists for the day."""


def pending_items(session: Session, day: dt.date) -> tuple[list[PendingItem], list[str]]:
    """Open transfers due by `day` as items to move, and notes on those that cannot be planned."""
    rows = session.scalars(
        select(Transfer)
        .where(Transfer.status == "open")
        .where(or_(Transfer.not_before.is_(None), Transfer.not_before <= day))
        .order_by(Transfer.id)
    ).all()
    items: dict[str, PendingItem] = {}
    notes = []
    for t in rows:
        if t.any_copy or t.barcode is None:
            notes.append(
                f"transfer {t.id}: any-copy transfers are not planned from the database yet"
            )
            continue
        origin = t.at_site or t.from_site or _item_site(session, t.barcode)
        if origin is None:
            notes.append(f"transfer {t.id}: where item {t.barcode} is now is unknown")
            continue
        item = PendingItem(t.barcode, origin, t.to_site, t.priority, t.age_days)
        if t.barcode not in items or item.priority > items[t.barcode].priority:
            items[t.barcode] = item
    return list(items.values()), notes


def _item_site(session: Session, barcode: str) -> str | None:
    return session.scalar(
        select(Site.code)
        .join(ItemRow, ItemRow.site_id == Site.id)
        .where(ItemRow.barcode == barcode)
    )


def save_plan(session: Session, day: dt.date, dp: DayProblem, solution: Solution) -> RoutePlan:
    """Store a verified plan for `day`, replacing a draft; refuse if the day is dispatched."""
    existing = session.scalar(select(RoutePlan).where(RoutePlan.day == day))
    if existing is not None:
        if existing.status == "dispatched":
            raise PlanFrozen(day, "the plan is dispatched and is not changed")
        session.delete(existing)
        session.flush()
    p = dp.problem
    plan = RoutePlan(
        day=day,
        status="draft",
        solver=solution.solver[:40],
        vehicles=solution.vehicles,
        distance_m=route_distance(p, solution),
        cost=solution_cost(p, solution),
        problem_json=problem_to_dict(p),
        solution_json=solution_to_dict(solution),
    )
    sizes = {s.id: s.size for s in p.shipments}
    for route in solution.routes:
        for seq, stop in enumerate(route.stops):
            plan.stops.append(
                RouteStop(
                    van=route.van,
                    seq=seq,
                    site=stop.site,
                    kind=stop.kind,
                    leg=stop.shipment,
                    eta_s=stop.start,
                    crates=sizes[stop.shipment],
                    load_after=stop.load,
                )
            )
    dropped = {d.shipment: d.reason for d in solution.dropped}
    for c in dp.crates:
        leg = f"{c.origin}>{c.destination}"
        plan.crates.append(
            PlanCrate(
                origin=c.origin,
                destination=c.destination,
                number=c.number,
                barcodes=list(c.barcodes),
                routed=leg not in dropped,
                note=dropped.get(leg),
            )
        )
    session.add(plan)
    session.flush()
    log.info("stored %s plan for %s: %d vans", plan.status, day, plan.vehicles)
    return plan


def dispatch(session: Session, day: dt.date, hub: str) -> RoutePlan:
    """Freeze the day's plan and move its transfers on; items left behind age by a day."""
    plan = session.scalar(select(RoutePlan).where(RoutePlan.day == day))
    if plan is None:
        raise NoPlan(day, "no plan to dispatch; run `routes plan` first")
    if plan.status == "dispatched":
        raise PlanFrozen(day, "already dispatched")
    moving: dict[str, str] = {}
    for c in plan.crates:
        if c.routed:
            for b in c.barcodes:
                moving[b] = c.destination
    open_rows: Sequence[Transfer] = session.scalars(
        select(Transfer).where(Transfer.status == "open")
    ).all()
    for t in open_rows:
        if t.barcode in moving:
            t.at_site = moving[t.barcode]
            if t.at_site == t.to_site:
                t.status = "in_transit"
        elif t.not_before is None or t.not_before <= day:
            t.age_days += 1
    plan.status = "dispatched"
    plan.dispatched_at = dt.datetime.now(dt.UTC)
    session.flush()
    return plan
