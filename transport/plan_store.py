"""Reading waiting transfers and storing day plans; never commits (the command does).

An "any copy" transfer is planned from its stored candidates that are still on the shelf where
they were; the copy the solver chose is written to the transfer's `barcode` and `from_site` when
the plan is stored (and cleared again if a re-planned draft no longer routes it).  Once a chosen
copy is on its way (`at_site` set by dispatch) the transfer moves like a one-item transfer.
Notes for the user are in Norwegian bokmål.

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
from transport.planner import AnyCopyItem, DayProblem, chosen_copies
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
        if t.any_copy and t.at_site is None:
            continue  # planned by `pending_any_copy`
        if t.barcode is None:
            notes.append(f"overføring {t.id}: mangler strekkode og kan ikke planlegges")
            continue
        origin = t.at_site or t.from_site or _item_site(session, t.barcode)
        if origin is None:
            notes.append(f"overføring {t.id}: vet ikke hvor eksemplar {t.barcode} er nå")
            continue
        item = PendingItem(t.barcode, origin, t.to_site, t.priority, t.age_days)
        if t.barcode not in items or item.priority > items[t.barcode].priority:
            items[t.barcode] = item
    return list(items.values()), notes


def any_copy_ref(transfer_id: int) -> str:
    """The name of an any-copy transfer's shipment in the day's problem."""
    return f"T{transfer_id}"


def pending_any_copy(session: Session, day: dt.date) -> tuple[list[AnyCopyItem], list[str]]:
    """Open any-copy transfers due by `day` whose chosen copy has not left yet.

    A candidate counts only while its copy is still on the shelf at that site and no other
    transfer claims it: an item transfer of that copy, or an older any-copy transfer listing it
    (requests never list one copy twice, `transport.requests`; this keeps older data safe, so
    two transfers are never both handed one book).  A transfer with no candidate left is
    reported in the notes, not dropped silently.
    """
    rows = session.scalars(
        select(Transfer)
        .where(Transfer.status == "open", Transfer.any_copy.is_(True), Transfer.at_site.is_(None))
        .where(or_(Transfer.not_before.is_(None), Transfer.not_before <= day))
        .order_by(Transfer.id)
    ).all()
    wanted = {b for t in rows for _, b in (t.candidates or [])}
    on_shelf = set(
        session.execute(
            select(Site.code, ItemRow.barcode)
            .join(ItemRow, ItemRow.site_id == Site.id)
            .where(ItemRow.barcode.in_(sorted(wanted)), ItemRow.status == "on_shelf")
        )
    )
    taken = set(
        session.scalars(
            select(Transfer.barcode).where(
                Transfer.status == "open",
                Transfer.barcode.in_(sorted(wanted)),
                or_(Transfer.any_copy.is_not(True), Transfer.at_site.is_not(None)),
            )
        )
    )
    items, notes = [], []
    for t in rows:
        cands = tuple(
            (site, barcode)
            for site, barcode in (t.candidates or [])
            if (site, barcode) in on_shelf and barcode not in taken
        )
        taken.update(barcode for _, barcode in cands)
        if not cands:
            notes.append(f"overføring {t.id}: ingen av eksemplarene står lenger på hylla")
            continue
        items.append(AnyCopyItem(any_copy_ref(t.id), cands, t.to_site, t.priority, t.age_days))
    return items, notes


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
            raise PlanFrozen(day, "kjøreplanen er sendt ut og endres ikke")
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
    numbers: dict[tuple[str, str], int] = {}
    for c in dp.crates:
        numbers[(c.origin, c.destination)] = max(
            c.number, numbers.get((c.origin, c.destination), 0)
        )
        leg = f"{c.origin}>{c.destination}"
        plan.crates.append(
            PlanCrate(
                origin=c.origin,
                destination=c.destination,
                number=c.number,
                barcodes=list(c.barcodes),
                shipment=leg,
                routed=leg not in dropped,
                note=dropped.get(leg),
            )
        )
    _record_choices(session, dp, solution, plan, numbers)
    session.add(plan)
    session.flush()
    log.info("stored %s plan for %s: %d vans", plan.status, day, plan.vehicles)
    return plan


def _record_choices(
    session: Session,
    dp: DayProblem,
    solution: Solution,
    plan: RoutePlan,
    numbers: dict[tuple[str, str], int],
) -> None:
    """Write each any-copy transfer's chosen copy to it and pack the chosen copies in crates.

    A group of transfers (`AnyCopyLeg`) collected at one site fills as many crates as its
    shipment carries, numbered after that leg's ordinary crates.
    """
    chosen = chosen_copies(dp, solution)
    refs = {item.ref for leg in dp.any_legs for item in leg.items}
    refs.update(it.ref for it in dp.any_waiting)
    rows = session.scalars(select(Transfer).where(Transfer.any_copy.is_(True))).all()
    for t in rows:
        ref = any_copy_ref(t.id)
        if ref in refs:
            t.from_site, t.barcode = chosen.get(ref, (None, None))
    for leg in dp.any_legs:
        site = chosen.get(leg.items[0].ref, (None, None))[0]
        if site is None:
            continue
        for barcodes in leg.packed(site):
            n = numbers.get((site, leg.to), 0) + 1
            numbers[(site, leg.to)] = n
            plan.crates.append(
                PlanCrate(
                    origin=site,
                    destination=leg.to,
                    number=n,
                    barcodes=list(barcodes),
                    shipment=leg.shipment,
                    routed=True,
                )
            )


def dispatch(session: Session, day: dt.date, hub: str) -> RoutePlan:
    """Freeze the day's plan and move its transfers on; items left behind age by a day."""
    plan = session.scalar(select(RoutePlan).where(RoutePlan.day == day))
    if plan is None:
        raise NoPlan(day, "ingen kjøreplan å sende ut; kjør `routes plan` først")
    if plan.status == "dispatched":
        raise PlanFrozen(day, "kjøreplanen er allerede sendt ut")
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
