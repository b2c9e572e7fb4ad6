"""What follows a sync (`bokflyt.pipeline.settle`), on SQLite and PostgreSQL: the members it
hands the search refresh from its snapshot are those the refresh would have read itself, and
the index it leaves is the one a full rebuild writes."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.pipeline import affected_clusters, live_members, settle, snapshot
from catalog import search_index
from catalog.models import ItemRow, Site, Source, SourceRecord
from catalog.records import BibRecord, record_to_dict

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.gen_labelled import generate  # noqa: E402

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _add(session: Session, source: Source, site: Site, rec: BibRecord, n: int) -> SourceRecord:
    row = SourceRecord(
        source=source,
        record_id=rec.record_id,
        raw=b"<record/>",
        raw_format="marcxml",
        checksum=f"{rec.record_id}-{n}",
        title=rec.title,
        main_author=rec.main_author,
        year=rec.year,
        data=record_to_dict(rec),
        updated_at=T0,
    )
    status = ("on_shelf", "on_loan", "lost")[n % 3]
    row.items.append(ItemRow(barcode=f"b{n}", location_code="SAN", site=site, status=status))
    session.add(row)
    return row


def _index(session: Session) -> dict[str, tuple[Any, ...]]:
    """Every search document by cluster, with its display, availability and full-text row
    (document ids left out: a refresh and a rebuild number them differently)."""
    docs = session.execute(
        text(
            "SELECT d.id, d.cluster_id, d.title_key, d.isbn_keys, d.year, d.format, d.language,"
            " d.audience, d.held_sites, d.shelf_sites, d.copies, d.on_shelf, d.facet_key,"
            " p.display FROM search_docs d JOIN search_display p ON p.doc_id = d.id"
        )
    ).all()
    found: dict[str, tuple[Any, ...]] = {}
    sqlite = session.get_bind().dialect.name == "sqlite"
    for doc_id, cluster, *values in docs:
        sites = session.execute(
            text(
                "SELECT site_id, copies, on_shelf, on_loan, in_transit, next_due"
                " FROM search_availability WHERE doc_id = :d ORDER BY site_id"
            ),
            {"d": doc_id},
        ).all()
        fts = (
            session.execute(
                text("SELECT title, authors, subjects, other FROM search_fts WHERE rowid = :d"),
                {"d": doc_id},
            ).one()
            if sqlite
            else session.execute(
                text("SELECT fts::text FROM search_docs WHERE id = :d"), {"d": doc_id}
            ).one()
        )
        found[str(cluster)] = (*values, tuple(map(tuple, sites)), tuple(fts))
    return found


@pytest.fixture
def synced(session_factory: sessionmaker[Session]) -> tuple[dict[int, Any], Any]:
    """A catalogue settled once, then a sync: records added (some the same as old ones),
    one changed, one withdrawn; returns the snapshot before the sync and the settle report."""
    records = [d.record for d in generate(30, seed=5)]
    with session_factory.begin() as session:
        site = Site(code="SAN", name="Sandvika bibliotek", kind="branch", lat=59.9, lon=10.5)
        sources = {
            n: Source(name=n, kind="file", holdings="koha-952") for n in ("public", "school")
        }
        for n, rec in enumerate(records[:100]):
            _add(session, sources[rec.source], site, rec, n)
    with session_factory.begin() as session:
        settle(session, {})
        search_index.rebuild(session)
    with session_factory() as session:
        before = snapshot(session)
    with session_factory.begin() as session:
        site = session.scalars(select(Site)).one()
        sources = {s.name: s for s in session.scalars(select(Source))}
        for n, rec in enumerate(records[100:], start=100):
            _add(session, sources[rec.source], site, rec, n)
        rows = session.scalars(select(SourceRecord).order_by(SourceRecord.id)).all()
        rows[3].checksum = "changed"
        rows[3].data = record_to_dict(replace(records[3], year=1901))
        rows[5].withdrawn_at = T0
    with session_factory.begin() as session:
        report = settle(session, before)
    return before, report


def test_members_from_the_snapshot_are_those_the_refresh_reads(
    session_factory: sessionmaker[Session], synced: tuple[dict[int, Any], Any]
) -> None:
    """Clustered, unclustered and withdrawn records alike, in the same order."""
    del synced
    with session_factory() as session:
        # a record the merge has not placed yet is its own cluster, r<pk>
        session.execute(text("UPDATE source_records SET cluster_id = NULL WHERE id IN (2, 9)"))
        after = snapshot(session)
        clusters, _ = affected_clusters({}, after)
        wanted = sorted(clusters)
        assert any(c.startswith("r") for c in wanted)
        assert any(not live for _checksum, _cluster, live in after.values())
        queried = search_index._members(session, wanted)
        assert live_members(after, clusters) == {c: sorted(p) for c, p in queried.items()}
        if session.get_bind().dialect.name == "sqlite":  # PostgreSQL's order is arbitrary
            assert live_members(after, clusters) == queried


def test_settle_leaves_the_index_a_rebuild_writes(
    session_factory: sessionmaker[Session], synced: tuple[dict[int, Any], Any]
) -> None:
    """The documents a sync's settle refreshed equal those of a full rebuild afterwards."""
    _before, report = synced
    assert report.merge is not None and report.merge.mode == "incremental"
    assert report.indexed_clusters > 0
    with session_factory() as session:
        settled = _index(session)
    with session_factory.begin() as session:
        search_index.rebuild(session)
    with session_factory() as session:
        assert _index(session) == settled
