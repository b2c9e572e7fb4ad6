"""The day's route plan for logistics staff: runs per van, crates, and dispatching it.

Read from `transport.models` (stored by `bokflyt routes plan`); dispatching calls
`transport.plan_store.dispatch`, the same function as `bokflyt routes dispatch`, and needs
`Permission.DISPATCH_PLAN` (logistics, admin): a librarian can look but not send the vans.
"Planlegg i morgen" (`Permission.PLAN_ROUTES`) runs `bokflyt.planning.plan_day`, the same steps
as `bokflyt routes plan`, with a short time limit so the page answers within seconds; the draft
replaces an earlier draft, never a dispatched plan. The printed documents are served by
`bokflyt.pages.plan_print`.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from bokflyt.auth import Permission
from bokflyt.messages import t
from bokflyt.pages.common import DbSession, NavEntry, PageGroup, Viewer, render, require
from bokflyt.planning import PlanningError, hub_code, plan_day
from bokflyt.settings import Settings
from transport.models import RoutePlan
from transport.plan_store import PlanError, dispatch
from transport.print_plan import van_label
from transport.problem import ProblemError
from transport.routemap import route_svg

log = logging.getLogger(__name__)
router = APIRouter()
CanView = Annotated[Viewer, Depends(require(Permission.VIEW_PLANS))]
CanDispatch = Annotated[Viewer, Depends(require(Permission.DISPATCH_PLAN))]
CanPlan = Annotated[Viewer, Depends(require(Permission.PLAN_ROUTES))]
# Seconds the solver gets when planning from the page: a good plan for a municipality's
# handful of vans in the time a person waits; `bokflyt routes plan` can search longer.
WEB_TIME_LIMIT = 3.0
Day = Annotated[dt.date, Path(description="YYYY-MM-DD")]


class StopOut(BaseModel):
    seq: int
    site: str
    site_name: str
    kind: str
    leg: str
    eta: str
    crates: int
    load_after: int


class VanOut(BaseModel):
    van: str
    stops: list[StopOut]


class CrateOut(BaseModel):
    origin: str
    destination: str
    number: int
    items: int
    routed: bool
    note: str | None


class PlanOut(BaseModel):
    day: dt.date
    status: str
    vehicles: int
    distance_km: float
    vans: list[VanOut]
    crates: list[CrateOut]


def clock(seconds: float) -> str:
    """Seconds after midnight as HH:MM."""
    minutes = int(round(seconds / 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def plan_out(session: Session, settings: Settings, day: dt.date) -> PlanOut | None:
    plan = session.scalar(select(RoutePlan).where(RoutePlan.day == day))
    if plan is None:
        return None
    names = {s.code: s.name for s in settings.sites}
    vans: dict[str, list[StopOut]] = {}
    for stop in sorted(plan.stops, key=lambda s: (s.van, s.seq)):
        vans.setdefault(stop.van, []).append(
            StopOut(
                seq=stop.seq + 1,
                site=stop.site,
                site_name=names.get(stop.site, stop.site),
                kind=stop.kind,
                leg=stop.leg,
                eta=clock(stop.eta_s),
                crates=stop.crates,
                load_after=stop.load_after,
            )
        )
    crates = [
        CrateOut(
            origin=c.origin,
            destination=c.destination,
            number=c.number,
            items=len(c.barcodes),
            routed=c.routed,
            note=c.note,
        )
        for c in sorted(plan.crates, key=lambda c: (c.origin, c.destination, c.number))
    ]
    return PlanOut(
        day=plan.day,
        status=plan.status,
        vehicles=plan.vehicles,
        distance_km=round(plan.distance_m / 1000, 1),
        vans=[VanOut(van=van, stops=stops) for van, stops in vans.items()],
        crates=crates,
    )


def van_maps(request: Request, session: Session, day: dt.date) -> dict[str, Markup]:
    """Each van's route map as inline SVG (the one on its printed sheet), by van name.

    Drawn from the same documents as the PDF, so screen and paper never disagree; a plan that
    cannot be drawn (a site removed from the configuration since) shows its stops without map.
    """
    from bokflyt.pages.plan_print import documents

    try:
        docs = documents(request, session, day)
    except (HTTPException, ProblemError) as exc:
        log.warning("no route map for %s: %s", day, exc)
        return {}
    return {sheet.van: Markup(route_svg(sheet)) for sheet in docs.sheets}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/plan", include_in_schema=False)
def plan_page(
    request: Request,
    viewer: CanView,
    session: DbSession,
    dato: Annotated[dt.date | None, Query()] = None,
) -> Response:
    day = dato or dt.date.today()
    return _plan_page(request, viewer, session, day)


def _plan_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    day: dt.date,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    plan = plan_out(session, _settings(request), day)
    context = {
        "day": day,
        "plan": plan,
        "maps": van_maps(request, session, day) if plan is not None and plan.vans else {},
        "van_label": van_label,
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "can_dispatch": viewer.can(Permission.DISPATCH_PLAN),
        "can_plan": viewer.can(Permission.PLAN_ROUTES),
        "can_print": viewer.can(Permission.PRINT_SHEETS),
        "tomorrow": dt.date.today() + dt.timedelta(days=1),
        "error": error,
    }
    return render(request, viewer, "plan.html", context, status_code=status_code)


def _plan(request: Request, session: Session, viewer: Viewer, day: dt.date) -> None:
    """Plan `day` and commit the draft; `PlanningError` (bokmål) when it cannot be stored."""
    planned = plan_day(session, _settings(request), day, WEB_TIME_LIMIT)
    session.commit()
    log.info("plan for %s made by %s: %d van(s)", day, viewer.username, planned.plan.vehicles)


@router.post("/plan/imorgen", include_in_schema=False)
def plan_tomorrow_form(request: Request, viewer: CanPlan, session: DbSession) -> Response:
    day = dt.date.today() + dt.timedelta(days=1)
    try:
        _plan(request, session, viewer, day)
    except PlanningError as exc:
        session.rollback()
        message = t("plan.failed", reason=str(exc))
        return _plan_page(request, viewer, session, day, error=message, status_code=409)
    return RedirectResponse(f"/plan?dato={day.isoformat()}", status_code=303)


def _dispatch(request: Request, session: Session, viewer: Viewer, day: dt.date) -> None:
    hub = hub_code(_settings(request))
    if hub is None:
        raise HTTPException(status_code=409, detail="no sites configured")
    try:
        dispatch(session, day, hub)
    except PlanError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    session.commit()
    log.info("plan for %s dispatched by %s", day, viewer.username)


@router.post("/plan/{day}/send", include_in_schema=False)
def dispatch_form(request: Request, day: Day, viewer: CanDispatch, session: DbSession) -> Response:
    _dispatch(request, session, viewer, day)
    return RedirectResponse(f"/plan?dato={day.isoformat()}", status_code=303)


@router.get("/api/plans/{day}", response_model=PlanOut, tags=["transport"])
def api_plan(request: Request, day: Day, _viewer: CanView, session: DbSession) -> PlanOut:
    """The stored plan for a day: runs per van with ETAs, and the crates."""
    plan = plan_out(session, _settings(request), day)
    if plan is None:
        raise HTTPException(status_code=404, detail="no plan for this day")
    return plan


@router.post("/api/plans/{day}/plan", response_model=PlanOut, tags=["transport"])
def api_plan_day(request: Request, day: Day, viewer: CanPlan, session: DbSession) -> PlanOut:
    """Plan the day from the open transfers (as `bokflyt routes plan`) and store the draft;
    409 with the reason in bokmål when it cannot (e.g. the plan is dispatched already)."""
    try:
        _plan(request, session, viewer, day)
    except PlanningError as exc:
        session.rollback()
        raise HTTPException(status_code=409, detail=str(exc)) from None
    plan = plan_out(session, _settings(request), day)
    assert plan is not None
    return plan


@router.post("/api/plans/{day}/dispatch", response_model=PlanOut, tags=["transport"])
def api_dispatch(request: Request, day: Day, viewer: CanDispatch, session: DbSession) -> PlanOut:
    """Freeze the day's plan (as `bokflyt routes dispatch`); 409 when missing or frozen."""
    _dispatch(request, session, viewer, day)
    plan = plan_out(session, _settings(request), day)
    assert plan is not None
    return plan


PAGES = PageGroup(
    name="plans",
    router=router,
    nav=(
        NavEntry("/plan", "nav.plans", Permission.VIEW_PLANS, order=40, about_id="nav.plans.about"),
    ),
)
