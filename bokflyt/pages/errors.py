"""Errors as people and programs want them: an HTML page, a login redirect, or JSON.

`/api/...` paths (and clients asking only for JSON) keep FastAPI's `{"detail": ...}` body;
everything else gets the bokmål error page with the same status, and a 401 becomes a redirect
to the login page that comes back to where the user was.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from bokflyt.auth import permissions_for
from bokflyt.pages.common import CsrfRefused, Viewer, render

log = logging.getLogger(__name__)

KNOWN_STATUSES = {400, 401, 403, 404, 405, 409, 429, 500, 503}


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def safe_next(path: str | None) -> str:
    """A local path to return to after login; anything else (other hosts, `//x`) is `/`."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    if any(ord(ch) < 32 for ch in path):
        return "/"
    return path


def _viewer(request: Request) -> Viewer:
    viewer = getattr(request.state, "viewer", None)
    if isinstance(viewer, Viewer):
        return viewer
    return Viewer(permissions=permissions_for(None))  # the error came before the lookup


def error_page(request: Request, status: int, message_id: str | None = None) -> Response:
    code = status if status in KNOWN_STATUSES else None
    return render(
        request,
        _viewer(request),
        "error.html",
        {
            "status": status,
            "title_id": f"error.{code}" if code else "error.generic",
            "about_id": message_id or (f"error.{code}.about" if code else None),
        },
        status_code=status,
    )


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if wants_json(request):
        return await http_exception_handler(request, exc)
    if exc.status_code == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(safe_next(target))}", status_code=303)
    message_id = "error.403.csrf" if isinstance(exc, CsrfRefused) else None
    return error_page(request, exc.status_code, message_id)


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if wants_json(request):
        return await request_validation_exception_handler(request, exc)
    return error_page(request, 400)


async def on_crash(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if wants_json(request):
        return JSONResponse({"detail": "internal error"}, status_code=500)
    return error_page(request, 500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_crash)
