"""Crates and scanning, for logistics staff and drivers: the day's crates and where each is.

A hand scanner is a keyboard that types the label's code and presses Enter, so the scan form is
one text field with the focus in it, the event (picked up / delivered) and the site; after a
scan the page comes back with the field empty and the result on top, ready for the next crate.
Scans go through `transport.scanning` — the same functions as `bokflyt crates scan` and
`bokflyt items checkin` — so the items' availability in the catalogue follows. A scan at the
wrong site is recorded and shown as a warning, never refused: the crate is where it is.
Needs `Permission.SCAN_CRATES` (logistics, admin); librarians see the plan, not this page.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from bokflyt.auth import Permission
from bokflyt.messages import t
from bokflyt.pages.common import DbSession, NavEntry, PageGroup, Viewer, render, require
from bokflyt.settings import Settings
from transport.models import RoutePlan
from transport.models_scan import CrateScan
from transport.print_plan import numbered_crates
from transport.scanning import CheckinResult, ScanError, ScanResult, WrongSite, checkin_item
from transport.scanning import scan_crate as record_scan

log = logging.getLogger(__name__)
router = APIRouter()
CanScan = Annotated[Viewer, Depends(require(Permission.SCAN_CRATES))]
Event = Literal["picked_up", "delivered"]


class CrateState(BaseModel):
    """One crate of the day's plan, with its latest scan."""

    crate: str
    origin: str
    destination: str
    items: int
    routed: bool
    last_event: str | None
    last_site: str | None
    last_at: dt.datetime | None
    forward: bool


class CratesOut(BaseModel):
    day: dt.date
    plan_status: str | None
    crates: list[CrateState]


class ScanIn(BaseModel):
    event: Event
    site: str


class ScanOut(BaseModel):
    crate: str
    event: str
    site: str
    expected_site: str
    items: int
    forward: bool
    warnings: list[str]


class CheckinIn(BaseModel):
    site: str


class CheckinOut(BaseModel):
    barcode: str
    site: str
    home: str | None
    return_transfer: int | None


def crates_of_day(session: Session, day: dt.date) -> CratesOut:
    """The plan's crates with their printed ids and latest scans (none when nothing is planned)."""
    plan = session.scalar(select(RoutePlan).where(RoutePlan.day == day))
    if plan is None:
        return CratesOut(day=day, plan_status=None, crates=[])
    latest: dict[str, CrateScan] = {}
    for each in session.scalars(
        select(CrateScan).where(CrateScan.day == day).order_by(CrateScan.id)
    ):
        latest[each.crate_id] = each
    states = []
    for crate_id, crate in numbered_crates(plan):
        scan = latest.get(crate_id)
        states.append(
            CrateState(
                crate=crate_id,
                origin=crate.origin,
                destination=crate.destination,
                items=len(crate.barcodes),
                routed=crate.routed,
                last_event=scan.event if scan else None,
                last_site=scan.site if scan else None,
                last_at=scan.scanned_at if scan else None,
                forward=bool(scan and scan.forward),
            )
        )
    return CratesOut(day=day, plan_status=plan.status, crates=states)


def _scan(session: Session, crate: str, event: str, site: str, viewer: Viewer) -> ScanResult:
    """Record the scan and commit; `ScanError` (bokmål, for the scanner's screen) otherwise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WrongSite)  # the result carries the message
        result = record_scan(session, crate.strip(), event, site)
    session.commit()
    log.info("crate %s %s at %s, scanned by %s", result.crate_id, event, site, viewer.username)
    return result


def _checkin(session: Session, barcode: str, site: str, viewer: Viewer) -> CheckinResult:
    result = checkin_item(session, barcode.strip(), site)
    session.commit()
    log.info("item %s checked in at %s by %s", result.barcode, site, viewer.username)
    return result


def _page(
    request: Request,
    viewer: Viewer,
    session: Session,
    day: dt.date,
    *,
    message: str | None = None,
    warning: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    site: str | None = None,
    event: str = "picked_up",
) -> Response:
    """The page; after a scan, with that scan's site and event still chosen for the next crate."""
    settings: Settings = request.app.state.settings
    context = {
        "day": day,
        "data": crates_of_day(session, day),
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "sites": sorted(((s.code, s.name) for s in settings.sites), key=lambda pair: pair[1]),
        "my_site": site or viewer.site_code,
        "event": event,
        "message": message,
        "warning": warning,
        "error": error,
    }
    return render(request, viewer, "crates.html", context, status_code=status_code)


@router.get("/kasser", include_in_schema=False)
def crates_page(
    request: Request,
    viewer: CanScan,
    session: DbSession,
    dato: Annotated[dt.date | None, Query()] = None,
) -> Response:
    return _page(request, viewer, session, dato or dt.date.today())


@router.post("/kasser/skann", include_in_schema=False)
def scan_form(
    request: Request,
    viewer: CanScan,
    session: DbSession,
    crate: Annotated[str, Form(max_length=40)],
    event: Annotated[Event, Form()],
    site: Annotated[str, Form(max_length=20)],
    day: Annotated[dt.date, Form()],
) -> Response:
    try:
        result = _scan(session, crate, event, site, viewer)
    except ScanError as exc:
        session.rollback()
        return _page(
            request, viewer, session, day, error=str(exc), status_code=422, site=site, event=event
        )
    done = t(f"crates.scanned.{event}", crate=result.crate_id, site=result.site, items=result.items)
    warning = " ".join(result.messages) or None
    return _page(
        request, viewer, session, day, message=done, warning=warning, site=site, event=event
    )


@router.post("/kasser/innsjekk", include_in_schema=False)
def checkin_form(
    request: Request,
    viewer: CanScan,
    session: DbSession,
    barcode: Annotated[str, Form(max_length=40)],
    site: Annotated[str, Form(max_length=20)],
    day: Annotated[dt.date, Form()],
) -> Response:
    try:
        result = _checkin(session, barcode, site, viewer)
    except ScanError as exc:
        session.rollback()
        return _page(request, viewer, session, day, error=str(exc), status_code=422, site=site)
    done = t("crates.checked_in", barcode=result.barcode, site=result.site)
    if result.return_transfer is not None:
        done += " " + t("crates.return_home", home=result.home or "")
    return _page(request, viewer, session, day, message=done, site=site)


@router.get("/api/crates/{day}", response_model=CratesOut, tags=["transport"])
def api_crates(
    day: Annotated[dt.date, Path(description="YYYY-MM-DD")], _viewer: CanScan, session: DbSession
) -> CratesOut:
    """The day's crates with their printed ids and latest scans."""
    return crates_of_day(session, day)


@router.post("/api/crates/{crate}/scans", response_model=ScanOut, tags=["transport"])
def api_scan(crate: str, scan: ScanIn, viewer: CanScan, session: DbSession) -> ScanOut:
    """Record a pickup or delivery scan (as `bokflyt crates scan`); 422 with the reason in
    bokmål for an unknown crate or site. A wrong site is recorded and returned as a warning."""
    try:
        result = _scan(session, crate, scan.event, scan.site, viewer)
    except ScanError as exc:
        session.rollback()
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return ScanOut(
        crate=result.crate_id,
        event=result.event,
        site=result.site,
        expected_site=result.expected_site,
        items=result.items,
        forward=result.forward,
        warnings=list(result.messages),
    )


@router.post("/api/items/{barcode}/checkin", response_model=CheckinOut, tags=["transport"])
def api_checkin(barcode: str, body: CheckinIn, viewer: CanScan, session: DbSession) -> CheckinOut:
    """Check an item in at a site (as `bokflyt items checkin`); away from home and not
    wanted there, it gets a return-home transfer."""
    try:
        result = _checkin(session, barcode, body.site, viewer)
    except ScanError as exc:
        session.rollback()
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return CheckinOut(
        barcode=result.barcode,
        site=result.site,
        home=result.home,
        return_transfer=result.return_transfer,
    )


PAGES = PageGroup(
    name="crates",
    router=router,
    nav=(
        NavEntry(
            "/kasser", "nav.crates", Permission.SCAN_CRATES, order=45, about_id="nav.crates.about"
        ),
    ),
)
