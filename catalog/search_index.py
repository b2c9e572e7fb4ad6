"""The search index: one document per manifestation cluster, built from its live members.

`build_document` is pure: member records (`BibRecord`s rebuilt from `source_records.data`) and
the copies' current status in, a `SearchDocument` out. `rebuild(session)` and
`refresh(session, cluster_ids)` write documents to `search_docs`, `search_availability` and the
engine's full-text index; they never commit (the caller's unit of work does), so a reader sees
either the old or the new index, never half of it.

Availability comes from the `items` table, which every sync updates, not from the item list
frozen inside `data`: the index must say "on the shelf" only for copies that are.

A record whose `cluster_id` is NULL is its own cluster, named `r<pk>`. Call `refresh` with
every cluster id that gained or lost members or whose copies changed (old and new ids after a
merge); `clusters_of_records` maps changed records to those ids.
"""

from __future__ import annotations

import json
import logging
import typing
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    String,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    literal,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from catalog.folding import folded_text, index_terms, index_text, isbn_forms, isbn_key, words
from catalog.ingest import collector_spared
from catalog.models import ItemRow, Source, SourceRecord
from catalog.models_search import SearchAvailability, SearchDisplay, SearchDoc
from catalog.records import BibRecord, ItemStatus, record_from_dict

log = logging.getLogger(__name__)

BATCH = 1000
YOUNG_GC_THRESHOLD = 50_000  # allocations between young collections while indexing

FORMAT_LABELS = {
    "book": "Bok",
    "ebook": "E-bok",
    "audiobook": "Lydbok",
    "music": "Musikk",
    "film": "Film",
    "score": "Noter",
    "map": "Kart",
    "digital": "Digitalt/spill",
    "other": "Annet",
}
AUDIENCE_LABELS = {"children": "Barn", "young": "Ungdom", "adult": "Voksne", "unknown": "Ukjent"}
# Year facet buckets, inclusive, None open. Stored inside `search_docs.facet_key`: changing
# them needs `bokflyt reindex` (migration 0009 wrote keys for these buckets).
YEAR_BUCKETS = (
    (None, 1899),
    (1900, 1949),
    (1950, 1999),
    (2000, 2009),
    (2010, 2019),
    (2020, None),
)

# MARC 21 008/22 target audience, for the record types whose 008 has one there.
_AUDIENCE_008 = {
    "a": "children",
    "b": "children",
    "c": "children",
    "j": "children",
    "d": "young",
    "e": "adult",
    "f": "adult",
    "g": "adult",
}
_AUDIENCE_TYPES = set("atcdijgkorm")
_LOST = {ItemStatus.WITHDRAWN, ItemStatus.LOST}
_TRANSIT = {ItemStatus.IN_TRANSIT, ItemStatus.AWAITING_TRANSFER}


@dataclass(frozen=True, slots=True)
class ItemState:
    """What the index needs of one copy: where it is and whether it is there."""

    site_id: int | None
    status: ItemStatus
    due_date: date | None = None
    call_number: str | None = None


@dataclass(frozen=True, slots=True)
class SiteAvailability:
    """Copies of a cluster at one site."""

    site_id: int
    copies: int = 0
    on_shelf: int = 0
    on_loan: int = 0
    in_transit: int = 0
    next_due: date | None = None


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """A cluster as search sees it: text per field, facet values, availability, display."""

    cluster_id: str
    title: str
    authors: str
    subjects: str
    other: str
    title_key: str
    isbn_keys: tuple[str, ...]
    year: int | None
    format: str
    language: str | None
    audience: str
    availability: tuple[SiteAvailability, ...]
    display: dict[str, Any] = field(default_factory=dict)

    @property
    def copies(self) -> int:
        return sum(a.copies for a in self.availability)

    @property
    def on_shelf(self) -> int:
        return sum(a.on_shelf for a in self.availability)


def record_format(record: BibRecord) -> str:
    """A facet value for the kind of thing the record describes (leader/06, 007, 338)."""
    kind = record.record_type
    if kind in ("a", "t"):
        online = any(p.startswith("c") for p in record.physical) or any(
            "online" in c.lower() or "nett" in c.lower() for c in record.carrier_types
        )
        return "ebook" if online else "book"
    return {
        "i": "audiobook",
        "j": "music",
        "g": "film",
        "c": "score",
        "d": "score",
        "e": "map",
        "f": "map",
        "m": "digital",
    }.get(kind, "other")


def call_number_audience(call_number: str | None) -> str | None:
    """Norwegian shelving conventions: "B ..."/"Barn" for children, "U ..."/"Ungdom" for
    young adults (public libraries prefix the call number with the department)."""
    if not call_number:
        return None
    first = call_number.strip().split(" ")[0].casefold().rstrip(".")
    if first in ("b", "barn", "bu", "bi", "bb"):
        return "children"
    if first in ("u", "ung", "ungdom"):
        return "young"
    return None


def record_audience(record: BibRecord, call_numbers: Iterable[str | None] = ()) -> str:
    """Children, young adults or adults: 008/22 when coded, else the call numbers' majority."""
    fixed = record.fixed_008 or ""
    if record.record_type in _AUDIENCE_TYPES and len(fixed) > 22 and fixed[22] in _AUDIENCE_008:
        return _AUDIENCE_008[fixed[22]]
    votes: dict[str, int] = {}
    for call_number in call_numbers:
        audience = call_number_audience(call_number)
        if audience:
            votes[audience] = votes.get(audience, 0) + 1
    # the first audience with the most votes (what Counter.most_common(1) picks)
    return max(votes, key=votes.__getitem__) if votes else "unknown"


def _richness(record: BibRecord) -> tuple[int, int, int, int]:
    return (
        bool(record.isbns) + bool(record.subtitle) + bool(record.main_author) + bool(record.year),
        len(record.subjects),
        len(record.items),
        -len(record.record_id),
    )


def _unique(values: Iterable[str | None]) -> list[str]:
    """Values in first-seen order, once each, ignoring case, spacing and inverted names.

    A value already seen as the very same string is skipped before its key is made: the
    lead record is listed twice and most clusters are one record, so most repeats are exact.
    """
    if isinstance(values, list) and len(values) < 2:
        # no repeat possible: most clusters are one record with one value per field
        stripped = values[0].strip() if values and values[0] else ""
        return [stripped] if stripped else []
    exact: set[str] = set()
    seen: set[str] = set()
    result: list[str] = []
    for value in values:
        if not value or value in exact:
            continue
        exact.add(value)
        stripped = value.strip()
        if not stripped:
            continue
        key = " ".join(sorted(value.casefold().replace(",", " ").split()))  # "Hamsun, Knut"
        if key not in seen:
            seen.add(key)
            result.append(stripped)
    return result


def summarise(items: Iterable[ItemState]) -> tuple[SiteAvailability, ...]:
    """Per-site counts; withdrawn and lost copies are no copies, unknown sites are left out."""
    # per site: copies, on shelf, on loan, in transit, next due date
    counts: dict[int, list[Any]] = {}
    for item in items:
        site, status = item.site_id, item.status
        if site is None or status in _LOST:
            continue
        row = counts.get(site)
        if row is None:
            row = counts[site] = [0, 0, 0, 0, None]
        row[0] += 1
        if status is ItemStatus.ON_SHELF:
            row[1] += 1
        elif status is ItemStatus.ON_LOAN:
            row[2] += 1
            if item.due_date and (row[4] is None or item.due_date < row[4]):
                row[4] = item.due_date
        elif status in _TRANSIT:
            row[3] += 1
    return tuple(SiteAvailability(site, *row) for site, row in sorted(counts.items()))


def build_document(
    cluster_id: str, members: Sequence[BibRecord], items: Sequence[ItemState]
) -> SearchDocument:
    """Merge a cluster's member records into one searchable document.

    The richest member supplies the displayed title and facet values; names, subjects,
    series, titles and ISBNs of all members are searchable, so a variant typed in one library
    still finds the cluster.
    """
    if not members:
        raise ValueError(f"cluster {cluster_id} has no live members")
    lead = max(members, key=_richness)
    # the lead first, then every member; a cluster of one lists its record once, since
    # `_unique` drops the repeat anyway (most clusters are one record)
    ordered = members if len(members) == 1 else [lead, *members]
    titles = _unique(
        [
            " ".join([p for p in (m.title, m.subtitle, m.part_number, m.part_name) if p])
            for m in ordered
        ]
    )
    authors = _unique([a for m in ordered for a in (m.main_author, *m.other_authors)])
    subjects = _unique([s for m in members for s in m.subjects])
    series = _unique([s for m in members for s in m.series])
    publishers = _unique([m.publisher for m in members])
    raw_isbns = _unique([i for m in members for i in m.isbns])
    forms = _unique([f for i in raw_isbns for f in isbn_forms(i)])
    keys = tuple(dict.fromkeys([k for i in raw_isbns if (k := isbn_key(i))]))
    responsibility = _unique([m.responsibility for m in members])
    display = {
        "title": lead.title,
        "subtitle": lead.subtitle,
        "authors": authors,
        "year": lead.year,
        "publisher": lead.publisher,
        "edition": lead.edition,
        "isbns": list(keys) or raw_isbns,
        "series": series,
        "subjects": subjects,
        "language": lead.language,
        "members": [f"{m.source}:{m.record_id}" for m in members],
    }
    doc_format = record_format(lead)
    audience = record_audience(lead, (i.call_number for i in items))
    display.update(format=doc_format, audience=audience)
    return SearchDocument(
        cluster_id=cluster_id,
        title=" ".join(titles),
        authors=" ".join(authors),
        subjects=" ".join(subjects + series),
        other=" ".join([*publishers, *forms, *responsibility]),
        title_key=" ".join(words(lead.title)),
        isbn_keys=keys,
        year=lead.year,
        format=doc_format,
        language=(lead.language or "").strip().lower()[:3] or None,
        audience=audience,
        availability=summarise(items),
        display=display,
    )


def year_bucket(year: int | None) -> str:
    """The year facet value for `year`: "-1899", "2000-2009", "2020-", or "" when unknown."""
    if year is None:
        return ""
    for low, high in YEAR_BUCKETS:
        if (low is None or year >= low) and (high is None or year <= high):
            return f"{low or ''}-{high or ''}"
    return ""


def facet_key(fmt: str, audience: str, year: int | None, language: str | None) -> str:
    """Every facet value of a document in one short column, "book|adult|2000-2009|nob".

    Search counts facets by grouping its hits on this one column: grouping on four columns
    (one of them a CASE over the year) cost about twice as much per hit (measured on the
    search benchmark's catalogue of 100,000 documents).
    The language comes last, so `split("|", 3)` is safe whatever a catalogue put there.
    """
    return f"{fmt}|{audience}|{year_bucket(year)}|{language or ''}"


# ---- storage ------------------------------------------------------------------------------


def cluster_key() -> ColumnElement[str]:
    """SQL for a record's cluster id: its `cluster_id`, or `r<pk>` when it has none."""
    return func.coalesce(SourceRecord.cluster_id, literal("r") + cast(SourceRecord.id, String))


def clusters_of_records(session: Session, record_pks: Iterable[int]) -> set[str]:
    """Cluster ids of the given records (withdrawn or not): what to `refresh` after a sync."""
    pks = list(record_pks)
    found: set[str] = set()
    for start in range(0, len(pks), BATCH):
        chunk = pks[start : start + BATCH]
        found.update(session.scalars(select(cluster_key()).where(SourceRecord.id.in_(chunk))).all())
    return found


def _spaced(values: Iterable[object]) -> str:
    """Values between spaces (" 3 7 "), so membership is a substring test on both engines."""
    return " " + "".join(f"{v} " for v in values)


_RECORDS = typing.cast(Table, SourceRecord.__table__)
_SOURCES = typing.cast(Table, Source.__table__)
_ITEMS = typing.cast(Table, ItemRow.__table__)
_STATUSES = {status.value: status for status in ItemStatus}


def _load_members(
    session: Session, pks: list[int]
) -> tuple[dict[int, BibRecord], dict[int, list[ItemState]]]:
    """The member records (items left out: availability comes from `items`) and copy states.

    Core queries on the connection, not ORM ones: at a reindex of a million records the ORM's
    per-row loading cost more than the JSON itself. On SQLite the stored item list is cut from
    `data` by SQLite (`json_remove`) before Python decodes it; it is about a third of the text
    and the documents never read it.
    """
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    data_column: ColumnElement[Any] = (
        type_coerce(func.json_remove(_RECORDS.c.data, "$.items"), Text)
        if sqlite
        else _RECORDS.c.data
    )
    rows = connection.execute(
        select(_RECORDS.c.id, _SOURCES.c.name, _RECORDS.c.record_id, _RECORDS.c.title, data_column)
        .join_from(_RECORDS, _SOURCES, _SOURCES.c.id == _RECORDS.c.source_id)
        .where(_RECORDS.c.id.in_(pks))
    )
    typed = typing.cast(Iterable[tuple[int, str, str, str, Any]], rows)
    records: dict[int, BibRecord] = {}
    loads = json.loads
    for pk, source, record_id, title, data in typed:
        if data:
            values: dict[str, Any] = loads(data) if sqlite else data
            values["items"] = []
            record = record_from_dict(values)
        else:  # ingested before `data` existed: searchable by title at least
            record = BibRecord(source=source, record_id=record_id, title=title)
        records[pk] = record
    items: dict[int, list[ItemState]] = defaultdict(list)
    unknown = ItemStatus.UNKNOWN
    copies = connection.execute(
        select(
            _ITEMS.c.record_pk,
            _ITEMS.c.site_id,
            _ITEMS.c.status,
            _ITEMS.c.due_date,
            _ITEMS.c.call_number,
        ).where(_ITEMS.c.record_pk.in_(pks))
    )
    for record_pk, site_id, status, due, call_number in typing.cast(
        Iterable[tuple[int, int | None, str, date | None, str | None]], copies
    ):
        state = _STATUSES.get(status, unknown)
        items[record_pk].append(ItemState(site_id, state, due, call_number))
    return records, items


def _delete_docs(session: Session, cluster_ids: list[str] | None) -> None:
    sqlite = session.get_bind().dialect.name == "sqlite"
    if cluster_ids is None:
        if sqlite:
            session.execute(text("DELETE FROM search_fts"))
        session.execute(delete(SearchAvailability))
        session.execute(delete(SearchDisplay))
        session.execute(delete(SearchDoc))
        return
    for start in range(0, len(cluster_ids), BATCH):
        chunk = cluster_ids[start : start + BATCH]
        ids = list(session.scalars(select(SearchDoc.id).where(SearchDoc.cluster_id.in_(chunk))))
        if not ids:
            continue
        if sqlite:
            session.execute(
                text("DELETE FROM search_fts WHERE rowid IN :ids").bindparams(
                    bindparam("ids", expanding=True)
                ),
                {"ids": ids},
            )
        session.execute(delete(SearchAvailability).where(SearchAvailability.doc_id.in_(ids)))
        session.execute(delete(SearchDisplay).where(SearchDisplay.doc_id.in_(ids)))
        session.execute(delete(SearchDoc).where(SearchDoc.id.in_(ids)))


_DOC_COLUMNS = (
    "id, cluster_id, title_key, isbn_keys, year, format, language, audience, held_sites,"
    " shelf_sites, copies, on_shelf, facet_key"
)
# Driver-level statements (exec_driver_sql, positional parameters): SQLAlchemy's per-row
# parameter processing of `text()` cost about as much as the database's own inserts.
_SQLITE_DOC = f"INSERT INTO search_docs ({_DOC_COLUMNS}) VALUES ({', '.join(['?'] * 13)})"
_SQLITE_FTS = (
    "INSERT INTO search_fts (rowid, title, authors, subjects, other) VALUES (?, ?, ?, ?, ?)"
)
_PG_DOC = (
    f"INSERT INTO search_docs ({_DOC_COLUMNS}, fts) VALUES ({', '.join(['%s'] * 13)},"
    " setweight(to_tsvector('bokflyt_norsk', %s), 'A')"
    " || setweight(to_tsvector('bokflyt_norsk', %s), 'B')"
    " || setweight(to_tsvector('bokflyt_norsk', %s), 'C')"
    " || setweight(to_tsvector('bokflyt_norsk', %s), 'D'))"
)
_SQLITE_DISPLAY = "INSERT INTO search_display (doc_id, display) VALUES (?, ?)"
_PG_DISPLAY = "INSERT INTO search_display (doc_id, display) VALUES (%s, CAST(%s AS JSON))"
_AVAILABILITY_COLUMNS = "doc_id, site_id, copies, on_shelf, on_loan, in_transit, next_due"
_SQLITE_AVAILABILITY = (
    f"INSERT INTO search_availability ({_AVAILABILITY_COLUMNS}) VALUES ({', '.join(['?'] * 7)})"
)
_PG_AVAILABILITY = (
    f"INSERT INTO search_availability ({_AVAILABILITY_COLUMNS}) VALUES ({', '.join(['%s'] * 7)})"
)


def _new_ids(session: Session, count: int, postgres: bool) -> list[int]:
    """Ids for `count` new documents: from the serial's sequence on PostgreSQL; after the
    largest on SQLite, where the caller's transaction already holds the only write lock."""
    if postgres:
        return list(
            session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('search_docs', 'id'))"
                    " FROM generate_series(1, :n)"
                ),
                {"n": count},
            )
        )
    top = session.scalar(text("SELECT coalesce(max(id), 0) FROM search_docs")) or 0
    return list(range(top + 1, top + 1 + count))


# `json.dumps(display, ensure_ascii=False, default=str)` without making an encoder per call
_DISPLAY_JSON = json.JSONEncoder(ensure_ascii=False, default=str).encode


def _write(session: Session, docs: list[SearchDocument]) -> None:
    """Insert documents, their availability and their full-text entries (driver-level
    executemany: the ORM's per-row bookkeeping, and then `text()`'s parameter processing,
    cost more than the indexing itself at a million rows)."""
    if not docs:
        return
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    ids = _new_ids(session, len(docs), postgres)
    rows: list[tuple[Any, ...]] = []
    displays: list[tuple[int, str]] = []
    availability: list[tuple[Any, ...]] = []
    stemmed: list[tuple[Any, ...]] = []
    dumps = _DISPLAY_JSON
    for doc_id, d in zip(ids, docs, strict=True):
        sites = d.availability
        row: tuple[Any, ...] = (
            doc_id,
            d.cluster_id,
            d.title_key,
            _spaced(d.isbn_keys),
            d.year,
            d.format,
            d.language,
            d.audience,
            _spaced([a.site_id for a in sites]),
            _spaced([a.site_id for a in sites if a.on_shelf]),
            sum(a.copies for a in sites),
            sum(a.on_shelf for a in sites),
            facet_key(d.format, d.audience, d.year, d.language),
        )
        if postgres:
            row += (
                folded_text(d.title),
                folded_text(d.authors),
                folded_text(d.subjects),
                folded_text(d.other),
            )
        else:
            stemmed.append(
                (
                    doc_id,
                    " ".join(index_terms(d.title)),
                    index_text(d.authors),
                    index_text(d.subjects),
                    " ".join(index_terms(d.other)),
                )
            )
        rows.append(row)
        displays.append((doc_id, dumps(d.display)))
        availability.extend(
            (
                doc_id,
                a.site_id,
                a.copies,
                a.on_shelf,
                a.on_loan,
                a.in_transit,
                # what SQLAlchemy's Date binds on SQLite (the driver's own adapter is deprecated)
                a.next_due.isoformat() if a.next_due is not None and not postgres else a.next_due,
            )
            for a in sites
        )
    execute = connection.exec_driver_sql
    execute(_PG_DOC if postgres else _SQLITE_DOC, rows)
    execute(_PG_DISPLAY if postgres else _SQLITE_DISPLAY, displays)
    if availability:
        execute(_PG_AVAILABILITY if postgres else _SQLITE_AVAILABILITY, availability)
    if stemmed:
        execute(_SQLITE_FTS, stemmed)


def _index_clusters(session: Session, members: Mapping[str, list[int]]) -> int:
    written = 0
    cluster_ids = sorted(members)
    for start in range(0, len(cluster_ids), BATCH):
        chunk = cluster_ids[start : start + BATCH]
        pks = [pk for c in chunk for pk in members[c]]
        records, items = _load_members(session, pks)
        docs = []
        for cluster in chunk:
            live = [records[pk] for pk in sorted(members[cluster]) if pk in records]
            if live:
                states = [s for pk in members[cluster] for s in items.get(pk, [])]
                docs.append(build_document(cluster, live, states))
        _write(session, docs)
        written += len(docs)
    return written


def split_cluster_ids(cluster_ids: Iterable[str]) -> tuple[list[str], list[int]]:
    """Named cluster ids (a record's `cluster_id`) apart from the `r<pk>` ids of records
    that are their own cluster, as primary keys: each is found through its own index."""
    named: list[str] = []
    own: list[int] = []
    for c in cluster_ids:
        if c.startswith("r") and c[1:].isdigit():
            own.append(int(c[1:]))
        else:
            named.append(c)
    return named, own


def member_conditions(cluster_ids: Sequence[str]) -> list[ColumnElement[bool]]:
    """WHERE clauses selecting the records of the given clusters, one per index to use
    (`cluster_id`, or the primary key for `r<pk>` ids); an OR of the two would scan."""
    named, own = split_cluster_ids(cluster_ids)
    conditions: list[ColumnElement[bool]] = []
    if named:
        conditions.append(SourceRecord.cluster_id.in_(named))
    if own:
        conditions.append(SourceRecord.id.in_(own) & SourceRecord.cluster_id.is_(None))
    return conditions


def _members(session: Session, cluster_ids: list[str] | None) -> dict[str, list[int]]:
    # Core execution on the connection (the ORM's row handling cost more than the query),
    # which does not autoflush: pending ORM changes are flushed first, as a query would
    session.flush()
    connection = session.connection()
    query = select(cluster_key(), SourceRecord.id).where(SourceRecord.withdrawn_at.is_(None))
    found: dict[str, list[int]] = defaultdict(list)
    if cluster_ids is None:
        for cluster, pk in connection.execute(query):
            found[cluster].append(pk)
        return found
    for start in range(0, len(cluster_ids), BATCH):
        for condition in member_conditions(cluster_ids[start : start + BATCH]):
            for cluster, pk in connection.execute(query.where(condition)):
                found[cluster].append(pk)
    return found


def rebuild(session: Session) -> int:
    """Replace the whole index with documents for every live cluster; returns how many."""
    _delete_docs(session, None)
    with collector_spared(YOUNG_GC_THRESHOLD):
        written = _index_clusters(session, _members(session, None))
    _bump_version(session)
    _analyse(session)
    log.info("search index rebuilt: %d clusters", written)
    return written


def refresh(
    session: Session,
    cluster_ids: Iterable[str],
    members: Mapping[str, list[int]] | None = None,
) -> int:
    """Re-index the given clusters (removing those with no live member); returns how many
    documents were written. Records of these clusters lose their stale `r<pk>` documents.

    `members`, when the caller already knows them (`bokflyt.pipeline` has every record's
    cluster in memory), maps each of these clusters with a live member to its live records'
    ids in ascending order: exactly what would be queried here otherwise, which cost a
    twentieth of a refresh."""
    wanted = sorted(set(cluster_ids))
    # a sync's snapshots and the merge's state are no garbage; see `collector_spared`
    with collector_spared(YOUNG_GC_THRESHOLD):
        if members is None:
            members = _members(session, wanted)
        else:
            session.flush()
        own = sorted({f"r{pk}" for pks in members.values() for pk in pks} - set(wanted))
        _delete_docs(session, wanted + own)
        written = _index_clusters(session, members)
    if written and session.get_bind().dialect.name == "postgresql":
        # A sync's new entries would wait in the GIN pending list, which every search scans in
        # full, until autovacuum merges it (see `_analyse`); merging a sync's few now is cheap.
        session.execute(text("SELECT gin_clean_pending_list('ix_search_docs_fts')"))
    _bump_version(session)
    log.info("search index refreshed: %d of %d clusters", written, len(wanted))
    return written


def _bump_version(session: Session) -> None:
    session.execute(text("UPDATE search_state SET version = version + 1 WHERE id = 1"))


def index_version(session: Session) -> int:
    """The current index version (see `SearchState`)."""
    return int(session.scalar(text("SELECT version FROM search_state WHERE id = 1")) or 0)


def _analyse(session: Session) -> None:
    """Fresh planner statistics after a bulk load, so the first searches plan well. The
    full-text index is tidied too: on SQLite FTS5 merges its segments into one (a term is then
    one b-tree lookup, not one per segment left by the batched inserts); on PostgreSQL the GIN
    index's pending list, where a bulk load leaves its new entries until a vacuum, is merged
    into the index, which every search would otherwise scan in full (the bitmap index scan
    of a single word at a million documents took 2-8 ms before a vacuum merged the list,
    under 1 ms after)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO search_fts (search_fts) VALUES ('optimize')"))
    else:
        session.execute(text("SELECT gin_clean_pending_list('ix_search_docs_fts')"))
    session.execute(text("ANALYZE search_docs"))
    session.execute(text("ANALYZE search_availability"))
    session.execute(text("ANALYZE search_display"))
