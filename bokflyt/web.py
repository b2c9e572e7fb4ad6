"""The web app factory: FastAPI, built per call from settings, never at import time.

Capabilities add their routers here as they land (search API, pages); `bokflyt serve` runs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from bokflyt import __version__
from bokflyt.db import make_engine, make_session_factory
from bokflyt.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    """A FastAPI app bound to the database in `settings`."""
    engine = make_engine(settings.database.url)
    sessions = make_session_factory(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(title="bokflyt", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.sessions = sessions

    @app.get("/healthz", tags=["drift"])
    def healthz() -> dict[str, str]:
        """Liveness and database reachability, for a load balancer or monitoring."""
        with sessions() as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    return app
