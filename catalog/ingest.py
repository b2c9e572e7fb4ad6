"""Storing a harvest in the catalogue: one run, one transaction, change detection by checksum.

The flow for one source (`bokflyt.sync` composes it):

1. `begin_run` records a `running` HarvestRun in its own short transaction. It is the lock: a
   second sync of the same source finds it and is refused (`SyncRefused`). Taking it is
   serialised by first writing to the source's row, so two processes cannot both get it.
2. `ingest` applies every incoming record inside ONE transaction, batch by batch (a unit of
   work per batch that flushes but never commits): new records are inserted, records whose
   checksum changed are updated and their items replaced, unchanged records cost no write at
   all, rejected records become quarantine rows. After a full harvest, records of the source
   not seen in the run are withdrawn and their items marked withdrawn. The run's counts are
   written in the same transaction, so readers see the old catalogue until the new one is
   complete, and a failure (the server stops mid-harvest) leaves it exactly as it was.
3. On failure `ingest` rolls back, marks the run `failed` with the error and checkpoint in a
   separate transaction and re-raises.

Memory stays flat: only the current batch is held, plus one bit per primary key seen (to find
what left the source in a full harvest).
"""

from __future__ import annotations

import gc
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from catalog.models import HarvestRun, ItemRow, QuarantinedRecord, Site, Source, SourceRecord
from catalog.records import BibRecord, ItemStatus, record_json, record_to_dict

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=12)
SQLITE_CACHE_KB = 32 * 1024  # page cache during a sync; bounded, so memory stays flat
WITHDRAW_PAGE = 5000  # live records read per page when a full run looks for what left

# Core tables for the bulk paths (executemany is several times faster than ORM units here)
RECORDS = cast(Table, SourceRecord.__table__)
ITEMS = cast(Table, ItemRow.__table__)
QUARANTINE = cast(Table, QuarantinedRecord.__table__)

RECORD_COLUMNS = (
    "source_id",
    "record_id",
    "raw",
    "raw_format",
    "checksum",
    "title",
    "main_author",
    "year",
    "modified",
    "data",
)
ITEM_COLUMNS = (
    "record_pk",
    "barcode",
    "location_code",
    "home_location_code",
    "site_id",
    "call_number",
    "item_type",
    "status",
    "due_date",
)


def _insert_many(
    connection: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT `rows` (tuples in `columns` order, values already in storage form) in one call.

    On SQLite the statement goes straight to the driver's C `executemany`: SQLAlchemy's
    per-row parameter processing cost more than SQLite's own insert. Values must therefore
    be what the column types would have bound (JSON as text, dates as ISO strings), which
    `_record_row` and `_Batch._items` produce. Other databases keep SQLAlchemy's batched
    INSERT (one multi-row statement per page), which is already the fast path there.
    """
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    compiled, order = driver_statement(insert(table), connection.dialect, columns)
    if order is not None:
        rows = [tuple(row[i] for i in order) for row in rows]
    connection.exec_driver_sql(compiled.string, rows)


def driver_statement(
    statement: Any, dialect: Any, names: tuple[str, ...]
) -> tuple[Any, list[int] | None]:
    """`statement` compiled for the driver with its parameters `names`, and the order that
    puts a row given in `names` order into the statement's positional order (None when it is
    that order already): for executing rows through the driver's own `executemany`."""
    compiled = statement.compile(dialect=dialect, column_keys=list(names))
    order = [names.index(key) for key in compiled.positiontup or ()]
    return compiled, None if order == list(range(len(names))) else order


class IngestError(Exception):
    """Base for the catalogue side of a sync.

    IngestError
    ├── SyncRefused       another sync of the source is running (or the source is unknown)
    └── (any other error inside `ingest` is re-raised as it was, after the rollback)
    """


class SyncRefused(IngestError):
    """The sync must not start: the source is locked by a running sync or not configured."""


@dataclass(frozen=True, slots=True)
class Incoming:
    """One parsed record on its way in; `checksum` covers the raw bytes and the holdings setup."""

    bib: BibRecord
    raw: bytes
    raw_format: str
    checksum: str

    def __post_init__(self) -> None:
        if not self.checksum:
            raise ValueError("an incoming record needs a checksum")

    def __reduce__(self) -> tuple[type[Incoming], tuple[object, ...]]:
        """Pickle as a constructor call (cheap; see `BibRecord.__reduce__`)."""
        return (Incoming, (self.bib, self.raw, self.raw_format, self.checksum))


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not be read or understood; stored in quarantine with its bytes."""

    ref: str | None
    reason: str
    raw: bytes

    def __reduce__(self) -> tuple[type[Rejected], tuple[object, ...]]:
        return (Rejected, (self.ref, self.reason, self.raw))


@dataclass(frozen=True, slots=True)
class Gone:
    """A record the source reports deleted (an OAI-PMH deleted header): withdrawn with its
    items in this run, like a record a full harvest no longer finds."""

    record_id: str


@dataclass(slots=True)
class RunCounts:
    """What one run read and changed; `unknown_sites` counts items per unresolved location code."""

    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    rejected: int = 0
    items: int = 0
    unknown_sites: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        text = (
            f"lest {self.read}, nye {self.added}, endret {self.updated}, uendret {self.unchanged}, "
            f"trukket tilbake {self.withdrawn}, avvist {self.rejected}"
        )
        if self.unknown_sites:
            codes = ", ".join(f"{c} ({n})" for c, n in self.unknown_sites.most_common(10))
            text += f"; ukjente steder: {codes}"
        return text


@dataclass(frozen=True, slots=True)
class RunInfo:
    """A finished or running run, for `sync --status`."""

    id: int
    source: str
    mode: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    read: int
    added: int
    updated: int
    unchanged: int
    withdrawn: int
    rejected: int
    unknown_sites: dict[str, int]
    error: str | None
    checkpoint: str | None


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def source_id(session: Session, name: str) -> int:
    found = session.scalar(select(Source.id).where(Source.name == name))
    if found is None:
        raise SyncRefused(f"kilden {name!r} finnes ikke i databasen; kjør `bokflyt init` først")
    return found


def _running(session: Session, sid: int) -> HarvestRun | None:
    return session.scalars(
        select(HarvestRun).where(HarvestRun.source_id == sid, HarvestRun.status == "running")
    ).first()


def _refusal(name: str, run: HarvestRun) -> SyncRefused:
    started = _aware(run.started_at).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return SyncRefused(
        f"kilden {name!r} synkroniseres allerede (kjøring {run.id}, startet {started}); "
        "vent til den er ferdig"
    )


def begin_run(sessions: sessionmaker[Session], name: str, mode: str) -> int:
    """Record a running run for source `name` and return its id; refuse if one is running.

    A `running` run older than `STALE_AFTER` belongs to a process that died; it is marked
    `abandoned` (with a warning) rather than blocking the source for ever.
    """
    with sessions() as session:  # a plain read first: fast, clear refusal without waiting
        sid = source_id(session, name)
        running = _running(session, sid)
        if running is not None and _now() - _aware(running.started_at) < STALE_AFTER:
            raise _refusal(name, running)
    try:
        with sessions.begin() as session:
            # writing the source row serialises lock-taking on SQLite and PostgreSQL alike
            session.execute(update(Source).where(Source.id == sid).values(name=Source.name))
            running = _running(session, sid)
            if running is not None:
                if _now() - _aware(running.started_at) < STALE_AFTER:
                    raise _refusal(name, running)
                log.warning("run %d of %s was left running; marking it abandoned", running.id, name)
                running.status = "abandoned"
                running.finished_at = _now()
                running.error = "prosessen forsvant uten å avslutte kjøringen"
            run = HarvestRun(source_id=sid, mode=mode, status="running", started_at=_now())
            session.add(run)
            session.flush()
            run_id = run.id
    except OperationalError as exc:
        if "locked" in str(exc).lower():
            raise SyncRefused(
                f"databasen er låst av en annen synkronisering; kilden {name!r} ble ikke startet"
            ) from exc
        raise
    log.info("run %d started for %s (%s)", run_id, name, mode)
    return run_id


def mark_failed(
    sessions: sessionmaker[Session], run_id: int, error: str, checkpoint: str | None = None
) -> None:
    """Record that a run ended in failure (its data was rolled back)."""
    with sessions.begin() as session:
        run = session.get(HarvestRun, run_id)
        if run is None:
            return
        run.status = "failed"
        run.finished_at = _now()
        run.error = error[:4000]
        run.checkpoint = checkpoint


class _Batch:
    """The unit of work for one batch inside the run's transaction: it flushes, never commits."""

    def __init__(
        self,
        session: Session,
        sid: int,
        run_id: int,
        sites: dict[str, int],
        counts: RunCounts,
        seen: SeenKeys,
        now: datetime,
    ) -> None:
        self.session = session
        self.sid = sid
        self.run_id = run_id
        self.sites = sites
        self.counts = counts
        self.seen = seen
        self.now = now

    def apply(self, records: Sequence[Incoming], rejected: Sequence[Rejected]) -> None:
        if rejected:
            refs = [r.ref for r in rejected if r.ref]
            if refs:  # the newest reading of a bad record replaces older ones, not piles up
                self.session.execute(
                    delete(QuarantinedRecord).where(
                        QuarantinedRecord.source_id == self.sid,
                        QuarantinedRecord.record_ref.in_(refs),
                    )
                )
            self.session.connection().execute(
                insert(QUARANTINE),
                [
                    {
                        "run_id": self.run_id,
                        "source_id": self.sid,
                        "record_ref": (r.ref or "")[:200] or None,
                        "reason": r.reason,
                        "raw": r.raw,
                        "created_at": self.now,
                    }
                    for r in rejected
                ],
            )
            self.counts.rejected += len(rejected)
        if not records:
            return
        latest: dict[str, Incoming] = {}
        for record in records:
            latest[record.bib.record_id] = record
        existing = {
            row.record_id: row
            for row in self.session.execute(
                select(
                    SourceRecord.id,
                    SourceRecord.record_id,
                    SourceRecord.checksum,
                    SourceRecord.withdrawn_at,
                ).where(
                    SourceRecord.source_id == self.sid,
                    SourceRecord.record_id.in_(list(latest)),
                )
            )
        }
        new = [r for rid, r in latest.items() if rid not in existing]
        changed: list[tuple[int, Incoming]] = []
        revived: list[int] = []
        for rid, record in latest.items():
            row = existing.get(rid)
            if row is None:
                continue
            self.seen.add(row.id)
            if row.checksum != record.checksum:
                changed.append((row.id, record))
            elif row.withdrawn_at is not None:
                revived.append(row.id)
            else:
                self.counts.unchanged += 1
        if new:
            self._insert(new)
        if changed:
            self._update(changed)
        if revived:
            self.session.execute(
                update(SourceRecord)
                .where(SourceRecord.id.in_(revived))
                .values(withdrawn_at=None, updated_at=self.now, last_seen=self.now)
            )
            self.counts.updated += len(revived)

    def _columns(self, record: Incoming, new: bool = False) -> dict[str, Any]:
        bib = record.bib
        columns: dict[str, Any] = {
            "raw": record.raw,
            "raw_format": record.raw_format,
            "checksum": record.checksum,
            "title": bib.title,
            "main_author": bib.main_author,
            "year": bib.year,
            "modified": (bib.modified or "")[:20] or None,
            "data": record_to_dict(bib),
        }
        if not new:
            columns.update(last_seen=self.now, updated_at=self.now, withdrawn_at=None)
        return columns

    def _insert(self, records: list[Incoming]) -> None:
        # executemany without RETURNING (SQLite would fall back to one statement per row to
        # keep RETURNING in order), then one SELECT for the new keys; timestamps come from
        # the columns' server defaults
        table = RECORDS
        connection = self.session.connection()
        sqlite = connection.dialect.name == "sqlite"
        _insert_many(
            connection,
            table,
            RECORD_COLUMNS,
            [_record_row(self.sid, r, json_text=sqlite) for r in records],
        )
        found = connection.execute(
            select(table.c.record_id, table.c.id).where(
                table.c.source_id == self.sid,
                table.c.record_id.in_([r.bib.record_id for r in records]),
            )
        )
        pairs = cast(Iterable[tuple[str, int]], found)
        keys: dict[str, int] = {record_id: pk for record_id, pk in pairs}
        pks = [keys[r.bib.record_id] for r in records]
        self.seen.extend(pks)
        self._items(zip(pks, records, strict=True))
        self.counts.added += len(records)

    def _update(self, changed: list[tuple[int, Incoming]]) -> None:
        pks = [pk for pk, _ in changed]
        self.session.execute(delete(ItemRow).where(ItemRow.record_pk.in_(pks)))
        table = RECORDS
        self.session.connection().execute(
            update(table).where(table.c.id == bindparam("pk")),
            [{"pk": pk, **self._columns(r)} for pk, r in changed],
        )
        self._items(changed)
        self.counts.updated += len(changed)

    def _items(self, pairs: Iterable[tuple[int, Incoming]]) -> None:
        connection = self.session.connection()
        iso_dates = connection.dialect.name == "sqlite"  # what SQLAlchemy's Date binds there
        sites = self.sites
        unknown = self.counts.unknown_sites
        rows: list[tuple[Any, ...]] = []
        for pk, record in pairs:
            for item in record.bib.items:
                site_id = sites.get(item.site) if item.site else None
                if site_id is None:
                    unknown[item.location_code] += 1
                due = item.due_date
                rows.append(
                    (
                        pk,
                        item.barcode,
                        item.location_code,
                        item.home_location_code,
                        site_id,
                        item.call_number,
                        item.item_type,
                        item.status.value,
                        due.isoformat() if iso_dates and due is not None else due,
                    )
                )
        if rows:
            _insert_many(connection, ITEMS, ITEM_COLUMNS, rows)
            self.counts.items += len(rows)


def _record_row(sid: int, record: Incoming, *, json_text: bool) -> tuple[Any, ...]:
    """One new record's values in `RECORD_COLUMNS` order; `data` as JSON text for SQLite."""
    bib = record.bib
    data: Any = record_json(bib) if json_text else record_to_dict(bib)
    return (
        sid,
        bib.record_id,
        record.raw,
        record.raw_format,
        record.checksum,
        bib.title,
        bib.main_author,
        bib.year,
        (bib.modified or "")[:20] or None,
        data,
    )


class SeenKeys:
    """The primary keys seen in a run as a bitmap: one bit per key, so 200,000 records cost
    25 KB and memory stays flat however large the harvest (keys are dense integers)."""

    def __init__(self) -> None:
        self._bits = bytearray()

    def add(self, pk: int) -> None:
        index, bit = divmod(pk, 8)
        if index >= len(self._bits):
            self._bits.extend(bytes(index - len(self._bits) + 1 + len(self._bits) // 2))
        self._bits[index] |= 1 << bit

    def extend(self, pks: Iterable[int]) -> None:
        for pk in pks:
            self.add(pk)

    def __contains__(self, pk: int) -> bool:
        index, bit = divmod(pk, 8)
        return index < len(self._bits) and bool(self._bits[index] & (1 << bit))


def _withdraw(session: Session, pks: Sequence[int], now: datetime) -> int:
    """Withdraw these records and mark their items withdrawn; returns how many."""
    if pks:
        session.execute(
            update(SourceRecord).where(SourceRecord.id.in_(pks)).values(withdrawn_at=now)
        )
        session.execute(
            update(ItemRow)
            .where(ItemRow.record_pk.in_(pks))
            .values(status=ItemStatus.WITHDRAWN.value)
        )
    return len(pks)


def _withdraw_missing(session: Session, sid: int, seen: SeenKeys, now: datetime) -> int:
    """Withdraw live records of the source not seen in the run, walking keys page by page.

    Pages follow the (source, record id) unique index, so each page is one range of it: paged
    by primary key instead, SQLite chose that index for `source_id = ?` and sorted every live
    record of the source again for every page (a full import of 200,000 records spent 5.5 s
    CPU here, quadratic in the source's size; 0.4 s this way).
    """
    total = 0
    last = ""
    session.flush()
    connection = session.connection()  # Core rows: the ORM's cost more than the query
    while True:
        page = cast(
            list[tuple[int, str]],
            connection.execute(
                select(RECORDS.c.id, RECORDS.c.record_id)
                .where(
                    RECORDS.c.source_id == sid,
                    RECORDS.c.record_id > last,
                    RECORDS.c.withdrawn_at.is_(None),
                )
                .order_by(RECORDS.c.record_id)
                .limit(WITHDRAW_PAGE)
            ).all(),
        )
        if not page:
            return total
        last = page[-1][1]
        total += _withdraw(session, [pk for pk, _ in page if pk not in seen], now)


def _withdraw_gone(session: Session, sid: int, record_ids: Sequence[str], now: datetime) -> int:
    """Withdraw the live records of the source with these ids; ids it never had are ignored
    (a repository reports deletions of records bokflyt may never have seen)."""
    if not record_ids:
        return 0
    pks = list(
        session.scalars(
            select(SourceRecord.id).where(
                SourceRecord.source_id == sid,
                SourceRecord.record_id.in_(sorted(set(record_ids))),
                SourceRecord.withdrawn_at.is_(None),
            )
        )
    )
    return _withdraw(session, pks, now)


@contextmanager
def collector_spared(young_threshold: int | None = None) -> Iterator[None]:
    """Keep the cyclic garbage collector off the objects that existed before a bulk step.

    A run allocates a few hundred small containers per record (fields, subfields, rows), which
    triggers full collections every few batches; each one walked every object of the process
    (SQLAlchemy, lxml, the settings...) although none of them can become garbage during the
    run. Freezing them (`gc.freeze`) leaves the collector only the run's own young objects;
    memory is unaffected because what a run allocates is freed by reference counting.

    `young_threshold` also makes young collections rarer for the step's duration (that many
    allocations instead of 700): for a step whose batches stay alive long enough to be walked
    again and again but which makes next to no cyclic garbage, as the search index refresh
    (`catalog.search_index.refresh`: ~35 µs of collector per document before, under 1 after;
    380 collectable objects left after 20,000 documents). An import does make some, so it
    keeps the default: raised there, a 200,000-record import peaked 17 MB higher.
    Nested use is safe: only the outermost unfreezes; objects someone else froze stay frozen.
    """
    outermost = gc.get_freeze_count() == 0
    thresholds = gc.get_threshold()
    gc.freeze()
    if young_threshold is not None:
        gc.set_threshold(max(thresholds[0], young_threshold), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if outermost:
            gc.unfreeze()


def ingest(
    sessions: sessionmaker[Session],
    run_id: int,
    stream: Iterable[Incoming | Rejected | Gone],
    *,
    full: bool,
    batch_size: int = 500,
    progress: Callable[[RunCounts], None] | None = None,
    checkpoint: Callable[[], str | None] = lambda: None,
) -> RunCounts:
    """Apply `stream` to the catalogue for run `run_id` in one transaction; see module doc."""
    counts = RunCounts()
    now = _now()
    try:
        with collector_spared(), sessions.begin() as session:
            run = session.get(HarvestRun, run_id)
            if run is None or run.status != "running":
                raise IngestError(f"kjøring {run_id} er ikke aktiv")
            sid = run.source_id
            if session.get_bind().dialect.name == "sqlite":
                # a run is one big transaction: with SQLite's default 2 MB page cache the
                # index pages of a large catalogue are re-read from the WAL for every batch
                session.execute(text(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}"))
            sites = {code: pk for pk, code in session.execute(select(Site.id, Site.code))}
            seen = SeenKeys()
            batch = _Batch(session, sid, run_id, sites, counts, seen, now)
            records: list[Incoming] = []
            rejected: list[Rejected] = []
            gone: list[str] = []
            for value in stream:
                counts.read += 1
                if isinstance(value, Incoming):
                    records.append(value)
                elif isinstance(value, Gone):
                    gone.append(value.record_id)
                else:
                    rejected.append(value)
                if len(records) + len(rejected) + len(gone) >= batch_size:
                    batch.apply(records, rejected)
                    counts.withdrawn += _withdraw_gone(session, sid, gone, now)
                    records, rejected, gone = [], [], []
                    if progress is not None:
                        progress(counts)
            batch.apply(records, rejected)
            counts.withdrawn += _withdraw_gone(session, sid, gone, now)
            if full and counts.added + counts.updated + counts.unchanged == 0:
                live = session.scalar(
                    select(func.count())
                    .select_from(SourceRecord)
                    .where(SourceRecord.source_id == sid, SourceRecord.withdrawn_at.is_(None))
                )
                if live:
                    raise IngestError(
                        f"en full høsting ga ingen lesbare poster, men kilden har {live} i "
                        "katalogen; ingenting trekkes tilbake (feil spørring eller tom eksport?)"
                    )
            if full:
                counts.withdrawn += _withdraw_missing(session, sid, seen, now)
            run.status = "ok"
            run.finished_at = _now()
            run.records_read = counts.read
            run.added = counts.added
            run.updated = counts.updated
            run.unchanged = counts.unchanged
            run.withdrawn = counts.withdrawn
            run.rejected = counts.rejected
            run.unknown_sites = json.dumps(dict(counts.unknown_sites), ensure_ascii=False) or None
            run.checkpoint = None
            if progress is not None:
                progress(counts)
    except BaseException as exc:
        try:
            mark_failed(sessions, run_id, f"{type(exc).__name__}: {exc}", checkpoint())
        except Exception:  # the database itself may be what failed; keep the first error
            log.exception("could not record the failure of run %d", run_id)
        raise
    log.info("run %d done: %s", run_id, counts.summary())
    return counts


def last_successful_start(session: Session, name: str, modes: Sequence[str]) -> datetime | None:
    """When the newest successful run of `name` in one of `modes` started (for incremental)."""
    value = session.scalar(
        select(HarvestRun.started_at)
        .join(Source, Source.id == HarvestRun.source_id)
        .where(Source.name == name, HarvestRun.status == "ok", HarvestRun.mode.in_(list(modes)))
        .order_by(HarvestRun.started_at.desc())
        .limit(1)
    )
    return _aware(value) if value is not None else None


def recent_runs(session: Session, limit: int = 20, source: str | None = None) -> list[RunInfo]:
    """The newest runs first, for `bokflyt sync --status`."""
    query = (
        select(HarvestRun, Source.name)
        .join(Source, Source.id == HarvestRun.source_id)
        .order_by(HarvestRun.id.desc())
        .limit(limit)
    )
    if source is not None:
        query = query.where(Source.name == source)
    runs = []
    for run, name in session.execute(query):
        runs.append(
            RunInfo(
                id=run.id,
                source=name,
                mode=run.mode,
                status=run.status,
                started_at=_aware(run.started_at),
                finished_at=_aware(run.finished_at) if run.finished_at else None,
                read=run.records_read,
                added=run.added,
                updated=run.updated,
                unchanged=run.unchanged,
                withdrawn=run.withdrawn,
                rejected=run.rejected,
                unknown_sites=json.loads(run.unknown_sites) if run.unknown_sites else {},
                error=run.error,
                checkpoint=run.checkpoint,
            )
        )
    return runs


def quarantined(
    session: Session, limit: int = 50, source: str | None = None
) -> list[QuarantinedRecord]:
    """The newest quarantined records first (`bokflyt quarantine list`)."""
    query = select(QuarantinedRecord).order_by(QuarantinedRecord.id.desc()).limit(limit)
    if source is not None:
        query = query.join(Source, Source.id == QuarantinedRecord.source_id).where(
            Source.name == source
        )
    return list(session.scalars(query))
