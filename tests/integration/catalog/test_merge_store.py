"""The merge against a real database (SQLite and PostgreSQL): full, incremental, overrides, CLI.

Records come from the labelled generator and are written as the ingest writes them (`data` =
`record_to_dict`); the pure clusterer on the same records is the oracle.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.commands.merge import clusters, merge
from bokflyt.context import AppContext
from catalog.cluster import Override, Overrides, cluster_full
from catalog.clustering_store import (
    add_join,
    add_split,
    explain,
    iter_export_rows,
    iter_merged,
    run_merge,
)
from catalog.match import match_key
from catalog.models import ItemRow, Site, Source, SourceRecord
from catalog.records import BibRecord, record_from_dict, record_to_dict

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from benchmarks.gen_labelled import generate  # noqa: E402

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _row(source: Source, rec: BibRecord, updated: datetime = T0) -> SourceRecord:
    return SourceRecord(
        source=source,
        record_id=rec.record_id,
        raw=b"<record/>",
        raw_format="marcxml",
        checksum=rec.record_id,
        title=rec.title,
        main_author=rec.main_author,
        year=rec.year,
        data=record_to_dict(rec),
        updated_at=updated,
    )


@pytest.fixture
def catalogue(session_factory: sessionmaker[Session]) -> list[BibRecord]:
    """About 200 generated records from two sources, one copy on a site each."""
    records = [d.record for d in generate(45, seed=77)]
    with session_factory.begin() as session:
        site = Site(code="SAN", name="Sandvika bibliotek", kind="branch", lat=59.9, lon=10.5)
        sources = {
            n: Source(name=n, kind="file", holdings="koha-952") for n in ("public", "school")
        }
        for i, rec in enumerate(records):
            row = _row(sources[rec.source], rec)
            row.items.append(
                ItemRow(barcode=f"b{i}", location_code="SAN", site=site, status="on_shelf")
            )
            session.add(row)
    return records


def _stored(session_factory: sessionmaker[Session]) -> dict[tuple[str, str], tuple[str, str]]:
    with session_factory() as session:
        return {
            (r["source"], r["id"]): (r["cluster"], r["work"]) for r in iter_export_rows(session)
        }  # type: ignore[misc]


def _oracle(records: list[BibRecord], overrides: Overrides | None = None) -> dict:  # type: ignore[type-arg]
    a = cluster_full([match_key(r) for r in records], overrides)
    return {k: (p.cluster, p.work) for k, p in a.items()}


def _current(session_factory: sessionmaker[Session]) -> list[BibRecord]:
    with session_factory() as session:
        rows = session.execute(
            select(SourceRecord.data).where(SourceRecord.withdrawn_at.is_(None))
        ).scalars()
        return [record_from_dict(d) for d in rows]


def test_full_merge_writes_the_pure_clustering(
    session_factory: sessionmaker[Session], catalogue: list[BibRecord]
) -> None:
    """`merge --full` stores exactly what the pure clusterer computes on the same records."""
    with session_factory.begin() as session:
        report = run_merge(session, full=True)
    assert report.mode == "full" and report.records == len(catalogue)
    assert _stored(session_factory) == _oracle(catalogue)


def _count_updates(engine: Engine) -> dict[str, int]:
    """UPDATE statements on source_records as they run: rows sent in batches, single ones."""
    written = {"rows": 0, "statements": 0}

    def count(*args: Any) -> None:
        statement, parameters, executemany = args[2], args[3], args[5]
        if statement.lstrip().upper().startswith("UPDATE SOURCE_RECORDS"):
            if executemany:
                written["rows"] += len(parameters)
            else:
                written["statements"] += 1

    event.listen(engine, "before_cursor_execute", count)
    return written


def test_full_merge_again_rewrites_only_rows_whose_ids_changed(
    engine: Engine, session_factory: sessionmaker[Session], catalogue: list[BibRecord]
) -> None:
    """A second `merge --full` writes only the rows whose stored ids are not the new ones (two
    tampered with, and the cluster mates of a withdrawn record), and clears the withdrawn one."""
    with session_factory.begin() as session:
        run_merge(session, full=True)
    before = _stored(session_factory)
    with session_factory.begin() as session:
        rows = session.scalars(select(SourceRecord).order_by(SourceRecord.id)).all()
        rows[0].cluster_id = "m-0123456789abcdef"
        rows[1].work_id = "not an id"
        rows[2].withdrawn_at = T0 + timedelta(days=1)
        keys = [(r.source.name, r.record_id) for r in rows[:3]]
        withdrawn = rows[2].id
    before[keys[0]] = ("m-0123456789abcdef", before[keys[0]][1])
    before[keys[1]] = (before[keys[1]][0], "not an id")
    written = _count_updates(engine)
    with session_factory.begin() as session:
        run_merge(session, full=True)
    after = _stored(session_factory)
    assert after == _oracle(_current(session_factory))
    assert written == {
        "rows": sum(before[k] != v for k, v in after.items()),
        "statements": 1,  # clearing withdrawn records
    }
    assert written["rows"] >= 2
    with session_factory() as session:
        row = session.get(SourceRecord, withdrawn)
        assert row is not None and row.cluster_id is None and row.work_id is None


def test_incremental_after_a_sync_equals_full(
    session_factory: sessionmaker[Session], catalogue: list[BibRecord]
) -> None:
    """A sync that changes, withdraws and adds records: the incremental merge equals full."""
    with session_factory.begin() as session:
        run_merge(session, full=True)
    with session_factory.begin() as session:
        rows = session.scalars(select(SourceRecord).order_by(SourceRecord.id)).all()
        changed = rows[3]
        rec = record_from_dict(changed.data)  # type: ignore[arg-type]
        changed.data = record_to_dict(replace(rec, year=1901))
        changed.updated_at = T0 + timedelta(days=1)
        rows[5].withdrawn_at = T0 + timedelta(days=1)
        public = session.scalar(select(Source).where(Source.name == "public"))
        assert public is not None
        extra = replace(record_from_dict(rows[7].data), source="public", record_id="new-1")  # type: ignore[arg-type]
        session.add(_row(public, extra, T0 + timedelta(days=1)))
    with session_factory.begin() as session:
        report = run_merge(session)
    assert report.mode == "incremental" and report.reclustered < report.records
    assert _stored(session_factory) == _oracle(_current(session_factory))


def test_split_and_join_survive_a_resync(
    session_factory: sessionmaker[Session], catalogue: list[BibRecord]
) -> None:
    """Overrides apply at once and still hold after the records are harvested again."""
    with session_factory.begin() as session:
        run_merge(session, full=True)
    stored = _stored(session_factory)
    by_cluster: dict[str, list[tuple[str, str]]] = {}
    for k, (c, _) in stored.items():
        by_cluster.setdefault(c, []).append(k)
    target = next(sorted(m)[0] for m in by_cluster.values() if len(m) > 1)
    others = sorted(k for k in stored if stored[k][0] != stored[target][0])
    x = others[0]
    y = next(k for k in reversed(others) if stored[k][0] != stored[x][0])
    with session_factory.begin() as session:
        add_split(session, target, by="test")
        add_join(session, x, y)
        run_merge(session)
    ov = Overrides.from_events([Override("split", target), Override("join", x, y)])
    assert _stored(session_factory) == _oracle(catalogue, ov)
    with session_factory.begin() as session:  # a resync touches every record
        for row in session.scalars(select(SourceRecord)):
            row.updated_at = T0 + timedelta(days=2)
    with session_factory.begin() as session:
        run_merge(session)
    after = _stored(session_factory)
    assert after == _oracle(catalogue, ov)
    assert [k for k, v in after.items() if v[0] == after[target][0]] == [target]
    assert after[x][0] == after[y][0]
    with session_factory() as session:
        assert "librarian override" in "\n".join(explain(session, x, y).lines())


def test_merged_records_carry_every_copy(
    session_factory: sessionmaker[Session], catalogue: list[BibRecord]
) -> None:
    """The merged view has one record per cluster and every item of every member."""
    with session_factory.begin() as session:
        run_merge(session, full=True)
    with session_factory() as session:
        merged = list(iter_merged(session, ["public", "school"]))
    assert len(merged) == len({c for c, _ in _stored(session_factory).values()})
    assert sum(len(m.items) for m in merged) == len(catalogue)


def test_cli_merge_explain_and_export(
    engine: Engine, session_factory: sessionmaker[Session], catalogue: list[BibRecord]
) -> None:
    """The CLI merges, explains a pair and exports the exact jsonl form and MARCXML."""
    app = AppContext()
    app._engine = engine
    runner = CliRunner()
    result = runner.invoke(merge, ["--full"], obj=app)
    assert result.exit_code == 0, result.output
    assert "full merge" in result.output
    out = runner.invoke(clusters, ["export", "--format", "jsonl"], obj=app)
    lines = [json.loads(line) for line in out.output.splitlines()]
    assert len(lines) == len(catalogue)
    assert all(list(line) == ["source", "id", "cluster", "work"] for line in lines)
    a, b = lines[0], lines[1]
    ex = runner.invoke(
        merge, ["explain", f"{a['source']}:{a['id']}", f"{b['source']}:{b['id']}"], obj=app
    )
    assert ex.exit_code == 0 and "by rule" in ex.output
    bad = runner.invoke(merge, ["split", "public:does-not-exist"], obj=app)
    assert bad.exit_code == 1
    xml = runner.invoke(clusters, ["export", "--format", "marcxml", "--prefer", "public"], obj=app)
    assert xml.exit_code == 0 and xml.output.count("<record>") == len({x["cluster"] for x in lines})
    assert xml.output.count('tag="952"') == len(catalogue)


def test_every_merge_command_has_help() -> None:
    """Each command and group documents itself."""
    runner = CliRunner()
    for group in (merge, clusters):
        assert runner.invoke(group, ["--help"]).exit_code == 0
        for name in group.commands:  # type: ignore[attr-defined]
            result = runner.invoke(group, [name, "--help"])
            assert result.exit_code == 0 and len(result.output) > 40
