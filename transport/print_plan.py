"""A stored day plan as the documents staff print: route sheets, crate labels, slips.

The mapping is pure: `plan_documents` takes the plan (ORM rows used as plain values), the sites as
printed that day (`SheetSite`, built by the caller from the configuration, because transport must
not read bokflyt's settings) and what is known of each item (`ItemInfo`, read by `load_items`).
Only routed crates get labels and slips: a crate the solver left for another day stays on its
shelf and must not be packed.

Crate ids are `K<yymmdd>-<nn>`: the day and the crate's place in the plan's crates sorted by leg
and number.  Short enough to type when a scanner fails, and `crate_lookup` finds the crate again
from the id alone, so scanning needs no other table to resolve a label.

Nothing about a person reaches these documents: `ItemInfo` has no such field, and titles come
from the parsed record's title fields only.

Error tree::

    PrintPlanError(ValueError)   -- the plan cannot be printed as stored (unknown site, bad id)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import ItemRow, Site, SourceRecord
from catalog.records import record_from_dict
from transport.cost import route_distance, route_travel_time
from transport.documents import (
    CrateLabel,
    CrateRef,
    PickListLine,
    RouteSheet,
    RoutingSlip,
    SheetSite,
    SheetStop,
    printable,
)
from transport.models import PlanCrate, RoutePlan, RouteStop
from transport.problem import Solution
from transport.problem_json import problem_from_dict, solution_from_dict

__all__ = [
    "ItemInfo",
    "PlanDocuments",
    "PrintPlanError",
    "crate_id",
    "crate_lookup",
    "load_items",
    "numbered_crates",
    "plan_documents",
]

_CRATE_ID = re.compile(r"K(\d{6})-(\d{2,4})")


class PrintPlanError(ValueError):
    """The plan cannot be turned into documents; the message names what is missing."""


@dataclass(frozen=True)
class ItemInfo:
    """What a pick list and a slip show of one copy (deliberately no borrower field)."""

    barcode: str
    title: str
    call_number: str
    shelf_site: str


@dataclass(frozen=True)
class PlanDocuments:
    """Everything printed for one day (optionally one van)."""

    day: dt.date
    sheets: tuple[RouteSheet, ...]
    labels: tuple[CrateLabel, ...]
    picklists: dict[str, tuple[PickListLine, ...]]
    slips: tuple[RoutingSlip, ...]


def crate_id(day: dt.date, index: int) -> str:
    """The printed id of the `index`-th crate (from 1) of `day`'s plan."""
    return f"K{day:%y%m%d}-{index:02d}"


def numbered_crates(plan: RoutePlan) -> list[tuple[str, PlanCrate]]:
    """The plan's crates with their printed ids, in a stable order (leg, then number)."""
    ordered = sorted(plan.crates, key=lambda c: (c.origin, c.destination, c.number))
    return [(crate_id(plan.day, i), c) for i, c in enumerate(ordered, start=1)]


def crate_lookup(crate: str) -> tuple[dt.date, int]:
    """The day and index a crate id encodes; `PrintPlanError` if it is not one of ours."""
    match = _CRATE_ID.fullmatch(crate.strip().upper())
    if not match:
        raise PrintPlanError(f"{crate!r} is not a crate id (expected e.g. K261130-03)")
    try:
        day = dt.datetime.strptime(match.group(1), "%y%m%d").date()
    except ValueError:
        raise PrintPlanError(f"{crate!r} does not hold a valid date") from None
    return day, int(match.group(2))


def van_label(van: str) -> str:
    """How a van is named on paper: configured names as is, bare numbers as "Bil 2"."""
    return f"Bil {van}" if van.isdigit() else van


def _clock(seconds: float) -> dt.time:
    minutes = min(max(0, int(round(seconds / 60))), 24 * 60 - 1)
    return dt.time(minutes // 60, minutes % 60)


def _site(sites: Mapping[str, SheetSite], code: str) -> SheetSite:
    try:
        return sites[code]
    except KeyError:
        raise PrintPlanError(f"site {code!r} in the plan is not configured") from None


def _refs(crates: Iterable[tuple[str, PlanCrate]]) -> tuple[CrateRef, ...]:
    return tuple(CrateRef(cid, c.origin, c.destination, len(c.barcodes)) for cid, c in crates)


def _van_stops(
    stops: Sequence[RouteStop],
    by_leg: Mapping[str, list[tuple[str, PlanCrate]]],
    sites: Mapping[str, SheetSite],
) -> tuple[SheetStop, ...]:
    """Consecutive visits of one site become one printed stop, pickups and drops together."""
    out: list[SheetStop] = []
    group: list[RouteStop] = []

    def flush() -> None:
        if not group:
            return
        picks = [c for s in group if s.kind == "pickup" for c in by_leg.get(s.leg, [])]
        drops = [c for s in group if s.kind == "delivery" for c in by_leg.get(s.leg, [])]
        out.append(
            SheetStop(
                sequence=len(out) + 1,
                eta=_clock(group[0].eta_s),
                site=_site(sites, group[0].site),
                pickups=_refs(picks),
                drops=_refs(drops),
            )
        )

    for stop in stops:
        if group and group[-1].site != stop.site:
            flush()
            group = []
        group.append(stop)
    flush()
    return tuple(out)


def _route_figures(plan: RoutePlan) -> dict[str, tuple[float, float, int, float]]:
    """Per van: departure, return, driving minutes and km, from the stored problem and answer."""
    problem = problem_from_dict(plan.problem_json)
    solution = solution_from_dict(plan.solution_json)
    figures = {}
    for route in solution.routes:
        one = Solution(routes=(route,))
        minutes = int(round(route_travel_time(problem, one) / 60))
        km = round(route_distance(problem, one) / 1000, 1)
        figures[route.van] = (route.depart, route.arrive, minutes, km)
    return figures


def _depot(plan: RoutePlan, van: str) -> str:
    for v in plan.problem_json.get("vans", []):
        if v.get("id") == van:
            return str(v["start"])
    raise PrintPlanError(f"van {van!r} is not in the stored problem")


def plan_documents(
    plan: RoutePlan,
    sites: Mapping[str, SheetSite],
    items: Mapping[str, ItemInfo],
    van: str | None = None,
) -> PlanDocuments:
    """All documents of `plan` (only those of `van` when given); items missing from `items`
    are still listed, by barcode, so nothing packed is left off a list."""
    crates = [(cid, c) for cid, c in numbered_crates(plan) if c.routed]
    by_leg: dict[str, list[tuple[str, PlanCrate]]] = {}
    for cid, c in crates:
        by_leg.setdefault(c.shipment or f"{c.origin}>{c.destination}", []).append((cid, c))
    figures = _route_figures(plan)
    vans: dict[str, list[RouteStop]] = {}
    for stop in sorted(plan.stops, key=lambda s: (s.van, s.seq)):
        vans.setdefault(stop.van, []).append(stop)
    if van is not None and van not in vans:
        raise PrintPlanError(f"van {van!r} has no route on {plan.day.isoformat()}")
    sheets = []
    drop_at: dict[str, tuple[str, int]] = {}
    for name, stops in vans.items():
        if van is not None and name != van:
            continue
        printed = _van_stops(stops, by_leg, sites)
        for printed_stop in printed:
            for ref in printed_stop.drops:
                drop_at[ref.crate_id] = (name, printed_stop.sequence)
        depart, arrive, minutes, km = figures.get(name, (stops[0].eta_s, stops[-1].eta_s, 0, 0.0))
        sheets.append(
            RouteSheet(
                day=plan.day,
                van=van_label(name),
                start=_clock(depart),
                end=_clock(max(arrive, depart)),
                driving_minutes=minutes,
                driving_km=km,
                depot=_site(sites, _depot(plan, name)),
                stops=printed,
            )
        )
    labels, slips = [], []
    picklists: dict[str, tuple[PickListLine, ...]] = {}
    for cid, c in crates:
        if cid not in drop_at:
            continue  # another van's crate, or one no route carries
        name, seq = drop_at[cid]
        destination = _site(sites, c.destination)
        origin = _site(sites, c.origin)
        labels.append(
            CrateLabel(cid, destination, origin, plan.day, van_label(name), seq, len(c.barcodes))
        )
        lines = []
        for barcode in c.barcodes:
            info = items.get(barcode, ItemInfo(barcode, "", "", origin.name))
            shelf = info.shelf_site or origin.name
            lines.append(PickListLine(barcode, info.title, info.call_number, shelf))
            slips.append(
                RoutingSlip(
                    destination.library_number or destination.code,
                    destination.name,
                    barcode,
                    info.title,
                    plan.day,
                )
            )
        picklists[cid] = tuple(lines)
    return PlanDocuments(plan.day, tuple(sheets), tuple(labels), picklists, tuple(slips))


def short_title(data: Mapping[str, Any] | None, fallback: str) -> str:
    """Title with part number and name ("Kristin Lavransdatter. 1 : Kransen"), no subtitle."""
    if not data:
        return printable(fallback)
    record = record_from_dict(dict(data))
    parts = [record.title, *(p for p in (record.part_number, record.part_name) if p)]
    return printable(". ".join(parts)) or printable(fallback)


def load_items(session: Session, barcodes: Iterable[str]) -> dict[str, ItemInfo]:
    """Title, call number and shelf of each barcode found in the catalogue (first copy wins)."""
    wanted = sorted(set(barcodes))
    found: dict[str, ItemInfo] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = session.execute(
            select(
                ItemRow.barcode,
                ItemRow.call_number,
                Site.name,
                SourceRecord.title,
                SourceRecord.data,
            )  # fmt: skip
            .join(SourceRecord, SourceRecord.id == ItemRow.record_pk)
            .outerjoin(Site, Site.id == ItemRow.site_id)
            .where(ItemRow.barcode.in_(chunk))
            .order_by(ItemRow.id)
        ).all()
        for row in rows:
            if row.barcode not in found:
                title = short_title(row.data, row.title)
                shelf = row.name or ""
                found[row.barcode] = ItemInfo(row.barcode, title, row.call_number or "", shelf)
    return found
