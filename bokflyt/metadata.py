"""Every table bokflyt owns, gathered in one MetaData for Alembic and the schema tests.

Importing the model modules registers their tables on the shared `Base`.
"""

from __future__ import annotations

import catalog.models as _catalog_models
import transport.models as _transport_models  # noqa: F401  (registers the transport tables)

target_metadata = _catalog_models.Base.metadata
