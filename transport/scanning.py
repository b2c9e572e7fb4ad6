"""Scans coming back from the road: crates picked up and delivered, items checked in.

An item moves in transit -> arrived, and the catalogue's availability follows, because a reader
searching the catalogue must not be told a book is on a shelf while it sits in a van:

* crate picked up: its items become `in_transit`;
* crate delivered at its destination: its items become `on_shelf` at that site (or
  `awaiting_transfer` when it only reached the hub on the way on); transfers that ended there
  are `delivered`;
* crate delivered anywhere else: a `WrongSite` warning (bokmål, for the scanner's screen), and
  the scan is flagged for forwarding; the items stay `in_transit`;
* item checked in at a site: `on_shelf` there; if that is not its home and nothing brought it
  there on purpose, a return-home transfer is opened.

Changed items' clusters are re-indexed through `catalog.search_index.refresh` when that module
offers it.  Nothing here commits: the command's unit of work does.

Error tree::

    ScanError(ValueError)   -- an unknown crate, site or barcode; the message is bokmål
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import ItemRow, Site, SourceRecord
from catalog.records import ItemStatus
from transport.models import RoutePlan, Transfer
from transport.models_scan import CrateScan
from transport.print_plan import PrintPlanError, crate_lookup, numbered_crates

log = logging.getLogger(__name__)

RETURN_HOME = "return_home"  # transport.transfers.REASONS spelling of "return home"
_MOVING = ("open", "planned", "in_transit")


class ScanError(ValueError):
    """A scan that cannot be recorded; the message is for the person holding the scanner."""


class WrongSite(UserWarning):
    """A crate was scanned somewhere it should not be; it is recorded and flagged, not refused."""


@dataclass(frozen=True)
class ScanResult:
    """What a scan did: how many items changed, and anything staff must act on."""

    crate_id: str
    event: str
    site: str
    expected_site: str
    items: int
    forward: bool = False
    messages: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class CheckinResult:
    """An item checked in: where it is now, its home, and a return transfer if one was opened."""

    barcode: str
    site: str
    home: str | None
    return_transfer: int | None


def _site_row(session: Session, code: str) -> Site:
    site = session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise ScanError(f"Ukjent sted «{code}».")
    return site


def _find_crate(session: Session, crate: str) -> tuple[str, dt.date, list[str], str, str]:
    """(id, day, barcodes, origin, destination) of a printed crate id."""
    try:
        day, index = crate_lookup(crate)
    except PrintPlanError:
        raise ScanError(f"«{crate}» er ikke et kasse-ID (f.eks. K261130-03).") from None
    plan = session.scalar(select(RoutePlan).where(RoutePlan.day == day))
    crates = numbered_crates(plan) if plan is not None else []
    if not 1 <= index <= len(crates):
        raise ScanError(f"Kasse {crate} finnes ikke i ruteplanen for {day.isoformat()}.")
    cid, row = crates[index - 1]
    return cid, day, list(row.barcodes), row.origin, row.destination


def _items(session: Session, barcodes: Iterable[str]) -> list[ItemRow]:
    wanted = list(dict.fromkeys(barcodes))
    if not wanted:
        return []
    return list(session.scalars(select(ItemRow).where(ItemRow.barcode.in_(wanted))))


def refresh_availability(session: Session, items: Iterable[ItemRow]) -> int:
    """Re-index the clusters of `items` when the search index offers `refresh`; returns how
    many clusters were sent (0 when the search module has no `refresh`)."""
    from catalog import search_index

    refresh = getattr(search_index, "refresh", None)
    if not callable(refresh):
        log.warning("catalog.search_index has no refresh(); search availability not updated")
        return 0
    pks = {item.record_pk for item in items}
    if not pks:
        return 0
    rows = session.execute(
        select(SourceRecord.id, SourceRecord.cluster_id).where(SourceRecord.id.in_(pks))
    ).all()
    clusters = {cluster or f"r{pk}" for pk, cluster in rows}
    session.flush()
    refresh(session, clusters)
    return len(clusters)


def scan_crate(session: Session, crate: str, event: str, at: str) -> ScanResult:
    """Record a pickup or delivery scan of `crate` at site `at` and move its items on.

    A scan at a site other than the crate's origin (pickup) or destination (delivery) warns with
    `WrongSite`; a wrong delivery is flagged for forwarding and leaves the items in transit.
    """
    if event not in ("picked_up", "delivered"):
        raise ValueError(f"unknown scan event {event!r}")
    cid, day, barcodes, origin, destination = _find_crate(session, crate)
    site = _site_row(session, at)
    expected = origin if event == "picked_up" else destination
    wrong = at != expected
    messages = []
    if wrong:
        verb = "hentet" if event == "picked_up" else "levert"
        text = f"Feil sted: kasse {cid} skal {verb} på {expected}, men er skannet på {at}." + (
            " Kassen er merket for videresending." if event == "delivered" else ""
        )
        messages.append(text)
        warnings.warn(text, WrongSite, stacklevel=2)
    items = _items(session, barcodes)
    if event == "picked_up":
        for item in items:
            item.status = ItemStatus.IN_TRANSIT.value
        _transfers_moving(session, barcodes, ("open", "planned"), "in_transit")
    elif not wrong:
        onward = _onward(session, barcodes, at)
        for item in items:
            item.site_id = site.id
            still_going = item.barcode in onward
            item.status = (
                ItemStatus.AWAITING_TRANSFER if still_going else ItemStatus.ON_SHELF
            ).value
        _arrive(session, barcodes, at)
    session.add(
        CrateScan(
            crate_id=cid,
            day=day,
            event=event,
            site=at,
            expected_site=expected,
            items=len(barcodes),
            wrong_site=wrong,
            forward=wrong and event == "delivered",
        )
    )
    refresh_availability(session, items)
    session.flush()
    log.info("crate %s %s at %s (%d items)", cid, event, at, len(barcodes))
    return ScanResult(cid, event, at, expected, len(items), wrong and event == "delivered",
                      tuple(messages))  # fmt: skip


def _transfers_moving(
    session: Session, barcodes: Iterable[str], states: tuple[str, ...], new: str
) -> None:
    for t in session.scalars(
        select(Transfer).where(Transfer.barcode.in_(list(barcodes)), Transfer.status.in_(states))
    ):
        t.status = new


def _onward(session: Session, barcodes: Iterable[str], at: str) -> set[str]:
    """Barcodes that still have a transfer going somewhere other than `at` (via the hub)."""
    return set(
        session.scalars(
            select(Transfer.barcode).where(
                Transfer.barcode.in_(list(barcodes)),
                Transfer.status.in_(_MOVING),
                Transfer.to_site != at,
            )
        )
    )


def _arrive(session: Session, barcodes: Iterable[str], at: str) -> int:
    """Transfers of `barcodes` that end at `at` are delivered; the others now start from `at`."""
    done = 0
    for t in session.scalars(
        select(Transfer).where(Transfer.barcode.in_(list(barcodes)), Transfer.status.in_(_MOVING))
    ):
        t.at_site = at
        if t.to_site == at:
            t.status = "delivered"
            done += 1
    return done


def home_site(
    session: Session, item: ItemRow, aliases: Mapping[str, str] | None = None
) -> str | None:
    """The site code of `item`'s home location: an alias from the configuration, a site code,
    or a seven-digit library number; None when the home is unknown."""
    code = item.home_location_code
    if not code:
        return None
    if aliases and code in aliases:
        return aliases[code]
    found = session.scalar(select(Site.code).where(Site.code == code))
    if found is None:
        found = session.scalar(select(Site.code).where(Site.library_number == code))
    return found


def checkin_item(
    session: Session, barcode: str, at: str, aliases: Mapping[str, str] | None = None
) -> CheckinResult:
    """Check `barcode` in at `at`: it is on the shelf there; away from home, and not brought
    there by a transfer, it gets a return-home transfer (unless one is already open)."""
    site = _site_row(session, at)
    items = _items(session, [barcode])
    if not items:
        raise ScanError(f"Ukjent strekkode «{barcode}».")
    for item in items:
        item.status = ItemStatus.ON_SHELF.value
        item.site_id = site.id
    wanted_here = _arrive(session, [barcode], at) > 0
    home = home_site(session, items[0], aliases)
    transfer_id = None
    if home is not None and home != at and not wanted_here:
        pending = session.scalar(
            select(Transfer).where(Transfer.barcode == barcode, Transfer.status.in_(_MOVING))
        )
        if pending is None:
            t = Transfer(barcode=barcode, from_site=at, at_site=at, to_site=home,
                         reason=RETURN_HOME, priority=0, any_copy=False, age_days=0,
                         status="open")  # fmt: skip
            session.add(t)
            session.flush()
            transfer_id = t.id
    refresh_availability(session, items)
    session.flush()
    log.info("item %s checked in at %s (home %s)", barcode, at, home)
    return CheckinResult(barcode, at, home, transfer_id)
