"""The web app factory: FastAPI, built per call from settings, never at import time.

Pages and their JSON API come from the modules in `bokflyt.pages` (see its docstring for how
a page group plugs in); `bokflyt serve` runs the app. Plain API routers that are not pages
(e.g. the search API) are included by `create_app` too, listed in `API_ROUTERS`.

The session secret: `[web] secret_key` in the configuration. Without one the app refuses to
start, except when `BOKFLYT_ENV` is `development` or `test`: then a random key is made for this
process and a warning logged (open forms stop working when the process restarts).
"""

from __future__ import annotations

import importlib
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy import text

from bokflyt import __version__
from bokflyt.auth import Permission
from bokflyt.db import make_engine, make_session_factory
from bokflyt.pages import discover
from bokflyt.pages import errors as error_pages
from bokflyt.pages.common import WebConfig, csrf_protect, make_templates, require
from bokflyt.pages.middleware import BrowserMiddleware
from bokflyt.settings import (
    Settings,
    SettingsError,
    WebSettings,
    load_settings,
    resolve_config_path,
)

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
RELAXED_ENVIRONMENTS = ("development", "test")

# Routers that are API only, as "module:attribute", each with the permission all its routes
# need (public search grants SEARCH to anonymous visitors); included when the module exists.
API_ROUTERS: tuple[tuple[str, Permission], ...] = (
    ("bokflyt.api_search:router", Permission.SEARCH),
)


class Health(BaseModel):
    status: str
    version: str


def resolve_secret(web: WebSettings, environment: str | None) -> str:
    """The configured secret, or a throwaway one where that is acceptable (see module doc)."""
    if web.secret_key:
        return web.secret_key
    if environment in RELAXED_ENVIRONMENTS:
        log.warning(
            "[web] secret_key is not set; using a random key for this process (BOKFLYT_ENV=%s)",
            environment,
        )
        return secrets.token_urlsafe(32)
    raise SettingsError(
        "[web] secret_key is not set: add a random string of at least 32 characters "
        '(python -c "import secrets; print(secrets.token_urlsafe(32))"), '
        "or set BOKFLYT_ENV=development for a throwaway key"
    )


def _optional_routers(app: FastAPI) -> None:
    for spec, permission in API_ROUTERS:
        module_name, attribute = spec.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        app.include_router(getattr(module, attribute), dependencies=[Depends(require(permission))])


def create_app(settings: Settings) -> FastAPI:
    """A FastAPI app bound to the database in `settings`, with every page group mounted."""
    secret = resolve_secret(settings.web, os.environ.get("BOKFLYT_ENV"))
    engine = make_engine(settings.database.url, interactive=True)
    sessions = make_session_factory(engine)
    groups = discover()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="bokflyt",
        version=__version__,
        lifespan=lifespan,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.web = WebConfig(
        settings=settings.web,
        secret=secret,
        templates=make_templates(),
        nav=tuple(sorted((e for g in groups for e in g.nav), key=lambda e: (e.order, e.path))),
    )
    app.add_middleware(BrowserMiddleware, cookie_secure=settings.web.cookie_secure)
    error_pages.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", tags=["drift"], response_model=Health)
    def healthz() -> Health:
        """Liveness and database reachability, for a load balancer or monitoring."""
        with sessions() as session:
            session.execute(text("SELECT 1"))
        return Health(status="ok", version=__version__)

    for group in groups:
        app.include_router(group.router)
    _optional_routers(app)
    return app


def app_from_environment() -> FastAPI:
    """The app for one of several `bokflyt serve --workers` processes.

    uvicorn starts each worker from an import string, so the configuration comes the way
    cron jobs get it: `BOKFLYT_CONFIG` and `BOKFLYT_DATABASE_URL`, which `serve` has set."""
    return create_app(load_settings(resolve_config_path(None)))
