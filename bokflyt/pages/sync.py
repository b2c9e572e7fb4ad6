"""The sync dashboard for IT: recent harvest runs and quarantined records, page and API.

Admin only (`Permission.VIEW_SYNC`): quarantined records hold raw data from the library
systems, which may contain anything a cataloguer typed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from bokflyt.auth import Permission
from bokflyt.pages._sync_queries import (
    HEX_PREVIEW,
    TEXT_PREVIEW,
    HarvestRunOut,
    QuarantineDetail,
    QuarantineSummary,
    quarantine_detail,
    quarantine_row,
    quarantined,
    recent_runs,
)
from bokflyt.pages.common import DbSession, NavEntry, PageGroup, Viewer, render, require

router = APIRouter()
CanView = Annotated[Viewer, Depends(require(Permission.VIEW_SYNC))]


@router.get("/synk", include_in_schema=False)
def dashboard(
    request: Request,
    viewer: CanView,
    session: DbSession,
) -> Response:
    runs = recent_runs(session, 50)
    return render(
        request,
        viewer,
        "sync.html",
        {"runs": runs, "quarantine": quarantined(session, 100)},
    )


@router.get("/synk/karantene/{qid}", include_in_schema=False)
def quarantine_page(
    request: Request,
    qid: int,
    viewer: CanView,
    session: DbSession,
) -> Response:
    detail = quarantine_detail(session, qid)
    if detail is None:
        raise HTTPException(status_code=404, detail="no such quarantined record")
    return render(
        request,
        viewer,
        "quarantine.html",
        {"q": detail, "text_limit": TEXT_PREVIEW, "hex_limit": HEX_PREVIEW},
    )


@router.get("/synk/karantene/{qid}/raw", include_in_schema=False)
def quarantine_raw(qid: int, _viewer: CanView, session: DbSession) -> Response:
    """The exact bytes as a download, never rendered by the browser."""
    found = quarantine_row(session, qid)
    if found is None:
        raise HTTPException(status_code=404, detail="no such quarantined record")
    return Response(
        bytes(found[0].raw),
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="karantene-{qid}.bin"'},
    )


@router.get("/api/sync/runs", response_model=list[HarvestRunOut], tags=["synkronisering"])
def api_runs(
    _viewer: CanView,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[HarvestRunOut]:
    """Recent harvest runs, newest first, with their counts and status."""
    return recent_runs(session, limit)


@router.get("/api/quarantine", response_model=list[QuarantineSummary], tags=["synkronisering"])
def api_quarantine(
    _viewer: CanView,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[QuarantineSummary]:
    """Quarantined records, newest first, reason cut to 300 characters, without bytes."""
    return quarantined(session, limit)


@router.get("/api/quarantine/{qid}", response_model=QuarantineDetail, tags=["synkronisering"])
def api_quarantine_one(qid: int, _viewer: CanView, session: DbSession) -> QuarantineDetail:
    """One quarantined record: full reason, exact bytes (base64) and a readable preview."""
    detail = quarantine_detail(session, qid)
    if detail is None:
        raise HTTPException(status_code=404, detail="no such quarantined record")
    return detail


PAGES = PageGroup(
    name="sync",
    router=router,
    nav=(NavEntry("/synk", "nav.sync", Permission.VIEW_SYNC, order=80, about_id="nav.sync.about"),),
)
