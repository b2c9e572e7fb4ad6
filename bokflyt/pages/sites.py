"""The sites page: every configured branch, school and depot with its opening hours.

Read from the configuration (the truth for sites, see `bokflyt.bootstrap`), not the database:
hours are only kept in the file.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from bokflyt.auth import Permission
from bokflyt.pages.common import NavEntry, PageGroup, Viewer, render, require
from bokflyt.settings import WEEKDAYS, Settings, SiteSettings

router = APIRouter()
CanView = Annotated[Viewer, Depends(require(Permission.VIEW_SITES))]


class SiteOut(BaseModel):
    code: str
    name: str
    kind: str
    library_number: str | None
    address: str | None
    notes: str | None
    hours: dict[str, list[str]]
    service_days: list[str] | None


def site_out(site: SiteSettings) -> SiteOut:
    """A site with its hours for every weekday, in week order (empty list: closed)."""
    return SiteOut(
        code=site.code,
        name=site.name,
        kind=site.kind,
        library_number=site.library_number,
        address=site.address,
        notes=site.notes,
        hours={day: list(site.hours.get(day, [])) for day in WEEKDAYS},
        service_days=site.service_days,
    )


def _sites(request: Request) -> list[SiteOut]:
    settings: Settings = request.app.state.settings
    return [site_out(site) for site in sorted(settings.sites, key=lambda s: (s.kind, s.name))]


@router.get("/steder", include_in_schema=False)
def sites_page(request: Request, viewer: CanView) -> Response:
    context = {"sites": _sites(request), "weekdays": WEEKDAYS}
    return render(request, viewer, "sites.html", context)


@router.get("/api/sites", response_model=list[SiteOut], tags=["steder"])
def api_sites(request: Request, _viewer: CanView) -> list[SiteOut]:
    """The configured sites with opening hours per weekday (HH:MM-HH:MM windows)."""
    return _sites(request)


PAGES = PageGroup(
    name="sites",
    router=router,
    nav=(
        NavEntry(
            "/steder", "nav.sites", Permission.VIEW_SITES, order=70, about_id="nav.sites.about"
        ),
    ),
)
