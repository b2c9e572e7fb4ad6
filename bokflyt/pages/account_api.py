"""The account as JSON: who am I, a CSRF token, logging in and out without the form.

For scripts and any future client-side code: `GET /api/csrf` gives an anonymous client its
token (and the CSRF cookie), `POST /api/session` logs in with that token in `X-CSRF-Token`,
`GET /api/me` returns the user and the token to use from then on (a login changes it), and
`DELETE /api/session` logs out. The same throttling, cookies and rules as the login form.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from bokflyt.auth import LoginOutcome, csrf_token
from bokflyt.pages.common import (
    CSRF_COOKIE,
    CSRF_SEED_KEY,
    DbSession,
    LoggedIn,
    PageGroup,
    Viewer,
    csrf_for,
    viewer_of,
    web_config,
)
from bokflyt.pages.login import check_login, end_session, retry_seconds, set_session_cookie
from bokflyt.pages.login import start_session as begin

router = APIRouter(prefix="/api", tags=["konto"])


class Me(BaseModel):
    """The logged-in user, what they may do, and the token for unsafe requests."""

    username: str
    display_name: str
    role: str
    site_code: str | None
    permissions: list[str]
    csrf_token: str


class CsrfOut(BaseModel):
    csrf_token: str


class Credentials(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=2000)


class Problem(BaseModel):
    detail: str


def me_of(viewer: Viewer, token: str) -> Me:
    return Me(
        username=viewer.username or "",
        display_name=viewer.display_name or "",
        role=viewer.role or "",
        site_code=viewer.site_code,
        permissions=sorted(p.value for p in viewer.permissions),
        csrf_token=token,
    )


@router.get("/me", response_model=Me)
def me(request: Request, viewer: LoggedIn) -> Me:
    """Who am I: send `csrf_token` as the X-CSRF-Token header on POST/PUT/PATCH/DELETE."""
    return me_of(viewer, csrf_for(request))


@router.get("/csrf", response_model=CsrfOut)
def csrf(request: Request) -> CsrfOut:
    """The token for this client's next unsafe request (sets the CSRF cookie when missing)."""
    return CsrfOut(csrf_token=csrf_for(request))


@router.post(
    "/session",
    response_model=Me,
    responses={401: {"model": Problem}, 429: {"model": Problem}},
)
def log_in(request: Request, response: Response, body: Credentials, session: DbSession) -> Me:
    """Log in; sets the session cookie and returns the user with the new CSRF token."""
    result = check_login(request, session, body.username, body.password)
    if result.outcome is LoginOutcome.THROTTLED:
        seconds = retry_seconds(result)
        raise HTTPException(
            status_code=429,
            detail="too many failed logins",
            headers={"Retry-After": str(seconds)},
        )
    if result.outcome is not LoginOutcome.OK or result.user is None:
        raise HTTPException(status_code=401, detail="wrong username or password")
    user = result.user
    token = begin(request, session, user)
    set_session_cookie(request, response, token)
    seed = request.cookies.get(CSRF_COOKIE) or request.scope.get(CSRF_SEED_KEY) or ""
    return me_of(viewer_of(user), csrf_token(web_config(request).secret, seed, token))


@router.delete("/session", status_code=204)
def log_out(request: Request, session: DbSession) -> Response:
    """Log out this client's session."""
    response = Response(status_code=204)
    end_session(request, session, response)
    return response


PAGES = PageGroup(name="account-api", router=router)
