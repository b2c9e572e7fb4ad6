"""The search page, for people, on top of `catalog.search`.

The JSON for the same data is `bokflyt.api_search` (`/api/search`, `/api/records/{cluster}`);
this page calls the same functions and renders them. The record page it links to lives in
`bokflyt.pages.record`. The search form is a GET (a search
changes nothing, and its URL can be bookmarked or sent to a colleague); facets are links that
add or remove one filter. A librarian's own site (`users add --site`) is preselected so that
copies on the shelf there come first.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError

from bokflyt.auth import Permission
from bokflyt.messages import t
from bokflyt.pages.common import DbSession, NavEntry, PageGroup, Viewer, render, require
from bokflyt.settings import Settings
from catalog.query import QueryError
from catalog.search import SearchRequest, search

log = logging.getLogger(__name__)

router = APIRouter()
CanSearch = Annotated[Viewer, Depends(require(Permission.SEARCH))]
MAX_QUERY = 2000
FILTERS = ("site", "available", "format", "language", "audience", "held_at")


def label(kind: str, code: str | None, fallback: str | None = None) -> str:
    """Bokmål for a format or audience code, from the message catalogue."""
    if not code:
        return ""
    key = f"{kind}.{code}"
    text = t(key)
    return (fallback or code) if text == key else text


def site_names(request: Request) -> list[tuple[str, str]]:
    settings: Settings = request.app.state.settings
    return sorted(((s.code, s.name) for s in settings.sites), key=lambda pair: pair[1])


class Links:
    """URLs for this search with one thing changed (facet links, pages)."""

    def __init__(self, params: dict[str, str]) -> None:
        self.params = {k: v for k, v in params.items() if v}

    def with_(self, **changes: str | int | None) -> str:
        merged: dict[str, Any] = {**self.params, **changes}
        query = {k: str(v) for k, v in merged.items() if v not in (None, "")}
        if query.get("page") == "1":
            del query["page"]
        return "/sok?" + urlencode(query)


@router.get("/sok", include_in_schema=False)
def search_page(
    request: Request,
    viewer: CanSearch,
    session: DbSession,
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    site: str | None = None,
    available: bool = False,
    format: str | None = None,
    language: str | None = None,
    audience: str | None = None,
    held_at: str | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    my_site = site if site is not None else viewer.site_code
    params = {
        "q": q,
        "site": my_site or "",
        "available": "1" if available else "",
        "format": format or "",
        "language": language or "",
        "audience": audience or "",
        "held_at": held_at or "",
    }
    context: dict[str, Any] = {
        "q": q,
        "params": params,
        "links": Links(params),
        "sites": site_names(request),
        "label": label,
        "result": None,
        "error": None,
    }
    if not q.strip():
        return render(request, viewer, "search.html", context)
    try:
        wanted = SearchRequest(
            q=q,
            site=my_site or None,
            available=available,
            format=format or None,
            language=language or None,
            audience=audience or None,
            held_at=held_at or None,
            page=page,
        )
        context["result"] = search(session, wanted)
    except QueryError as exc:
        context["error"] = exc.reason
        return render(request, viewer, "search.html", context, status_code=400)
    except SQLAlchemyError:
        log.exception("search page failed for %r", q[:200])
        raise HTTPException(status_code=503, detail="search unavailable") from None
    return render(request, viewer, "search.html", context)


PAGES = PageGroup(
    name="search",
    router=router,
    nav=(NavEntry("/sok", "nav.search", Permission.SEARCH, order=10, about_id="nav.search.about"),),
)
