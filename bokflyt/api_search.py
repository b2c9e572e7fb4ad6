"""The JSON search API: `GET /api/search` and `GET /api/records/{cluster}`.

A router, registered by the web app factory; it reads the session factory from
`app.state.sessions`. Bad input is a 400 whose `detail` is the librarian-facing reason from
`QueryError`; database errors are logged and reported as a 503 without their SQL.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from catalog.query import QueryError
from catalog.search import (
    PER_PAGE,
    Hit,
    SearchCache,
    SearchRequest,
    SearchResult,
    get_cluster,
    search,
)

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["søk"])


class Problem(BaseModel):
    """Why a request was refused."""

    detail: str


_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": Problem, "description": "Ugyldig søk; `detail` sier hvorfor."},
    503: {"model": Problem, "description": "Databasen svarer ikke."},
}


def _cache(request: Request) -> SearchCache:
    """The app's search cache, made on first use (the router owns it, not the app factory)."""
    cache = getattr(request.app.state, "search_cache", None)
    if cache is None:
        cache = request.app.state.search_cache = SearchCache()
    return cache


@router.get("/search", response_model=SearchResult, responses=_ERRORS)
def search_endpoint(
    request: Request,
    q: Annotated[str, Query(description="Søket, f.eks. `au:hamsun sult` eller et ISBN.")] = "",
    site: Annotated[str | None, Query(description="Stedskoden til den som søker.")] = None,
    available: Annotated[bool, Query(description="Bare det som står på hylla nå.")] = False,
    format: Annotated[str | None, Query(description="book, ebook, audiobook, film …")] = None,
    language: Annotated[str | None, Query(description="Språkkode (nob, nno, eng …).")] = None,
    audience: Annotated[str | None, Query(description="children, young eller adult.")] = None,
    held_at: Annotated[str | None, Query(description="Bare titler som finnes på stedet.")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = PER_PAGE,
) -> SearchResult:
    """Search the merged catalogue; facets and availability per site on every hit."""
    try:
        wanted = SearchRequest(
            q=q,
            site=site,
            available=available,
            format=format,
            language=language,
            audience=audience,
            held_at=held_at,
            page=page,
            per_page=per_page,
        )
        with request.app.state.sessions() as session:
            return search(session, wanted, _cache(request))
    except QueryError as exc:
        raise HTTPException(status_code=400, detail=exc.reason) from None
    except SQLAlchemyError:
        log.exception("search failed for %r", q)
        raise HTTPException(status_code=503, detail="Søket kunne ikke kjøres nå.") from None


@router.get(
    "/records/{cluster}", response_model=Hit, responses={404: {"model": Problem}, **_ERRORS}
)
def record_endpoint(
    request: Request,
    cluster: str,
    site: Annotated[str | None, Query(description="Stedskoden til den som spør.")] = None,
) -> Hit:
    """One manifestation cluster with its members and live availability per site."""
    try:
        with request.app.state.sessions() as session:
            hit = get_cluster(session, cluster, site)
    except QueryError as exc:
        raise HTTPException(status_code=400, detail=exc.reason) from None
    except SQLAlchemyError:
        log.exception("record lookup failed for %r", cluster)
        raise HTTPException(status_code=503, detail="Oppslaget kunne ikke kjøres nå.") from None
    if hit is None:
        raise HTTPException(status_code=404, detail="Finner ingen tittel med denne id-en.")
    return hit
