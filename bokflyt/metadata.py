"""Every table bokflyt owns, gathered in one MetaData for Alembic and the schema tests.

Importing the model modules registers their tables on the shared `Base`.
"""

from __future__ import annotations

import bokflyt.models_web as _web_models  # noqa: F401  (users, sessions, login throttling)
import catalog.models as _catalog_models
import catalog.models_merge as _merge_models  # noqa: F401  (merge overrides and state)
import catalog.models_search as _search_models  # noqa: F401  (search documents)
import transport.models as _transport_models  # noqa: F401  (transfers, plans, crates)
import transport.models_scan as _scan_models  # noqa: F401  (crate scans, deviations)

target_metadata = _catalog_models.Base.metadata
