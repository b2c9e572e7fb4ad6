"""The record page: one merged title with its copies per site, and "send a copy to <site>".

The page reads `catalog.search.get_cluster` (the JSON twin is `/api/records/{cluster}` in
`bokflyt.api_search`). Sending a copy calls `transport.requests.request_copy`, which picks the
copy by the transport rule and refuses in bokmål when there is nothing to send; those refusals
are shown on the page (never a 500), so a librarian sees at once why nothing was ordered.
The form answers with a redirect (post/redirect/get), so reloading the page does not order the
same book twice. The merge explanation and split/join, for catalogue staff, are in
`bokflyt.pages.merge` and render into the same page.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bokflyt.auth import Permission
from bokflyt.messages import t
from bokflyt.pages.common import DbSession, PageGroup, Viewer, render, require
from bokflyt.pages.merge import merge_context
from bokflyt.pages.search import label, site_names
from catalog.query import QueryError
from catalog.search import get_cluster
from transport.models import Transfer
from transport.requests import (
    AlreadyThere,
    NoCopyAvailable,
    RequestError,
    UnknownCluster,
    UnknownSite,
    request_copy,
)

log = logging.getLogger(__name__)
router = APIRouter()
CanView = Annotated[Viewer, Depends(require(Permission.VIEW_RECORD))]
CanRequest = Annotated[Viewer, Depends(require(Permission.REQUEST_TRANSFER))]


class CopyRequestIn(BaseModel):
    """Bring a copy of the record to a site."""

    to_site: str = Field(min_length=1, max_length=32, description="Destination site code")
    any_edition: bool = Field(False, description="Any edition of the same work will do")


class TransferOut(BaseModel):
    """The transfer a copy request created."""

    id: int
    cluster: str
    to_site: str
    any_copy: bool
    barcode: str | None = Field(None, description="The chosen copy, when only one site has one")
    from_site: str | None = None
    candidates: list[tuple[str, str]] = Field(
        default_factory=list, description="(site, barcode) the day's plan chooses among"
    )
    status: str
    message: str


def _site_name(request: Request, code: str | None) -> str:
    return dict(site_names(request)).get(code or "", code or "")


def transfer_out(request: Request, transfer: Transfer) -> TransferOut:
    """The API view of a transfer, with the bokmål sentence the page shows for it."""
    to_name = _site_name(request, transfer.to_site)
    if transfer.any_copy:
        message = t("send.done.any", id=transfer.id, site=to_name)
    else:
        message = t(
            "send.done.item",
            id=transfer.id,
            site=to_name,
            origin=_site_name(request, transfer.from_site),
        )
    return TransferOut(
        id=transfer.id,
        cluster=transfer.cluster_key or "",
        to_site=transfer.to_site,
        any_copy=bool(transfer.any_copy),
        barcode=transfer.barcode,
        from_site=transfer.from_site,
        candidates=[(site, barcode) for site, barcode in (transfer.candidates or [])],
        status=transfer.status,
        message=message,
    )


def error_status(exc: RequestError) -> int:
    """HTTP status for a refused copy request: unknown things 404/400, nothing to move 409."""
    if isinstance(exc, UnknownCluster):
        return 404
    if isinstance(exc, UnknownSite):
        return 400
    if isinstance(exc, AlreadyThere | NoCopyAvailable):
        return 409
    return 400


def record_context(
    request: Request, viewer: Viewer, session: Session, cluster: str, site: str | None
) -> dict[str, Any]:
    """What record.html needs; 404 when the cluster is unknown, 400 for an unusable id."""
    try:
        hit = get_cluster(session, cluster, site or viewer.site_code)
    except QueryError as exc:
        raise HTTPException(status_code=400, detail=exc.reason) from None
    if hit is None:
        raise HTTPException(status_code=404, detail="no such record")
    return {
        "hit": hit,
        "label": label,
        "sites": site_names(request),
        "can_request": viewer.can(Permission.REQUEST_TRANSFER),
        "send_site": viewer.site_code or "",
        "send_any": False,
        "notice": None,
        "send_error": None,
        **merge_context(request, viewer, session, hit.members),
    }


@router.get("/post/{cluster}", include_in_schema=False)
def record_page(
    request: Request,
    cluster: str,
    viewer: CanView,
    session: DbSession,
    site: str | None = None,
    overforing: int | None = None,
) -> Response:
    context = record_context(request, viewer, session, cluster, site)
    if overforing is not None and viewer.can(Permission.REQUEST_TRANSFER):
        transfer = session.get(Transfer, overforing)
        if transfer is not None and transfer.cluster_key == cluster:
            context["notice"] = transfer_out(request, transfer).message
    return render(request, viewer, "record.html", context)


@router.post("/post/{cluster}/send", include_in_schema=False)
def send_form(
    request: Request,
    cluster: str,
    viewer: CanRequest,
    session: DbSession,
    to_site: Annotated[str, Form(max_length=32)] = "",
    any_edition: Annotated[bool, Form()] = False,
) -> Response:
    try:
        transfer = request_copy(session, cluster, to_site, any_edition=any_edition)
    except RequestError as exc:
        session.rollback()
        if isinstance(exc, UnknownCluster):
            raise HTTPException(status_code=404, detail=str(exc)) from None
        context = record_context(request, viewer, session, cluster, None)
        context.update(send_error=str(exc), send_site=to_site, send_any=any_edition)
        return render(request, viewer, "record.html", context, status_code=error_status(exc))
    session.commit()
    log.info("transfer %d requested by %s from the record page", transfer.id, viewer.username)
    return RedirectResponse(f"/post/{cluster}?overforing={transfer.id}#send", status_code=303)


@router.post(
    "/api/records/{cluster}/transfers",
    response_model=TransferOut,
    status_code=201,
    tags=["transport"],
    responses={400: {}, 404: {}, 409: {}},
)
def api_request_copy(
    request: Request, cluster: str, body: CopyRequestIn, viewer: CanRequest, session: DbSession
) -> TransferOut:
    """Ask for a copy to be sent to a site; 409 with a bokmål reason when nothing is sent."""
    try:
        transfer = request_copy(session, cluster, body.to_site, any_edition=body.any_edition)
    except RequestError as exc:
        session.rollback()
        raise HTTPException(status_code=error_status(exc), detail=str(exc)) from None
    out = transfer_out(request, transfer)
    session.commit()
    log.info("transfer %d requested by %s through the API", transfer.id, viewer.username)
    return out


PAGES = PageGroup(name="record", router=router)
