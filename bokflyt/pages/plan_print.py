"""The day's printed documents from the web: route sheets (all vans or one), crate labels, slips.

The same documents as `bokflyt routes print`, `crates labels` and `slips`: the stored plan is
turned into `transport.print_plan.PlanDocuments` with the sites as printed that day
(`bokflyt.commands.routes_print.sheet_sites`), then rendered by `transport.sheets` (PDF) or
`transport.sheets_html` (the route sheet as HTML with its SVG map, for a screen or a browser's
print). Each download is served twice: under `/plan/...` for people (errors as the bokmål page)
and under `/api/plans/...` for programs (errors as JSON), from one handler. Printing needs
`Permission.PRINT_SHEETS` (logistics, admin).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import logging
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bokflyt.auth import Permission
from bokflyt.messages import t
from bokflyt.pages.common import DbSession, PageGroup, Viewer, require
from bokflyt.settings import Settings
from transport.models import RoutePlan
from transport.print_plan import PlanDocuments, PrintPlanError, load_items, plan_documents

log = logging.getLogger(__name__)
router = APIRouter()
CanPrint = Annotated[Viewer, Depends(require(Permission.PRINT_SHEETS))]
Day = Annotated[dt.date, Path(description="YYYY-MM-DD")]
Van = Annotated[str | None, Query(max_length=64, description="Only this van's sheet")]
PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "A PDF file"}
}


def documents(
    request: Request, session: Session, day: dt.date, van: str | None = None
) -> PlanDocuments:
    """The stored plan of `day` as printable documents; 404 in bokmål when there is none."""
    from bokflyt.commands.routes_print import sheet_sites

    settings: Settings = request.app.state.settings
    plan = session.scalar(select(RoutePlan).where(RoutePlan.day == day))
    if plan is None:
        raise HTTPException(status_code=404, detail=t("print.no_plan", day=day.isoformat()))
    items = load_items(session, [b for c in plan.crates for b in c.barcodes])
    try:
        return plan_documents(plan, sheet_sites(settings, day), items, van)
    except PrintPlanError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


def _pdf(name: str, count: int, render_to: Callable[[io.BytesIO], None]) -> Response:
    if count == 0:
        raise HTTPException(status_code=404, detail=t("print.nothing"))
    out = io.BytesIO()
    render_to(out)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(out.getvalue(), media_type="application/pdf", headers=headers)


def _van_suffix(van: str | None) -> str:
    return "-" + "".join(ch for ch in van if ch.isalnum()) if van else ""


@router.get("/plan/{day}/kjoreliste.pdf", include_in_schema=False)
@router.get("/api/plans/{day}/route-sheets.pdf", tags=["transport"], responses=PDF,
            response_class=Response)  # fmt: skip
def route_sheets_pdf(
    request: Request, day: Day, _viewer: CanPrint, session: DbSession, van: Van = None
) -> Response:
    """The day's route sheets as PDF, one section per van (or only `van`)."""
    from transport.sheets import render_route_sheets

    docs = documents(request, session, day, van)
    name = f"kjoreliste-{day.isoformat()}{_van_suffix(van)}.pdf"
    return _pdf(name, len(docs.sheets), lambda out: render_route_sheets(docs.sheets, out))


@router.get("/plan/{day}/kasseetiketter.pdf", include_in_schema=False)
@router.get("/api/plans/{day}/crate-labels.pdf", tags=["transport"], responses=PDF,
            response_class=Response)  # fmt: skip
def crate_labels_pdf(
    request: Request, day: Day, _viewer: CanPrint, session: DbSession, van: Van = None
) -> Response:
    """One label per crate, each followed by its pick list."""
    from transport.sheets import render_crate_labels

    docs = documents(request, session, day, van)
    name = f"kasseetiketter-{day.isoformat()}{_van_suffix(van)}.pdf"
    return _pdf(
        name, len(docs.labels), lambda out: render_crate_labels(docs.labels, docs.picklists, out)
    )


@router.get("/plan/{day}/transportlapper.pdf", include_in_schema=False)
@router.get("/api/plans/{day}/slips.pdf", tags=["transport"], responses=PDF,
            response_class=Response)  # fmt: skip
def slips_pdf(
    request: Request, day: Day, _viewer: CanPrint, session: DbSession, van: Van = None
) -> Response:
    """The routing slips that go in the books of the day's crates."""
    from transport.sheets import render_slips

    docs = documents(request, session, day, van)
    name = f"transportlapper-{day.isoformat()}{_van_suffix(van)}.pdf"
    return _pdf(name, len(docs.slips), lambda out: render_slips(docs.slips, out))


@router.get("/plan/{day}/kjoreliste", include_in_schema=False)
@router.get("/api/plans/{day}/route-sheets.html", tags=["transport"],
            response_class=HTMLResponse)  # fmt: skip
def route_sheets_html_page(
    request: Request, day: Day, _viewer: CanPrint, session: DbSession, van: Van = None
) -> Any:
    """The route sheets as one HTML page with each van's map as SVG (prints like the PDF)."""
    from transport.sheets_html import route_sheets_html

    docs = documents(request, session, day, van)
    if not docs.sheets:
        raise HTTPException(status_code=404, detail=t("print.nothing"))
    html = route_sheets_html(docs.sheets)
    return HTMLResponse(html, headers={"Content-Security-Policy": sheet_policy(html)})


def sheet_policy(html: str) -> str:
    """A CSP for the standalone sheet: its own inline <style> (by hash) and nothing else.

    The app-wide policy allows only our stylesheet file; the sheet carries its print styles
    inline so it prints the same when saved, so this page allows exactly those bytes.
    """
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"
        for style in re.findall(r"<style>(.*?)</style>", html, flags=re.DOTALL)
    )
    styles = hashes or "'none'"
    return (
        f"default-src 'none'; img-src data:; style-src {styles}; "
        "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
    )


PAGES = PageGroup(name="plan_print", router=router)
