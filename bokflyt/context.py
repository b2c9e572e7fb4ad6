"""What every CLI command needs, built once per invocation and only when asked for.

Nothing is built at import time: `bokflyt --help` must work with no configuration file and no
database, so settings and the engine are loaded lazily on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.db import make_engine, make_session_factory
from bokflyt.settings import Settings, load_settings


@dataclass
class AppContext:
    """Carried in `click.Context.obj`; commands call `settings()` and `sessions()`."""

    config_path: Path | None = None
    verbose: int = 0
    _settings: Settings | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings().database.url)
        return self._engine

    def sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine())

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
