"""The merge against the database: load records, cluster them, write the assignment back.

The pure work is `catalog.cluster`; this module only reads and writes, and never commits: the
caller's unit of work (one `sessions.begin()` per merge) commits, so a reader never sees half a
merge. What it reads and writes:

    source_records   live rows (withdrawn_at IS NULL) → BibRecords via `record_from_dict`;
                     cluster_id / work_id written back for every record the merge touched
    merge_state      the placement and record version the last merge saw (incremental input)
    merge_overrides  librarians' splits and joins, replayed in id order on every merge

Errors::

    MergeError            anything this module refuses, with the record(s) concerned
     └── UnknownRecord    a (source, 001) that is not a live record
"""

from __future__ import annotations

import json
import logging
import time
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar, cast

from sqlalchemy import Table, Text, bindparam, delete, insert, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from catalog.cluster import (
    Assignment,
    Explanation,
    Override,
    Overrides,
    Placement,
    cluster_full,
    cluster_incremental,
    collector_paused,
    explain_pair,
)
from catalog.ingest import driver_statement
from catalog.match import Key, MatchKey, match_key, match_keys
from catalog.merged import MergedRecord, merge_cluster
from catalog.models import ItemRow, Site, Source, SourceRecord
from catalog.models_merge import MergeOverride, MergeState
from catalog.normalize import clear_caches
from catalog.records import BibRecord, Item, ItemStatus, record_from_dict

log = logging.getLogger(__name__)

_T = TypeVar("_T")


class MergeError(Exception):
    """A merge operation refused, with the records it concerns."""

    def __init__(self, message: str, keys: Sequence[Key] = ()) -> None:
        super().__init__(message)
        self.keys = tuple(keys)


class UnknownRecord(MergeError):
    """The record named is not a live record of the catalogue."""


@dataclass(frozen=True, slots=True)
class MergeReport:
    """What one merge did, for the command line and the log."""

    mode: str
    records: int
    changed: int
    reclustered: int
    clusters: int
    works: int
    seconds: float


def format_key(key: Key) -> str:
    """A record reference as the command line writes it: "source:001"."""
    return f"{key[0]}:{key[1]}"


def parse_key(text: str) -> Key:
    """Parse "source:001" (the 001 may itself contain colons)."""
    source, sep, record_id = text.partition(":")
    if not sep or not source or not record_id:
        raise MergeError(f"record reference {text!r} is not of the form SOURCE:ID")
    return (source, record_id)


# --- reading --------------------------------------------------------------------------------


def _bib(source: str, row: Any) -> BibRecord:
    """The BibRecord of one row: from `data`, or from the indexed columns when it is missing."""
    return _record_of(source, row.record_id, row.title, row.main_author, row.year, row.data)


def _record_of(
    source: str,
    record_id: str,
    title: str,
    main_author: str | None,
    year: int | None,
    data: dict[str, Any] | None,
) -> BibRecord:
    if data:
        rec = record_from_dict(data)
        if rec.key != (source, record_id):
            rec = BibRecord(**{**_fields(rec), "source": source, "record_id": record_id})
        return rec
    return BibRecord(
        source=source, record_id=record_id, title=title, main_author=main_author, year=year
    )


# What `load_keys` hands the keying: source name, 001, title, main author, year, and `data`
# still as JSON text.
_RawRow = tuple[str, str, str, str | None, int | None, str | None]


def _decode_raw(raw: _RawRow) -> BibRecord:
    """The BibRecord of a `_RawRow`, decoded in whichever process keys it (`load_keys`).

    Without its copies: `match_key` never reads them, and building an `Item` per stored copy
    cost 30 % of the decoding (19 → 13 µs a record at 2.5 copies a record)."""
    source, record_id, title, main_author, year, text = raw
    data = json.loads(text) if text is not None else None
    if data and "items" in data:
        data["items"] = []
    return _record_of(source, record_id, title, main_author, year, data)


def _fields(rec: BibRecord) -> dict[str, Any]:
    return {name: getattr(rec, name) for name in BibRecord.__dataclass_fields__}


def _record_columns() -> tuple[Any, ...]:
    """The columns `_bib` reads, with the source name joined in (`.join(Source, ...)`)."""
    return (
        Source.name,
        SourceRecord.id,
        SourceRecord.record_id,
        SourceRecord.title,
        SourceRecord.main_author,
        SourceRecord.year,
        SourceRecord.data,
    )


def _live_rows(session: Session) -> Any:
    """Every live record's columns for `_bib`, streamed. Run on the session's connection, as a
    Core statement: these are plain columns, and the ORM's result machinery would cost as much
    per row as decoding the record itself."""
    return session.connection().execute(
        select(
            *_record_columns()[:-1],
            # `data` as text: the keying processes parse it (`_decode_raw`), not this one.
            sql_cast(SourceRecord.data, Text).label("data"),
            SourceRecord.updated_at,
            SourceRecord.cluster_id,
            SourceRecord.work_id,
        )
        .join(Source, Source.id == SourceRecord.source_id)
        .where(SourceRecord.withdrawn_at.is_(None))
        .execution_options(yield_per=5000)
    )


@dataclass
class _Loaded:
    """The live records as a merge needs them, position by position: the match key, the row
    id, the record version, and the cluster and work ids the row holds now (`_id_number`).

    Lists and machine-word arrays, not dicts keyed by record: a full merge of a million records
    holds all of this while it clusters, and a dict entry with its key tuple costs ten times an
    array slot. `positions` builds the dict when a merge needs to look records up.
    """

    keys: list[MatchKey] = field(default_factory=list)
    pks: array[int] = field(default_factory=lambda: array("q"))
    versions: list[datetime | None] = field(default_factory=list)
    clusters: array[int] = field(default_factory=lambda: array("Q"))
    works: array[int] = field(default_factory=lambda: array("Q"))

    def positions(self) -> dict[Key, int]:
        """Record key → position."""
        return {k.key: i for i, k in enumerate(self.keys)}

    def holds(self, i: int, placement: Placement) -> bool:
        """Whether row `i` already holds the cluster and work ids of `placement`."""
        c, w = self.clusters[i], self.works[i]
        return (
            c != 0
            and w != 0
            and c == _id_number(placement.cluster, "m-")
            and w == _id_number(placement.work, "w-")
        )


def _id_number(text: str | None, prefix: str) -> int:
    """A merge id ("m-" + 16 hex digits, see `catalog.cluster.stable_id`) as the number its
    digits spell, so a row's ids can be remembered in a machine word; 0 when `text` is missing
    or not exactly in that form (0 means "unknown": such a row is always written)."""
    if text is None or len(text) != len(prefix) + 16 or not text.startswith(prefix):
        return 0
    try:
        n = int(text[len(prefix) :], 16)
    except ValueError:
        return 0
    return n if text == f"{prefix}{n:016x}" else 0


def load_keys(session: Session, workers: int = 1) -> _Loaded:
    """Match keys of every live record, with row ids, versions and stored ids (records are not
    kept). Equal versions are held once: a harvest stamps a whole batch alike. With `workers`
    > 1 records are keyed in that many processes (`catalog.match.match_keys`)."""
    loaded = _Loaded()
    versions: dict[datetime | None, datetime | None] = {}

    def records() -> Iterator[_RawRow]:
        # Row data is kept as the records stream out; keys come back in the same order.
        # (plain tuple unpacking and bound methods: cheaper per row than a Row's attributes)
        pks, stamps, clusters, works = (
            loaded.pks.append,
            loaded.versions.append,
            loaded.clusters.append,
            loaded.works.append,
        )
        for name, pk, record_id, title, author, year, data, updated, cluster, work in _live_rows(
            session
        ):
            pks(pk)
            stamps(versions.setdefault(updated, updated))
            clusters(_id_number(cluster, "m-"))
            works(_id_number(work, "w-"))
            yield (name, record_id, title, author, year, data)

    with collector_paused():
        loaded.keys.extend(match_keys(records(), workers=workers, decode=_decode_raw))
    return loaded


def load_overrides(session: Session) -> tuple[Overrides, set[Key]]:
    """Replay every override in order; also return the records named by unapplied ones."""
    events: list[Override] = []
    pending: set[Key] = set()
    for row in session.scalars(select(MergeOverride).order_by(MergeOverride.id)):
        a = (row.source, row.record_id)
        b = (row.other_source, row.other_record_id) if row.other_source else None
        events.append(Override(row.op, a, b))  # type: ignore[arg-type]
        if row.applied_at is None:
            pending.add(a)
            if b is not None:
                pending.add(b)  # type: ignore[arg-type]
    return Overrides.from_events(events), pending


def load_state(session: Session) -> tuple[dict[Key, Placement], dict[Key, datetime | None]]:
    """The placements and record versions the last merge wrote (read as plain rows, not ORM
    objects: an incremental merge reads one per record of the catalogue)."""
    placements: dict[Key, Placement] = {}
    seen: dict[Key, datetime | None] = {}
    rows = session.execute(
        select(
            MergeState.source,
            MergeState.record_id,
            MergeState.cluster_id,
            MergeState.work_id,
            MergeState.component_id,
            MergeState.record_updated_at,
        ).execution_options(yield_per=5000)
    )
    for source, record_id, cluster, work, component, updated in rows:
        key = (source, record_id)
        placements[key] = Placement(cluster, work, component)
        seen[key] = updated
    return placements, seen


def _has_state(session: Session) -> bool:
    return session.scalar(select(MergeState.source).limit(1)) is not None


# --- the merge ------------------------------------------------------------------------------


def _same_version(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    # SQLite hands back naive datetimes; compare the wall-clock value either way.
    return a.replace(tzinfo=None) == b.replace(tzinfo=None)


def run_merge(
    session: Session, *, full: bool = False, workers: int = 1, key_workers: int = 1
) -> MergeReport:
    """Cluster the catalogue (incrementally unless `full` or there is no previous state) and
    write the assignment back. Does not commit.

    `key_workers` > 1 keys the records in that many processes (`catalog.match.match_keys`;
    memory stays one process's; rows are decoded there too). `workers` > 1 lets a full
    re-cluster compare candidate pairs in this process and a forked one
    (`catalog.cluster.cluster_full`; the child copies the pages of the keys it reads, about
    half again the memory). Neither changes the result.
    """
    started = time.perf_counter()
    loaded = load_keys(session, key_workers)
    clear_caches()
    overrides, pending = load_overrides(session)
    if full or not _has_state(session):
        mode = "full"
        assignment = cluster_full(loaded.keys, overrides, workers=workers)
        _write_full(session, assignment, loaded)
        changed = reclustered = len(assignment)
    else:
        mode = "incremental"
        assignment, touched, changed = _incremental(session, loaded, overrides, pending)
        reclustered = len(touched)
    session.execute(
        update(MergeOverride)
        .where(MergeOverride.applied_at.is_(None))
        .values(applied_at=datetime.now().astimezone())
    )
    report = MergeReport(
        mode=mode,
        records=len(loaded.keys),
        changed=changed,
        reclustered=reclustered,
        clusters=len({p.cluster for p in assignment.values()}),
        works=len({p.work for p in assignment.values()}),
        seconds=time.perf_counter() - started,
    )
    log.info("merge %s: %s", mode, report)
    return report


def _incremental(
    session: Session, loaded: _Loaded, overrides: Overrides, pending: set[Key]
) -> tuple[Assignment, set[Key], int]:
    """Re-cluster what changed since the last merge and write it; returns (assignment,
    re-clustered records, changed count)."""
    index = loaded.positions()
    previous, seen = load_state(session)
    changed = {
        k
        for k, i in index.items()
        if k not in previous or not _same_version(loaded.versions[i], seen.get(k))
    }
    gone = [k for k in previous if k not in index]
    changed.update(gone)
    changed |= pending
    assignment, touched = cluster_incremental(loaded.keys, previous, changed, overrides)
    _update_rows(session, loaded, assignment, sorted(index[k] for k in touched if k in index))
    _clear_gone(session, gone)
    for source, ids in _by_source(set(gone) | touched):
        session.execute(
            delete(MergeState).where(MergeState.source == source, MergeState.record_id.in_(ids))
        )
    _insert_state(session, loaded, assignment, (index[k] for k in sorted(touched) if k in index))
    return assignment, touched, len(changed)


# Rows per statement when writing a merge back: a full merge writes every record, and one
# parameter list of a million rows would cost more memory than the clustering itself.
WRITE_CHUNK = 5_000


def _chunks(items: Iterable[_T], size: int = WRITE_CHUNK) -> Iterator[list[_T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _write_full(session: Session, assignment: Assignment, loaded: _Loaded) -> None:
    """Write a full merge: ids onto every row whose ids changed, the whole merge state anew."""
    _update_rows(session, loaded, assignment, range(len(loaded.keys)))
    # Withdrawn records leave their clusters; they keep no stale ids.
    session.execute(
        update(SourceRecord)
        .where(
            SourceRecord.withdrawn_at.is_not(None),
            or_(SourceRecord.cluster_id.is_not(None), SourceRecord.work_id.is_not(None)),
        )
        .values(cluster_id=None, work_id=None)
    )
    session.execute(delete(MergeState))
    _insert_state(session, loaded, assignment, range(len(loaded.keys)))


def _update_rows(
    session: Session, loaded: _Loaded, assignment: Assignment, positions: Iterable[int]
) -> None:
    """Set cluster and work ids on the rows at `positions`, skipping rows that hold them
    already (on SQLite an UPDATE rewrites the whole row, MARC and all, and both ids are
    indexed: a re-cluster that changes little should write little)."""
    table = cast(Table, SourceRecord.__table__)
    statement = (
        table.update()
        .where(table.c.id == bindparam("b_id"))
        .values(cluster_id=bindparam("b_cluster"), work_id=bindparam("b_work"))
    )
    rows = (
        (loaded.pks[i], p.cluster, p.work)
        for i in positions
        if (p := assignment.get(loaded.keys[i].key)) is not None and not loaded.holds(i, p)
    )
    _execute_many(session, statement, ("b_id", "b_cluster", "b_work"), rows)


def _insert_state(
    session: Session, loaded: _Loaded, assignment: Assignment, positions: Iterable[int]
) -> None:
    """Insert the merge state of the records at `positions` (their old rows deleted first)."""
    table = cast(Table, MergeState.__table__)
    rows = (
        (k[0], k[1], p.cluster, p.work, p.component, loaded.versions[i])
        for i in positions
        if (p := assignment.get(k := loaded.keys[i].key)) is not None
    )
    _execute_many(session, insert(table), _STATE_COLUMNS, rows)


_STATE_COLUMNS = (
    "source",
    "record_id",
    "cluster_id",
    "work_id",
    "component_id",
    "record_updated_at",
)


def _execute_many(
    session: Session, statement: Any, names: tuple[str, ...], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Run `statement` once per row of `rows` (values in `names` order), `WRITE_CHUNK` rows
    per executemany.

    On SQLite the statement goes to the driver's C `executemany` with the values bound as
    the column types bind them (each parameter's own bind processor): SQLAlchemy's per-row
    parameter handling was a third of a full merge's write-back (28 → 19 µs CPU a record at
    20,000 records, where every row is written). Other databases keep SQLAlchemy's batched
    execution, already their fast path there.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        for chunk in _chunks(rows):
            session.execute(statement, [dict(zip(names, row, strict=True)) for row in chunk])
        return
    dialect = connection.dialect
    compiled, order = driver_statement(statement, dialect, names)
    processors = [
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    convert = [(i, f) for i, f in enumerate(processors) if f is not None]
    for chunk in _chunks(rows):
        if convert:
            converted = []
            for row in chunk:
                values = list(row)
                for i, process in convert:
                    values[i] = process(values[i])
                converted.append(tuple(values))
            chunk = converted
        if order is not None:
            chunk = [tuple(row[i] for i in order) for row in chunk]
        connection.exec_driver_sql(compiled.string, chunk)


def _clear_gone(session: Session, gone: Iterable[Key]) -> None:
    """Withdrawn records leave their clusters; they keep no stale ids."""
    for source, ids in _by_source(gone):
        session.execute(
            update(SourceRecord)
            .where(
                SourceRecord.record_id.in_(ids),
                SourceRecord.source_id
                == select(Source.id).where(Source.name == source).scalar_subquery(),
            )
            .values(cluster_id=None, work_id=None)
        )


def _by_source(keys: Iterable[Key], chunk: int = 500) -> Iterator[tuple[str, list[str]]]:
    """Keys grouped by source in chunks, for IN (...) statements of bounded size."""
    grouped: dict[str, list[str]] = {}
    for source, record_id in sorted(keys):
        grouped.setdefault(source, []).append(record_id)
    for source, ids in grouped.items():
        for start in range(0, len(ids), chunk):
            yield source, ids[start : start + chunk]


# --- overrides ------------------------------------------------------------------------------


def _require_live(session: Session, keys: Sequence[Key]) -> None:
    for key in keys:
        found = session.scalar(
            select(SourceRecord.id)
            .join(Source, Source.id == SourceRecord.source_id)
            .where(
                Source.name == key[0],
                SourceRecord.record_id == key[1],
                SourceRecord.withdrawn_at.is_(None),
            )
        )
        if found is None:
            raise UnknownRecord(f"no live record {format_key(key)}", [key])


def add_split(
    session: Session, record: Key, by: str | None = None, note: str | None = None
) -> None:
    """Store "keep this record alone"; applied by the next merge (and every one after)."""
    _require_live(session, [record])
    session.add(
        MergeOverride(op="split", source=record[0], record_id=record[1], created_by=by, note=note)
    )


def add_join(
    session: Session, a: Key, b: Key, by: str | None = None, note: str | None = None
) -> None:
    """Store "these two are one manifestation"; applied by the next merge and every one after."""
    if a == b:
        raise MergeError("cannot join a record with itself", [a])
    _require_live(session, [a, b])
    session.add(
        MergeOverride(
            op="join",
            source=a[0],
            record_id=a[1],
            other_source=b[0],
            other_record_id=b[1],
            created_by=by,
            note=note,
        )
    )


# --- explanation and export -----------------------------------------------------------------


def _keys_where(session: Session, *conditions: Any) -> list[MatchKey]:
    rows = session.execute(
        select(*_record_columns())
        .join(Source, Source.id == SourceRecord.source_id)
        .where(SourceRecord.withdrawn_at.is_(None), *conditions)
    )
    return [match_key(_bib(row.name, row)) for row in rows]


def explain(session: Session, a: Key, b: Key) -> Explanation:
    """Why two records are or are not clustered, from the stored assignment."""
    _require_live(session, [a, b])
    pair = {}
    for key in (a, b):
        [pair[key]] = _keys_where(
            session,
            Source.name == key[0],
            SourceRecord.record_id == key[1],
        )
    previous, _ = load_state(session)
    clusters = {previous[k].cluster for k in (a, b) if k in previous}
    members = _keys_where(session, SourceRecord.cluster_id.in_(clusters)) if clusters else []
    overrides, _ = load_overrides(session)
    return explain_pair(pair[a], pair[b], previous, members, overrides)


def iter_export_rows(session: Session) -> Iterator[dict[str, str | None]]:
    """One row per live record: {"source", "id", "cluster", "work"}, ordered by source and 001."""
    rows = session.execute(
        select(Source.name, SourceRecord.record_id, SourceRecord.cluster_id, SourceRecord.work_id)
        .join(Source, Source.id == SourceRecord.source_id)
        .where(SourceRecord.withdrawn_at.is_(None))
        .order_by(Source.name, SourceRecord.record_id)
        .execution_options(yield_per=5000)
    )
    for name, record_id, cluster_id, work_id in rows:
        yield {"source": name, "id": record_id, "cluster": cluster_id, "work": work_id}


def _items_by_record(session: Session, pks: Sequence[int]) -> dict[int, list[Item]]:
    out: dict[int, list[Item]] = {}
    rows = session.execute(
        select(ItemRow, Site.code)
        .outerjoin(Site, Site.id == ItemRow.site_id)
        .where(ItemRow.record_pk.in_(pks))
    )
    for item, site_code in rows:
        try:
            status = ItemStatus(item.status)
        except ValueError:
            status = ItemStatus.UNKNOWN
        out.setdefault(item.record_pk, []).append(
            Item(
                barcode=item.barcode,
                location_code=item.location_code,
                site=site_code,
                home_location_code=item.home_location_code,
                call_number=item.call_number,
                item_type=item.item_type,
                status=status,
                due_date=item.due_date,
            )
        )
    return out


def iter_merged(
    session: Session, preferred_sources: Sequence[str] = (), batch: int = 500
) -> Iterator[MergedRecord]:
    """Every manifestation cluster's merged record, in cluster id order, items from `items`."""
    cluster_ids = list(
        session.scalars(
            select(SourceRecord.cluster_id)
            .where(SourceRecord.withdrawn_at.is_(None), SourceRecord.cluster_id.is_not(None))
            .distinct()
            .order_by(SourceRecord.cluster_id)
        )
    )
    for start in range(0, len(cluster_ids), batch):
        chunk = cluster_ids[start : start + batch]
        rows = session.execute(
            select(*_record_columns(), SourceRecord.cluster_id, SourceRecord.work_id)
            .join(Source, Source.id == SourceRecord.source_id)
            .where(SourceRecord.withdrawn_at.is_(None), SourceRecord.cluster_id.in_(chunk))
        ).all()
        items = _items_by_record(session, [r.id for r in rows])
        members: dict[str, list[BibRecord]] = {}
        work_of: dict[str, str] = {}
        for row in rows:
            rec = _bib(row.name, row)
            rec = BibRecord(**{**_fields(rec), "items": tuple(items.get(row.id, ()))})
            members.setdefault(row.cluster_id, []).append(rec)
            work_of[row.cluster_id] = min(work_of.get(row.cluster_id, row.work_id), row.work_id)
        for cid in chunk:
            if cid in members:
                yield merge_cluster(cid, work_of[cid], members[cid], preferred_sources)
