"""Storing harvests (catalog.ingest) on SQLite and PostgreSQL: counts, no needless writes,
withdrawal, quarantine, all-or-nothing runs and the per-source lock."""

from __future__ import annotations

import gc
import json
import pickle
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from catalog.ingest import (
    Gone,
    Incoming,
    IngestError,
    Rejected,
    SyncRefused,
    begin_run,
    collector_spared,
    ingest,
    recent_runs,
)
from catalog.models import HarvestRun, ItemRow, QuarantinedRecord, Site, Source, SourceRecord
from catalog.records import BibRecord, Item, ItemStatus


@pytest.fixture
def sessions(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """A migrated database with two sites and one source."""
    with session_factory.begin() as session:
        session.add_all(
            [
                Site(code="SAN", name="Sandvika", kind="branch", lat=59.9, lon=10.5),
                Site(code="BEK", name="Bekkestua", kind="branch", lat=59.9, lon=10.6),
                Source(name="folk", kind="sru", holdings="koha-952"),
            ]
        )
    return session_factory


def rec(rid: str, version: int = 1, sites: tuple[str | None, ...] = ("SAN",)) -> Incoming:
    items = tuple(
        Item(
            barcode=f"{rid}-{i}",
            location_code=site or "OSLO",
            site=site,
            status=ItemStatus.ON_SHELF,
        )
        for i, site in enumerate(sites)
    )
    bib = BibRecord(source="folk", record_id=rid, title=f"Tittel {rid} v{version}", items=items)
    raw = f"<record>{rid} v{version} {sites}</record>".encode()
    return Incoming(bib=bib, raw=raw, raw_format="marcxml", checksum=f"{rid}:{version}:{sites}")


def run(
    sessions: sessionmaker[Session],
    values: Sequence[Incoming | Rejected | Gone],
    full: bool = True,
    batch: int = 3,
):
    run_id = begin_run(sessions, "folk", "full" if full else "incremental")
    return ingest(sessions, run_id, iter(values), full=full, batch_size=batch)


def _count(sessions: sessionmaker[Session], query) -> int:
    with sessions() as session:
        return session.scalar(query) or 0


def test_add_then_unchanged_then_update_and_withdraw(sessions: sessionmaker[Session]) -> None:
    """Counts follow what changed; changed records get new items; missing ones are withdrawn."""
    first = run(sessions, [rec("a"), rec("b"), rec("c", sites=("SAN", "BEK")), rec("d")])
    assert (first.read, first.added, first.updated, first.unchanged) == (4, 4, 0, 0)
    second = run(sessions, [rec("a"), rec("b"), rec("c", sites=("SAN", "BEK")), rec("d")])
    assert (second.added, second.updated, second.unchanged, second.withdrawn) == (0, 0, 4, 0)
    third = run(sessions, [rec("a"), rec("b", 2, sites=("BEK",)), rec("d")])
    assert (third.added, third.updated, third.unchanged, third.withdrawn) == (0, 1, 2, 1)
    with sessions() as session:
        b_items = session.execute(
            select(ItemRow.barcode, Site.code)
            .join(SourceRecord, SourceRecord.id == ItemRow.record_pk)
            .join(Site, Site.id == ItemRow.site_id)
            .where(SourceRecord.record_id == "b")
        ).all()
        assert [tuple(r) for r in b_items] == [("b-0", "BEK")]
        c = session.scalars(select(SourceRecord).where(SourceRecord.record_id == "c")).one()
        assert c.withdrawn_at is not None
        assert {i.status for i in c.items} == {"withdrawn"}
        assert (
            session.scalar(select(SourceRecord.title).where(SourceRecord.record_id == "b"))
            == "Tittel b v2"
        )


def test_full_run_withdraws_the_missing_across_pages(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records that left are found page after page (ids and record ids in different orders),
    and another source's records, live or not, are never touched."""
    monkeypatch.setattr("catalog.ingest.WITHDRAW_PAGE", 2)
    ids = [f"r{n:02d}" for n in (7, 3, 11, 1, 9, 5, 2, 10, 4, 8, 6)]
    run(sessions, [rec(rid) for rid in ids])
    with sessions.begin() as session:
        session.add(Source(name="skole", kind="sru", holdings="bibliofil-850"))
        session.flush()
        other = session.scalar(select(Source.id).where(Source.name == "skole"))
        session.add(
            SourceRecord(
                source_id=other,
                record_id="r02",
                raw=b"x",
                raw_format="marcxml",
                checksum="c",
                title="Annen kilde",
            )
        )
    kept = [rid for rid in ids if rid not in ("r03", "r04", "r05", "r11")]
    counts = run(sessions, [rec(rid) for rid in kept])
    assert (counts.unchanged, counts.withdrawn) == (7, 4)
    with sessions() as session:
        gone = session.scalars(
            select(SourceRecord.record_id).where(SourceRecord.withdrawn_at.is_not(None))
        ).all()
        assert sorted(gone) == ["r03", "r04", "r05", "r11"]
        assert _count(sessions, select(func.count()).select_from(SourceRecord)) == 12


def test_withdrawn_record_that_returns_is_live_again(sessions: sessionmaker[Session]) -> None:
    """A record that left the source and came back is no longer withdrawn."""
    run(sessions, [rec("a"), rec("b")])
    run(sessions, [rec("a")])
    again = run(sessions, [rec("a"), rec("b")])
    assert again.updated == 1
    live = SourceRecord.withdrawn_at.is_(None)
    assert _count(sessions, select(func.count()).select_from(SourceRecord).where(live)) == 2


def test_incremental_run_withdraws_nothing(sessions: sessionmaker[Session]) -> None:
    """An incremental harvest only brings changes, so absent records stay live."""
    run(sessions, [rec("a"), rec("b")])
    counts = run(sessions, [rec("b", 2)], full=False)
    assert (counts.updated, counts.withdrawn) == (1, 0)


def test_gone_withdraws_in_an_incremental_run(sessions: sessionmaker[Session]) -> None:
    """A deletion reported by the source (OAI-PMH) withdraws the record and its items in the
    run; an id the catalogue never had is ignored; the rest is untouched."""
    run(sessions, [rec("a", sites=("SAN", "BEK")), rec("b"), rec("c")])
    counts = run(sessions, [rec("c", 2), Gone("a"), Gone("never-seen")], full=False, batch=2)
    assert (counts.read, counts.updated, counts.withdrawn) == (3, 1, 1)
    with sessions() as session:
        live = session.scalars(
            select(SourceRecord.record_id).where(SourceRecord.withdrawn_at.is_(None))
        ).all()
        statuses = session.scalars(
            select(ItemRow.status).join(SourceRecord).where(SourceRecord.record_id == "a")
        ).all()
    assert sorted(live) == ["b", "c"]
    assert statuses == ["withdrawn", "withdrawn"]


def test_unchanged_records_cost_no_writes(sessions: sessionmaker[Session], engine: Engine) -> None:
    """A re-harvest of identical records writes nothing but its own run row."""
    values = [rec(f"r{i}") for i in range(10)]
    run(sessions, values)
    writes: list[str] = []

    def spy(conn, cursor, statement: str, *args: object) -> None:
        verb = statement.lstrip().split(" ", 1)[0].upper()
        if verb in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", spy)
    try:
        counts = run(sessions, values)
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert counts.unchanged == 10
    assert writes and all("harvest_runs" in w or "UPDATE sources" in w for w in writes), writes


def test_rejected_records_are_quarantined_and_replaced_next_time(
    sessions: sessionmaker[Session],
) -> None:
    """Rejected values become quarantine rows with bytes; the same bad record is not piled up."""
    bad = Rejected(ref="x1", reason="leader har 8 tegn, ikke 24", raw=b"<record>x1</record>")
    counts = run(sessions, [rec("a"), bad])
    assert counts.rejected == 1
    run(sessions, [rec("a"), bad])
    with sessions() as session:
        rows = session.scalars(select(QuarantinedRecord)).all()
        assert [(r.record_ref, r.reason, r.raw) for r in rows] == [
            ("x1", "leader har 8 tegn, ikke 24", b"<record>x1</record>")
        ]


def test_unknown_sites_are_counted_in_the_run(sessions: sessionmaker[Session]) -> None:
    """Copies at unconfigured locations are stored without site and reported per code."""
    run(sessions, [rec("a", sites=("SAN", None, None)), rec("b", sites=(None,))])
    with sessions() as session:
        (latest,) = recent_runs(session, limit=1)
    assert latest.unknown_sites == {"OSLO": 3}
    assert (
        _count(sessions, select(func.count()).select_from(ItemRow).where(ItemRow.site_id.is_(None)))
        == 3
    )


def test_failure_mid_harvest_leaves_the_catalogue_as_it_was(
    sessions: sessionmaker[Session],
) -> None:
    """A stream that fails after several batches changes nothing; the run records the error."""
    run(sessions, [rec("a"), rec("b")])
    seen_during: list[int] = []

    def failing() -> Iterator[Incoming]:
        yield rec("a", 2)
        for i in range(10):
            yield rec(f"n{i}")
        with sessions() as reader:  # another connection, mid-run: sees the old catalogue
            seen_during.append(reader.scalar(select(func.count()).select_from(SourceRecord)) or 0)
        raise ConnectionError("serveren forsvant")

    run_id = begin_run(sessions, "folk", "full")
    with pytest.raises(ConnectionError):
        ingest(
            sessions,
            run_id,
            failing(),
            full=True,
            batch_size=3,
            checkpoint=lambda: '{"next_start": 12}',
        )
    assert seen_during == [2]
    with sessions() as session:
        titles = sorted(session.scalars(select(SourceRecord.title)))
        failed = session.get(HarvestRun, run_id)
        assert titles == ["Tittel a v1", "Tittel b v1"]
        assert failed is not None and failed.status == "failed"
        assert "serveren forsvant" in (failed.error or "")
        assert failed.checkpoint == '{"next_start": 12}'
    again = run(sessions, [rec("a")])  # the lock was released by the failure
    assert again.withdrawn == 1


def test_collector_is_unfrozen_after_a_run_and_after_a_failure(
    sessions: sessionmaker[Session],
) -> None:
    """The run freezes the garbage collector's view of older objects only while it lasts."""
    seen_during: list[int] = []

    def watched(fail: bool) -> Iterator[Incoming]:
        seen_during.append(gc.get_freeze_count())
        yield rec("a")
        if fail:
            raise ConnectionError("borte")

    assert gc.get_freeze_count() == 0
    thresholds = gc.get_threshold()
    ingest(sessions, begin_run(sessions, "folk", "full"), watched(False), full=True)
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds
    with pytest.raises(ConnectionError):
        ingest(sessions, begin_run(sessions, "folk", "full"), watched(True), full=True)
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds
    assert len(seen_during) == 2 and min(seen_during) > 0


def test_collector_spared_nests_and_restores_the_thresholds() -> None:
    """An inner use neither unfreezes the outer one's objects nor leaves its threshold."""
    thresholds = gc.get_threshold()
    with collector_spared():
        with collector_spared(young_threshold=thresholds[0] + 1000):
            assert gc.get_threshold()[0] == thresholds[0] + 1000
        assert gc.get_freeze_count() > 0 and gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds


def test_incoming_and_rejected_pickle_unchanged() -> None:
    """What a parse worker puts on its queue arrives equal (and still validated)."""
    values = [rec("a", sites=("SAN", None)), Rejected(ref="x", reason="ødelagt", raw=b"\x1d")]
    assert pickle.loads(pickle.dumps(values)) == values


def test_second_sync_of_a_running_source_is_refused(sessions: sessionmaker[Session]) -> None:
    """While a run is active, starting another for the same source fails with a clear message."""
    first = begin_run(sessions, "folk", "full")
    with pytest.raises(SyncRefused, match=f"synkroniseres allerede \\(kjøring {first}"):
        begin_run(sessions, "folk", "full")


def test_stale_running_run_is_abandoned(sessions: sessionmaker[Session]) -> None:
    """A run left 'running' by a dead process long ago no longer blocks the source."""
    stale = begin_run(sessions, "folk", "full")
    with sessions.begin() as session:
        row = session.get(HarvestRun, stale)
        assert row is not None
        row.started_at = datetime.now(UTC) - timedelta(days=2)
    fresh = begin_run(sessions, "folk", "full")
    with sessions() as session:
        assert session.get(HarvestRun, stale).status == "abandoned"  # type: ignore[union-attr]
        assert session.get(HarvestRun, fresh).status == "running"  # type: ignore[union-attr]


def test_unknown_source_is_refused(sessions: sessionmaker[Session]) -> None:
    """A source missing from the database is refused with a hint to run init."""
    with pytest.raises(SyncRefused, match="bokflyt init"):
        begin_run(sessions, "finnesikke", "full")


def test_seen_keys_bitmap() -> None:
    """The seen-keys bitmap answers membership for sparse and large keys."""
    from catalog.ingest import SeenKeys

    seen = SeenKeys()
    seen.extend([1, 8, 9, 1_000_003])
    assert all(pk in seen for pk in (1, 8, 9, 1_000_003))
    assert not any(pk in seen for pk in (0, 2, 7, 10, 1_000_002, 5_000_000))


def test_parallel_file_import_equals_serial(
    session_factory: sessionmaker[Session], tmp_path
) -> None:
    """Parsing in a second process stores exactly what the single-process import stores."""
    import sys
    from pathlib import Path

    from bokflyt.bootstrap import mirror_configuration
    from bokflyt.settings import settings_from_mapping
    from bokflyt.sync import import_files

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from zebra_server import load_generator

    gen = load_generator()
    path = tmp_path / "f.xml"
    gen.write(path, gen.public_collection(5, 1200))
    sites = [
        {"code": c, "name": c, "kind": "branch", "lat": 59.9, "lon": 10.5} for c in ("SAN", "BEK")
    ]
    settings = settings_from_mapping(
        {
            "sites": sites,
            "sources": {
                "a": {"kind": "file", "holdings": "koha-952"},
                "b": {"kind": "file", "holdings": "koha-952"},
            },
        }
    )
    with session_factory.begin() as session:
        mirror_configuration(session, settings)
    serial = import_files(settings, session_factory, "a", [path], parallel=False)
    parallel = import_files(settings, session_factory, "b", [path], parallel=True)
    assert serial.ok and parallel.ok
    assert (
        (serial.counts.added, serial.counts.rejected, serial.counts.items)
        == (parallel.counts.added, parallel.counts.rejected, parallel.counts.items)
        == (1200, 3, serial.counts.items)
    )
    with session_factory() as session:
        rows = session.execute(
            select(Source.name, SourceRecord.record_id, SourceRecord.checksum).join(
                Source, Source.id == SourceRecord.source_id
            )
        ).all()
    by_source: dict[str, set[tuple[str, str]]] = {"a": set(), "b": set()}
    for name, rid, checksum in rows:
        by_source[name].add((rid, checksum))
    assert by_source["a"] == by_source["b"] and len(by_source["a"]) == 1200


def test_empty_full_harvest_withdraws_nothing(sessions: sessionmaker[Session]) -> None:
    """A full harvest that read no usable record fails instead of withdrawing the whole source."""
    run(sessions, [rec("a"), rec("b")])
    bad = Rejected(ref="x", reason="ødelagt", raw=b"x")
    with pytest.raises(IngestError, match="ingenting trekkes tilbake"):
        run(sessions, [bad])
    live = SourceRecord.withdrawn_at.is_(None)
    assert _count(sessions, select(func.count()).select_from(SourceRecord).where(live)) == 2


def test_stored_data_and_items_read_back_as_given(sessions: sessionmaker[Session]) -> None:
    """The `data` column and item rows hold the BibRecord, after an insert and an update
    (JSON text bound as such, due dates as dates, on every database)."""
    from datetime import date

    from catalog.records import record_to_dict

    def version(n: int) -> Incoming:
        due = Item(
            barcode="d-1",
            location_code="SAN",
            site="SAN",
            status=ItemStatus.ON_LOAN,
            due_date=date(2026, 12, n),
        )
        bib = BibRecord(
            source="folk", record_id="d", title=f"Dato v{n}", year=2000 + n, items=(due,)
        )
        return Incoming(bib=bib, raw=b"<record/>", raw_format="marcxml", checksum=f"d{n}")

    for n, expected in ((1, (1, 0)), (2, (0, 1))):
        value = version(n)
        counts = run(sessions, [value])
        assert (counts.added, counts.updated) == expected
        with sessions() as session:
            row = session.scalars(select(SourceRecord).where(SourceRecord.record_id == "d")).one()
            assert row.data == json.loads(json.dumps(record_to_dict(value.bib)))
            assert (row.title, row.year) == (f"Dato v{n}", 2000 + n)
            assert [(i.barcode, i.status, i.due_date) for i in row.items] == [
                ("d-1", "on_loan", date(2026, 12, n))
            ]
