"""Counts of what the catalogue holds, for `bokflyt stats` and the sync dashboard.

Withdrawn records and their items are not counted: the figures say what a librarian can find
today, and they must agree with what the sources report for their live records.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from catalog.models import ItemRow, Site, Source, SourceRecord


def catalogue_stats(session: Session) -> dict[str, Any]:
    """Records per source, items per site and totals, under the keys other tools read."""
    live = SourceRecord.withdrawn_at.is_(None)
    per_source = dict(
        session.execute(
            select(Source.name, func.count(SourceRecord.id))
            .outerjoin(SourceRecord, (SourceRecord.source_id == Source.id) & live)
            .group_by(Source.name)
        ).all()
    )
    per_site = dict(
        session.execute(
            select(Site.code, func.count(ItemRow.id))
            .outerjoin(ItemRow, ItemRow.site_id == Site.id)
            .outerjoin(SourceRecord, SourceRecord.id == ItemRow.record_pk)
            .where(SourceRecord.id.is_(None) | live)
            .group_by(Site.code)
        ).all()
    )
    for (code,) in session.execute(select(Site.code)):
        per_site.setdefault(code, 0)
    unresolved = session.scalar(
        select(func.count(ItemRow.id))
        .join(SourceRecord, SourceRecord.id == ItemRow.record_pk)
        .where(live, ItemRow.site_id.is_(None))
    )
    items = session.scalar(
        select(func.count(ItemRow.id))
        .join(SourceRecord, SourceRecord.id == ItemRow.record_pk)
        .where(live)
    )
    return {
        "sources": {name: {"records": count} for name, count in sorted(per_source.items())},
        "sites": {code: {"items": count} for code, count in sorted(per_site.items())},
        "records": sum(per_source.values()),
        "items": items or 0,
        "items_without_site": unresolved or 0,
        "clusters": session.scalar(
            select(func.count(distinct(SourceRecord.cluster_id))).where(live)
        )
        or 0,
        "works": session.scalar(select(func.count(distinct(SourceRecord.work_id))).where(live))
        or 0,
    }
