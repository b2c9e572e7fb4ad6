"""Logging in and out with the form, and the start page (the JSON side: `account_api`).

The login form answers wrong usernames and wrong passwords alike, and throttled attempts
with 429 and a Retry-After header (see `bokflyt.auth` for the rules). The session cookie is
HttpOnly, SameSite=Lax and, unless `[web] cookie_secure = false`, Secure.
"""

from __future__ import annotations

import logging
import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from bokflyt.auth import (
    LoginOutcome,
    LoginResult,
    Permission,
    authenticate,
    close_session,
    open_session,
)
from bokflyt.models_web import User
from bokflyt.pages.common import (
    SESSION_COOKIE,
    CurrentViewer,
    DbSession,
    PageGroup,
    render,
    web_config,
)
from bokflyt.pages.errors import safe_next

log = logging.getLogger(__name__)
router = APIRouter()


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def start_session(request: Request, session: Session, user: User) -> str:
    """A new session token for `user` (any previous one of this browser is closed: no
    fixation), committed; returns the token for the cookie."""
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        close_session(session, previous)
    token = open_session(session, user, web_config(request).settings.session_hours)
    session.commit()
    log.info("login: %s from %s", user.username, client_address(request))
    return token


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    web = web_config(request)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(web.settings.session_hours * 3600),
        path="/",
        httponly=True,
        secure=web.settings.cookie_secure,
        samesite="lax",
    )


def end_session(request: Request, session: Session, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        close_session(session, token)
        session.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")


def check_login(request: Request, session: Session, username: str, password: str) -> LoginResult:
    """Authenticate and persist the failure count whatever the outcome."""
    result = authenticate(session, username, password, client_address(request))
    if result.outcome is not LoginOutcome.OK:
        session.commit()
        log.info(
            "login refused (%s) for %r from %s",
            result.outcome,
            username[:64],
            client_address(request),
        )
    return result


def retry_seconds(result: LoginResult) -> int:
    wait = result.retry_after.total_seconds() if result.retry_after else 60
    return max(1, math.ceil(wait))


@router.get("/", include_in_schema=False)
def home(request: Request, viewer: CurrentViewer) -> Response:
    """The start page: what this role can do, as cards mirroring the menu."""
    if not viewer.authenticated:
        public = viewer.can(Permission.SEARCH)  # `[web] public_search`: straight to the search
        return RedirectResponse("/sok" if public else "/login", status_code=303)
    return render(request, viewer, "home.html")


@router.get("/login", include_in_schema=False)
def login_form(request: Request, viewer: CurrentViewer, next: str = "/") -> Response:
    if viewer.authenticated and not viewer.via_sso:
        return RedirectResponse(safe_next(next), status_code=303)
    notice = "login.logged_out" if request.query_params.get("ut") == "1" else None
    return render(request, viewer, "login.html", {"next": safe_next(next), "notice": notice})


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    session: DbSession,
    viewer: CurrentViewer,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    result = check_login(request, session, username, password)
    if result.outcome is LoginOutcome.OK and result.user is not None:
        token = start_session(request, session, result.user)
        response = RedirectResponse(safe_next(next), status_code=303)
        set_session_cookie(request, response, token)
        return response
    context: dict[str, object] = {"next": safe_next(next), "username": username.strip()[:64]}
    if result.outcome is LoginOutcome.THROTTLED:
        seconds = retry_seconds(result)
        context["error"] = "login.throttled"
        context["minutes"] = max(1, math.ceil(seconds / 60))
        return render(
            request,
            viewer,
            "login.html",
            context,
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )
    context["error"] = "login.failed"
    return render(request, viewer, "login.html", context)


@router.post("/logout", include_in_schema=False)
def logout(request: Request, session: DbSession) -> Response:
    response = RedirectResponse("/login?ut=1", status_code=303)
    end_session(request, session, response)
    return response


PAGES = PageGroup(name="login", router=router)
