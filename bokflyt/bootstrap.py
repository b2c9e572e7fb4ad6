"""Mirror the configured sites and sources into the database, so rows can refer to them.

The configuration file is the truth for sites and sources; `bokflyt init` (and every sync)
brings the tables in line with it. A site removed from the file is kept while items still point
at it, because deleting it would silently detach copies from where they are.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from bokflyt.settings import Settings
from catalog.models import Site, Source

log = logging.getLogger(__name__)


def holdings_label(settings: Settings, name: str) -> str:
    holdings = settings.sources[name].holdings
    return holdings if isinstance(holdings, str) else f"custom-{holdings.tag}"


def mirror_configuration(session: Session, settings: Settings) -> tuple[int, int]:
    """Insert or update a row per configured site and source; returns (sites, sources)."""
    existing_sites = {site.code: site for site in session.scalars(select(Site))}
    for spec in settings.sites:
        row = existing_sites.get(spec.code) or Site(code=spec.code)
        row.name = spec.name
        row.kind = spec.kind
        row.library_number = spec.library_number
        row.address = spec.address
        row.lat = spec.lat
        row.lon = spec.lon
        row.notes = spec.notes
        session.add(row)
    existing_sources = {source.name: source for source in session.scalars(select(Source))}
    for name, source_spec in settings.sources.items():
        source = existing_sources.get(name) or Source(name=name)
        source.kind = source_spec.kind
        source.holdings = holdings_label(settings, name)
        source.url = source_spec.url or source_spec.path
        session.add(source)
    log.info(
        "configuration mirrored: %d sites, %d sources", len(settings.sites), len(settings.sources)
    )
    return len(settings.sites), len(settings.sources)
