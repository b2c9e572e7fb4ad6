"""What every page group shares: who is asking, what they may do, CSRF, rendering.

`create_app` stores a `WebConfig` on `app.state.web`; the dependencies below read it from the
request, so nothing here is built at import time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, cast
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from bokflyt.auth import Permission, csrf_token, csrf_valid, find_user, permissions_for
from bokflyt.auth import session_user as lookup_session_user
from bokflyt.messages import t
from bokflyt.models_web import User
from bokflyt.settings import WebSettings

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent.parent / "templates"
SESSION_COOKIE = "bokflyt_session"
CSRF_COOKIE = "bokflyt_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
LOCAL_TIME = ZoneInfo("Europe/Oslo")


@dataclass(frozen=True)
class NavEntry:
    """A link in the main menu, shown to those holding `permission`."""

    path: str
    label_id: str
    permission: Permission
    order: int = 100
    about_id: str | None = None


@dataclass(frozen=True)
class PageGroup:
    """What a module in `bokflyt.pages` contributes: its router and its menu entries."""

    name: str
    router: APIRouter
    nav: tuple[NavEntry, ...] = ()


@dataclass(frozen=True)
class WebConfig:
    """The web app's own settings, resolved once by `create_app`."""

    settings: WebSettings
    secret: str
    templates: Jinja2Templates
    nav: tuple[NavEntry, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Viewer:
    """Whoever sent the request: a logged-in user, an SSO user, or an anonymous visitor."""

    permissions: frozenset[Permission]
    user_id: int | None = None
    username: str | None = None
    display_name: str | None = None
    role: str | None = None
    site_code: str | None = None
    via_sso: bool = False

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def web_config(request: Request) -> WebConfig:
    return cast(WebConfig, request.app.state.web)


def db(request: Request) -> Iterator[Session]:
    """A database session for this request; routes that write commit it themselves."""
    with request.app.state.sessions() as session:
        yield session


def _viewer_for(request: Request, session: Session) -> Viewer:
    web = web_config(request)
    header = web.settings.trust_sso_header
    user = None
    via_sso = False
    if header and (name := request.headers.get(header)):
        user = find_user(session, name)
        via_sso = user is not None and user.active
        if not via_sso:
            log.warning("SSO header names %r, who has no active account here", name[:64])
            user = None
    if user is None:
        token = request.cookies.get(SESSION_COOKIE)
        user = lookup_session_user(session, token) if token else None
    if user is None:
        return Viewer(permissions=permissions_for(None, web.settings.public_search))
    return viewer_of(user, via_sso)


def viewer_of(user: User, via_sso: bool = False) -> Viewer:
    return Viewer(
        permissions=permissions_for(user.role),
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        site_code=user.site_code,
        via_sso=via_sso,
    )


DbSession = Annotated[Session, Depends(db)]


def get_viewer(request: Request, session: DbSession) -> Viewer:
    """The viewer of this request (looked up once per request)."""
    cached = getattr(request.state, "viewer", None)
    if isinstance(cached, Viewer):
        return cached
    viewer = _viewer_for(request, session)
    request.state.viewer = viewer
    return viewer


CurrentViewer = Annotated[Viewer, Depends(get_viewer)]


def require_login(viewer: CurrentViewer) -> Viewer:
    if not viewer.authenticated:
        raise HTTPException(status_code=401, detail="login required")
    return viewer


def require(*permissions: Permission) -> Callable[[Viewer], Viewer]:
    """A dependency granting the route only to viewers with all of `permissions`.

    Anonymous visitors get 401 (the HTML error handler turns it into the login page), logged-in
    users without the permission get 403.
    """

    def dependency(viewer: CurrentViewer) -> Viewer:
        if all(viewer.can(p) for p in permissions):
            return viewer
        if not viewer.authenticated:
            raise HTTPException(status_code=401, detail="login required")
        raise HTTPException(status_code=403, detail="forbidden")

    return dependency


LoggedIn = Annotated[Viewer, Depends(require_login)]


# --- CSRF ----------------------------------------------------------------------------------

CSRF_SEED_KEY = "bokflyt.csrf_seed"


def csrf_for(request: Request) -> str:
    """The token to put in this page's forms (see `bokflyt.auth.csrf_token`)."""
    seed = request.scope.get(CSRF_SEED_KEY) or request.cookies.get(CSRF_COOKIE) or ""
    return csrf_token(web_config(request).secret, seed, request.cookies.get(SESSION_COOKIE))


class CsrfRefused(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=403, detail="CSRF token missing or invalid")


async def csrf_protect(request: Request) -> None:
    """App-wide: every unsafe request must carry the token, as form field or header."""
    if request.method in SAFE_METHODS:
        return
    given = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if given is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    secret = web_config(request).secret
    seed = request.cookies.get(CSRF_COOKIE)
    if not csrf_valid(secret, seed, request.cookies.get(SESSION_COOKIE), given):
        log.info("refused %s %s without a valid CSRF token", request.method, request.url.path)
        raise CsrfRefused()


# --- rendering -----------------------------------------------------------------------------


def local_time(value: datetime | None) -> str:
    """ "26.11.2026 10:04" in Norwegian time; naive values are UTC (SQLite)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(LOCAL_TIME).strftime("%d.%m.%Y %H:%M")


def status_label(status: str) -> str:
    key = f"status.{status}"
    text = t(key)
    return status if text == key else text


def make_templates() -> Jinja2Templates:
    """The Jinja environment: autoescaping on, `_` for messages, a few display filters."""
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.auto_reload = False  # templates ship with the package; no stat per render
    templates.env.globals["_"] = t
    templates.env.filters["local_time"] = local_time
    templates.env.filters["status_label"] = status_label
    return templates


def render(
    request: Request,
    viewer: Viewer,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A page extending base.html, with the menu for this viewer and the CSRF token."""
    web = web_config(request)
    values: dict[str, Any] = {
        "viewer": viewer,
        "nav": [entry for entry in web.nav if viewer.can(entry.permission)],
        "csrf_token": csrf_for(request),
        "current_path": request.url.path,
        **(context or {}),
    }
    return web.templates.TemplateResponse(
        request, template, values, status_code=status_code, headers=headers
    )
