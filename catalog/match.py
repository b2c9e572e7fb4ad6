"""Pairwise matching: are two records the same manifestation, the same work, or neither?

A record is first reduced to a `MatchKey` (all normalisation done once, in `catalog.normalize`);
`compare` then decides a pair at both levels and names the rule that decided, so
`bokflyt merge explain` can say *why*. Decisions have three outcomes:

    MATCH     evidence says same (an edge the clusterer may follow)
    NO_MATCH  not enough evidence (no edge, but no objection to sharing a cluster via others)
    VETO      a guard says different (the pair may never share a cluster, however connected)

Guards are checked before any evidence, because a wrong merge costs more than a missed one:
different format, edition, year, part/volume, or author; two records of one source without a
shared identifier; two disjoint ISBN sets. Identifiers decide next; title, author, year,
publisher and extent decide only when identifiers cannot.

`iter_candidate_pairs` does the blocking: records are only compared when they share an
identifier, a (title, surname) or (title, year) key, or a key of surname (+ year, or + forename
initial) with the start or end of the title, which survives a typing slip at the other end.
Title keys carry the part number (other parts are vetoed anyway), and the (title, year) block
pairs a record only with one that has no author (see `BlockFamily`). No block pairs two records
whose main authors are certainly two people (another birth year or first forename): the author
guard would veto them, and on a large catalogue such homonyms are most of the pairs.

Rules, in the order `compare` applies them (the rule name is what `merge explain` prints):

    guard:part / guard:series-number / guard:author      veto both levels
    guard:format / edition / year / same-source-without-shared-identifier /
        identifier-conflict / language / extent           veto the manifestation level
    identifier            a shared ISBN/ISSN/EAN (titles not wholly different)
    title+author+year     normalised title equal (subtitle may be missing on one side)
    fuzzy-title+author+year+publisher/extent   a typing slip, corroborated
    title+publisher+extent                     no usable author on one side, all else agrees
    work:identifier / work:title+author / work:fuzzy-title+author      the work level
"""

from __future__ import annotations

import contextlib
import enum
import logging
import multiprocessing as mp
import pickle
import re
import sys
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from multiprocessing.connection import Connection
from typing import Any, TypeVar, overload

from rapidfuzz.distance import OSA
from rapidfuzz.fuzz import ratio, token_set_ratio

from catalog.normalize import (
    AuthorName,
    Format,
    clean_title,
    derive_format,
    format_hints,
    isbn_names_other_format,
    normalize_author,
    normalize_ean,
    normalize_edition,
    normalize_isbn,
    normalize_issn,
    normalize_part,
    normalize_publisher,
    normalize_text,
    pages,
    split_part_from_title,
    split_title,
)
from catalog.records import BibRecord

log = logging.getLogger(__name__)

Key = tuple[str, str]
_T = TypeVar("_T")

# Blocks larger than this are not compared pairwise (a title like "dikt" by nobody); they are
# logged, and their records can still meet through their other, narrower blocks.
MAX_BLOCK = 400


class Verdict(enum.Enum):
    """Outcome of one comparison at one level."""

    MATCH = "match"
    NO_MATCH = "no_match"
    VETO = "veto"


class AuthorRelation(enum.Enum):
    MATCH = "match"
    CONFLICT = "conflict"
    UNKNOWN = "unknown"  # one side has no author and names nobody else
    DOUBT = "doubt"  # one side has no main author, and the people it names are not the other's
    NONE = "none"  # neither side has an author


_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class MatchKey:
    """Everything matching needs from one record, normalised once (built by `match_key`).

    `isbns` are the record's own ISBN-13s; `linked_isbns` add ISBNs the record names for another
    carrier ("(trykt utg.)"), which are evidence for the *work* but never for the manifestation.
    A slotted dataclass, not a named tuple: `compare` reads its fields millions of times, and
    slot reads are the fast path of the interpreter.
    """

    key: Key
    title: str
    subtitle: str
    part: str | None
    part_name: str
    author: AuthorName | None
    other_authors: tuple[AuthorName, ...]
    isbns: tuple[str, ...]
    linked_isbns: tuple[str, ...]
    other_ids: tuple[str, ...]
    year: int | None
    edition: str | None
    fmt: Format
    pages: int | None
    publisher: str
    series_numbers: tuple[tuple[str, str], ...]
    language: str
    # Derived once (`match_key`) because `compare` runs millions of times on a full re-cluster:
    # title and subtitle as one string, the numbers in it, the author's blocking surname.
    full_title: str
    title_digits: tuple[str, ...]
    surname: str

    @property
    def source(self) -> str:
        return self.key[0]


def _series_numbers(series: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """(normalised series title, normalised number) for each "Series ; 3" statement."""
    out = []
    for s in series:
        if ";" not in s:
            continue
        name, _, num = s.rpartition(";")
        part = normalize_part(num)
        if part:
            out.append((normalize_text(name), part))
    return tuple(sorted(out))


_STATEMENT_LEAD = re.compile(
    r"^\s*(?:tekst(?:\s+og\s+\w+)?\s*:|skrevet av|written by|text by|av|by)\s+", re.IGNORECASE
)
_NOT_AUTHOR = re.compile(r"\b(red|redigert|redaktør|edited|ed|oversatt|translated|illustr)", re.I)


def _author_in_statement(statement: str | None) -> AuthorName | None:
    """The first person named in a statement of responsibility ("Jo Nesbø ; oversatt av …"),
    used only to *find* a record without a main author its twin; never to veto a pair."""
    if not statement:
        return None
    first = re.split(r"\s*[;,]\s*|\s+(?:og|and|&)\s+", statement.strip(), maxsplit=1)[0]
    if _NOT_AUTHOR.search(first):
        return None
    return normalize_author(_STATEMENT_LEAD.sub("", first))


@lru_cache(maxsize=65_536)
def _title_fields(
    raw_title: str, raw_subtitle: str | None, part_number: str | None
) -> tuple[str, str, str | None]:
    """(title, subtitle, part) of one record, memoised on what was typed.

    Every manifestation of a work repeats its title, so on a full re-cluster about two thirds
    of the calls are repeats; records of one work arrive close together in a harvest, so a
    bounded cache catches them without holding every title of the catalogue.
    """
    cleaned = clean_title(raw_title)
    part = normalize_part(part_number)
    if part is None:
        cleaned, part = split_part_from_title(cleaned)
    title, subtitle = split_title(cleaned, raw_subtitle)
    return sys.intern(title), subtitle, part


# Years and page counts, one int object per value: past 256 every int is an object of its
# own, and a million keys would hold a million copies of a few thousand numbers.
_NUMBERS: dict[int | None, int | None] = {}


def clear_title_cache() -> None:
    """Drop the memoised title fields (with `catalog.normalize.clear_caches`, after keying)."""
    _title_fields.cache_clear()


def match_key(rec: BibRecord) -> MatchKey:
    """Normalise one record for matching (pure; the only place a BibRecord is read)."""
    return _make_key(_key_fields_of(rec))


_SETTERS = tuple(getattr(MatchKey, name).__set__ for name in MatchKey.__slots__)


def _make_key(values: Sequence[Any], new: Any = object.__new__) -> MatchKey:
    """`MatchKey(*values)`, filling the slots directly: the frozen dataclass's `__init__` sets
    each of its twenty fields through `object.__setattr__`, a third slower, and a full
    re-cluster makes a million keys in one process."""
    key: MatchKey = new(MatchKey)
    for set_slot, value in zip(_SETTERS, values, strict=True):
        set_slot(key, value)
    return key


def _key_fields_of(rec: BibRecord) -> tuple[Any, ...]:
    """The fields of `match_key(rec)`, in slot order: a keying process sends these back, and
    need not build the key itself."""
    title, subtitle, part = _title_fields(rec.title, rec.subtitle, rec.part_number)
    own: set[str] = set()
    linked: set[str] = set()
    for raw in rec.isbns:
        n = normalize_isbn(raw)
        if n:
            linked.add(n)
            if not isbn_names_other_format(raw):
                own.add(n)
    others: set[str] = set()
    for raw in rec.issns:
        n = normalize_issn(raw)
        if n:
            others.add("issn:" + n)
    for raw in rec.other_identifiers:
        n = normalize_ean(raw)
        if n and n.startswith("ean:97") and n[4:7] in ("978", "979"):
            # A Bookland EAN in 024 is the book's ISBN-13 under another tag.
            own.add(n[4:])
            linked.add(n[4:])
        elif n:
            others.add(n)
    form_008 = None
    if rec.fixed_008 and len(rec.fixed_008) > 23:
        form_008 = rec.fixed_008[23].lower()
    hints = format_hints(rec.title, " ".join((rec.extent or "", *rec.series)))
    content, carriers = rec.content_types, rec.carrier_types
    if hints:  # most records carry none
        content += tuple(h for h in hints if h != "online")
        carriers += tuple(h for h in hints if h == "online")
    fmt = derive_format(
        rec.record_type, rec.bib_level, rec.physical, content, rec.media_types, carriers, form_008
    )
    other_authors = tuple(a for a in map(normalize_author, rec.other_authors) if a is not None)
    if rec.main_author is None:
        named = _author_in_statement(rec.responsibility)
        if named is not None:
            other_authors += (named,)
    # Identifiers are kept as sorted tuples, not sets: a record has one or two, and a full
    # re-cluster holds a million keys, where a frozenset's ~200 bytes each add up.
    own_t = tuple(sorted(own))
    author = normalize_author(rec.main_author)
    full = f"{title} {subtitle}" if subtitle else title
    n_pages = pages(rec.extent)
    return (  # in the order of `MatchKey.__slots__`
        (sys.intern(rec.source), rec.record_id),  # key
        title,  # title
        subtitle,  # subtitle
        part,  # part
        normalize_text(rec.part_name),  # part_name
        author,  # author
        other_authors,  # other_authors
        own_t,  # isbns
        own_t if linked == own else tuple(sorted(linked)),  # linked_isbns
        tuple(sorted(others)),  # other_ids
        _NUMBERS.setdefault(rec.year, rec.year),  # year
        normalize_edition(rec.edition),  # edition
        fmt,  # fmt
        _NUMBERS.setdefault(n_pages, n_pages),  # pages
        sys.intern(normalize_publisher(rec.publisher)),  # publisher
        _series_numbers(rec.series),  # series_numbers
        sys.intern((rec.language or "").strip().lower()[:3]),  # language
        full,  # full_title
        tuple(_DIGITS.findall(full)),  # title_digits
        sys.intern(author.block_key) if author else "",  # surname
    )


# --- keying many records -------------------------------------------------------------------

# Keys come back from a keying process as plain tuples of their fields, in slot order: a tuple
# pickles in half the time of a slotted dataclass and unpickles in a fifth.
_KEY_FIELDS = MatchKey.__slots__


def _key_fields(records: list[BibRecord]) -> list[tuple[Any, ...]]:
    """In a keying process: the match keys of `records` as tuples of their fields."""
    return list(map(_key_fields_of, records))


# The fields `match_key` interns (besides the source in `key`): titles, publishers, languages
# and surnames repeat across a catalogue, and a million keys hold one copy of each.
_INTERNED_FIELDS = tuple(
    _KEY_FIELDS.index(f) for f in ("title", "publisher", "language", "surname")
)
_KEY_FIELD = _KEY_FIELDS.index("key")
# Author headings repeat as well: `normalize_author` is memoised, so the keys made here share
# one AuthorName per heading, and keys from another process are made to share them likewise.
_SHARED_FIELDS = tuple(_KEY_FIELDS.index(f) for f in ("author", "other_authors"))
_NUMBER_FIELDS = tuple(_KEY_FIELDS.index(f) for f in ("year", "pages"))


def _from_fields(fields: tuple[Any, ...], shared: dict[Any, Any]) -> MatchKey:
    """A key rebuilt from `_key_fields`, its strings interned again as `match_key` interns them
    (unpickled strings are new objects), its author headings taken from `shared` and its
    numbers from `_NUMBERS`, so it holds no more memory than a key made here."""
    values = list(fields)
    for i in _INTERNED_FIELDS:
        values[i] = sys.intern(values[i])
    for i in _SHARED_FIELDS:
        values[i] = shared.setdefault(values[i], values[i])
    for i in _NUMBER_FIELDS:
        values[i] = _NUMBERS.setdefault(values[i], values[i])
    source, record_id = values[_KEY_FIELD]
    values[_KEY_FIELD] = (sys.intern(source), record_id)
    return _make_key(values)


@overload
def match_keys(
    records: Iterable[BibRecord], workers: int = 1, chunk: int = 2_000
) -> Iterator[MatchKey]: ...


@overload
def match_keys(
    records: Iterable[_T],
    workers: int = 1,
    chunk: int = 2_000,
    *,
    decode: Callable[[_T], BibRecord],
) -> Iterator[MatchKey]: ...


def match_keys(
    records: Iterable[Any],
    workers: int = 1,
    chunk: int = 2_000,
    *,
    decode: Callable[[Any], BibRecord] | None = None,
) -> Iterator[MatchKey]:
    """`match_key` of each record, in order; with `workers` > 1, chunks of records are keyed in
    `workers` - 1 forked processes while this one keys its own share. With `decode`, the items
    are something `decode` makes a record of (a database row, say), in whichever process keys
    it: decoding is then shared out with the keying.

    Keying is a pure function of one record, so the work splits freely; only records and keys
    cross between processes (pickled), never the catalogue, so memory stays that of one
    process plus a few chunks in flight. Each round gives every keying process a chunk, keys
    one here, then collects theirs in order (see `_keyed_rounds` for why by hand, not with a
    `multiprocessing.Pool`).
    """
    if workers <= 1 or "fork" not in mp.get_all_start_methods():
        yield from map(match_key, records if decode is None else map(decode, records))
        return
    ctx = mp.get_context("fork")
    conns: list[Connection] = []
    procs: list[mp.process.BaseProcess] = []
    try:
        for _ in range(workers - 1):
            here, there = ctx.Pipe()
            proc = ctx.Process(target=_keying_process, args=(there, decode), daemon=True)
            proc.start()
            there.close()
            conns.append(here)
            procs.append(proc)
        yield from _keyed_rounds(iter(records), conns, chunk, decode)
    finally:
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.send_bytes(b"")  # stop
            conn.close()
        for started in procs:
            started.join(timeout=10)
            if started.is_alive():
                started.kill()
                started.join()


def _keyed_rounds(
    it: Iterator[Any],
    conns: list[Connection],
    chunk: int,
    decode: Callable[[Any], BibRecord] | None,
) -> Iterator[MatchKey]:
    """The rounds of `match_keys`: every keying process is sent a chunk, this process keys the
    next, and the processes' keys are collected in order, each process being sent its next
    chunk as soon as its keys are read, before they are unpickled here.

    By hand rather than with a `multiprocessing.Pool`: a pool pickles and unpickles in threads
    of this process, which must win the interpreter lock from the keying here (the switch
    interval is 5 ms), its result thread once for every pipeful (64 KiB) of a chunk's keys,
    while the keying process that wrote them waits. Here the one thread reads a whole result
    when it wants it, and no thread competes with the keying. One chunk at most is in flight
    per process, and a process writes only after it has read its whole chunk, so neither side
    can block the other for good. This process keys a smaller chunk than it sends (five
    sixths): sending records and unpickling keys cost it time too.
    """
    shared: dict[Any, Any] = {}
    dumps, loads, protocol = pickle.dumps, pickle.loads, pickle.HIGHEST_PROTOCOL
    busy = []
    for conn in conns:
        if not (batch := list(islice(it, chunk))):
            break
        conn.send_bytes(dumps(batch, protocol))
        busy.append(conn)
    own_chunk = chunk - chunk // 6
    while busy:
        items = islice(it, own_chunk)
        own = list(map(match_key, items if decode is None else map(decode, items)))
        for k in own:  # the headings of keys made here are the ones to share
            shared.setdefault(k.author, k.author)
            shared.setdefault(k.other_authors, k.other_authors)
        still = []
        for conn in busy:
            data = conn.recv_bytes()
            if batch := list(islice(it, chunk)):
                conn.send_bytes(dumps(batch, protocol))
                still.append(conn)
            ok, fields = loads(data)
            if not ok:
                raise fields
            for f in fields:
                yield _from_fields(f, shared)
        busy = still
        yield from own


def _keying_process(conn: Connection, decode: Callable[[Any], BibRecord] | None) -> None:
    """In a keying process: key each chunk of records received (decoded first with `decode`),
    until an empty message."""
    dumps, loads, protocol = pickle.dumps, pickle.loads, pickle.HIGHEST_PROTOCOL
    while True:
        try:
            data = conn.recv_bytes()
        except EOFError:
            return
        if not data:
            return
        try:
            items = loads(data)
            out = dumps(
                (True, _key_fields(items if decode is None else list(map(decode, items)))), protocol
            )
        except Exception as exc:  # raised again in the parent
            try:
                out = dumps((False, exc), protocol)
            except Exception:
                out = dumps((False, RuntimeError(repr(exc))), protocol)
        try:
            conn.send_bytes(out)
        except OSError:  # the parent stopped reading
            return


# --- component comparisons ------------------------------------------------------------------


def _given_compatible(x: str, y: str) -> bool:
    return x == y or len(x) == 1 and y.startswith(x) or len(y) == 1 and x.startswith(y)


def _forenames_compatible(fa: Sequence[str], fb: Sequence[str]) -> bool:
    """The first forenames agree and the shorter list is a subsequence of the longer, an
    initial standing for any name it starts ("Anne B." ~ "Anne Birkefeldt", "Ragnhild Lunde"
    ~ "Ragnhild Marie Lunde"); a missing forename list says nothing."""
    if not fa or not fb:
        return True
    if not _given_compatible(fa[0], fb[0]):
        return False
    short, long_ = (fa, fb) if len(fa) <= len(fb) else (fb, fa)
    pos = 1
    for tok in short[1:]:
        while pos < len(long_) and not _given_compatible(tok, long_[pos]):
            pos += 1
        if pos == len(long_):
            return False
        pos += 1
    return True


@lru_cache(maxsize=100_000)
def names_compatible(a: AuthorName, b: AuthorName) -> bool:
    """Same person, allowing inverted/direct order, missing middle names and initials; two
    birth years, when both headings carry one, must agree (homonyms are told apart by dates)."""
    if a.block_key != b.block_key:
        return False
    if a.born is not None and b.born is not None and a.born != b.born:
        return False
    sa, sb = a.surname.split(), b.surname.split()
    # A direct-order name takes only its last word as surname, so "Lars Saabye Christensen"
    # has the forename "saabye" that the inverted form has in its surname; move it across.
    fa = [t for t in a.forenames if t not in sb]
    fb = [t for t in b.forenames if t not in sa]
    rest_a = [t for t in sa if t not in sb]
    rest_b = [t for t in sb if t not in sa]
    if rest_a and not set(rest_a) <= set(b.forenames):
        return False
    if rest_b and not set(rest_b) <= set(a.forenames):
        return False
    return _forenames_compatible(fa, fb)


def author_relation(a: MatchKey, b: MatchKey) -> AuthorRelation:
    """How the main authors relate; a missing main author is looked up among the other's
    added authors (an audiobook may carry the author in 700 only)."""
    x, y = a.author, b.author
    if x is not None and y is not None:
        if x == y:
            return AuthorRelation.MATCH
        if a.surname != b.surname:
            return AuthorRelation.CONFLICT
        if x[0] == y[0] and x[1] == y[1] and (x[2] is None or y[2] is None):
            # One heading with dates, one without: the commonest difference between twins,
            # and what `names_compatible` would say without hashing both names for its cache.
            return AuthorRelation.MATCH
        if names_compatible(x, y):
            return AuthorRelation.MATCH
        return AuthorRelation.CONFLICT
    if a.author is None and b.author is None:
        return AuthorRelation.NONE
    present, other = (a, b) if a.author is not None else (b, a)
    assert present.author is not None
    if any(names_compatible(present.author, o) for o in other.other_authors):
        return AuthorRelation.MATCH
    return AuthorRelation.DOUBT if other.other_authors else AuthorRelation.UNKNOWN


def _allowed_edits(length: int, min_len: int = 5) -> int:
    """Typing slips forgiven in a title of this length: none below `min_len` characters."""
    if length < min_len:
        return 0
    if length < 12:
        return 1
    if length < 30:
        return 2
    return 3


def _close(x: str, y: str, min_len: int = 5) -> bool:
    """Equal, or within the typing-slip budget, never forgiving a changed number."""
    if x == y:
        return True
    if not x or not y or _DIGITS.findall(x) != _DIGITS.findall(y):
        return False
    budget = _allowed_edits(min(len(x), len(y)), min_len)
    if budget == 0:
        return False
    # Spaces are compared away: a slip that drops a one-letter word ("hav i glass" → "hav
    # glass") or splits a word is one slip, not two.
    x, y = x.replace(" ", ""), y.replace(" ", "")
    return OSA.distance(x, y, score_cutoff=budget) <= budget


def title_relation(a: MatchKey, b: MatchKey) -> tuple[str, bool]:
    """Compare full titles for the manifestation level: ("exact" | "fuzzy" | "differs", subtitle
    conflict). A subtitle missing on one side, or keyed into $a without " : ", is no conflict."""
    if a.title == b.title:
        if a.subtitle == b.subtitle or not a.subtitle or not b.subtitle:
            return "exact", False
        # The main titles agree, so one slip is forgiven even in a short subtitle ("dkit").
        if _close(a.subtitle, b.subtitle, min_len=4):
            return "fuzzy", False
        return "differs", True
    fa, fb = a.full_title, b.full_title
    if fa == fb or (not a.subtitle and a.title == fb) or (not b.subtitle and b.title == fa):
        return "exact", False
    if _close(fa, fb) or _close(a.title, b.title) and (not a.subtitle or not b.subtitle):
        return "fuzzy", False
    if not a.subtitle and _close(a.title, fb) or not b.subtitle and _close(b.title, fa):
        return "fuzzy", False
    return "differs", False


def _parts_conflict(a: MatchKey, b: MatchKey) -> bool:
    """Another volume: part numbers or names differ, or the numbers in the titles do
    ("Isfolket : bind 3" against "Isfolket : bind 4")."""
    if a.part != b.part:
        return True
    if a.title_digits and b.title_digits and a.title_digits != b.title_digits:
        return True
    if a.part_name and b.part_name and a.part_name != b.part_name:
        return not _close(a.part_name, b.part_name)
    return bool(a.part_name) != bool(b.part_name) and a.part is None


# Codes that say nothing about which language ("und", "mul", "zxx"), and the generic "nor"
# that one system uses where another distinguishes bokmål ("nob") from nynorsk ("nno").
_NO_LANGUAGE = frozenset({"", "und", "mul", "zxx", "   "})
_NORWEGIAN = frozenset({"nor", "nob", "nno"})


def _languages_conflict(a: str, b: str) -> bool:
    """Another language is another expression, hence another manifestation."""
    if a == b or a in _NO_LANGUAGE or b in _NO_LANGUAGE:
        return False
    return not ({a, b} <= _NORWEGIAN and "nor" in (a, b))


def _series_conflict(a: MatchKey, b: MatchKey) -> bool:
    """The same series with another number is another volume."""
    if not a.series_numbers or not b.series_numbers:
        return False
    nums_b = dict(b.series_numbers)
    return any(name in nums_b and nums_b[name] != num for name, num in a.series_numbers)


def _pages_relation(a: int | None, b: int | None) -> str:
    if a is None or b is None:
        return "unknown"
    diff = abs(a - b)
    if diff <= max(2, round(0.02 * max(a, b))):
        return "agree"
    if diff > max(10, round(0.1 * max(a, b))):
        return "conflict"
    return "differs"


def _publisher_relation(a: str, b: str) -> str:
    if not a or not b:
        return "unknown"
    if a == b or token_set_ratio(a, b) >= 85:
        return "agree"
    return "differs"


# --- the decision ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict on one pair at both levels, with the rule that decided each and a score.

    `score` orders edges for the clusterer (stronger evidence is followed first); `details`
    lists the observations behind the verdict in words, filled only when `compare` is asked to
    explain. A manifestation match is always a work match (`compare` guarantees it; a test
    checks it), so works are unions of whole manifestation clusters.
    """

    manifestation: Verdict
    rule: str
    work: Verdict
    work_rule: str
    score: float
    details: tuple[str, ...] = ()


_MATCH, _NO_MATCH, _VETO = Verdict.MATCH, Verdict.NO_MATCH, Verdict.VETO
_Outcome = tuple[Verdict, str, Verdict, str, float]
# Decisions without details are interned: a full re-cluster makes millions of them and they
# repeat a few dozen shapes. Each rule implies its verdict, so (rule, work rule, score) is the
# identity (and hashes without going through Enum.__hash__).
_INTERNED: dict[tuple[str, str, float], Decision] = {}


def compare(a: MatchKey, b: MatchKey, *, explain: bool = False) -> Decision:
    """Decide a pair at both levels: guards first, then identifiers, then descriptive evidence.

    With `explain`, the decision carries the observations behind it (for `merge explain`).
    """
    details: list[str] | None = [] if explain else None
    outcome = _decide(a, b, details)
    if details is not None:
        return Decision(*outcome, details=tuple(details))
    ident = (outcome[1], outcome[3], outcome[4])
    d = _INTERNED.get(ident)
    if d is None:
        d = _INTERNED[ident] = Decision(*outcome)
    return d


def _volume_guard(a: MatchKey, b: MatchKey) -> str | None:
    """The guards that keep two volumes of one title or series apart (checked first)."""
    if _parts_conflict(a, b):
        return "guard:part"
    if _series_conflict(a, b):
        return "guard:series-number"
    return None


def _work_guard(a: MatchKey, b: MatchKey) -> str | None:
    """The guards that keep two records out of one *work* (and so out of one cluster)."""
    guard = _volume_guard(a, b)
    if guard is None and _authors_conflict(a, b, author_relation(a, b)):
        return "guard:author"
    return guard


def _authors_conflict(a: MatchKey, b: MatchKey, arel: AuthorRelation) -> bool:
    """Two main authors that are not one person (a missing one is no conflict)."""
    return arel is AuthorRelation.CONFLICT and a.author is not None and b.author is not None


def _manifestation_guard(a: MatchKey, b: MatchKey, shared_ids: tuple[str, ...]) -> str | None:
    """The further guards that keep two records of one work in different manifestations.

    No edition statement counts as a first edition ("1. utg." is often left out), anything
    else must be equal; a year is compared only when both records have one.
    """
    if a.fmt is not b.fmt:
        return "guard:format"
    if (a.edition or "1") != (b.edition or "1"):
        return "guard:edition"
    if a.year is not None and b.year is not None and a.year != b.year:
        return "guard:year"
    if a.key[0] == b.key[0] and not shared_ids:
        return "guard:same-source-without-shared-identifier"
    if a.isbns and b.isbns and not _common(a.isbns, b.isbns):
        return "guard:identifier-conflict"
    if _languages_conflict(a.language, b.language):
        return "guard:language"
    if _pages_relation(a.pages, b.pages) == "conflict":
        return "guard:extent"
    return None


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """Identifiers in both (tuples of one or two: a scan beats building sets)."""
    if not a or not b:
        return ()
    if a == b:  # the usual case for twins: one ISBN each, the same one
        return a
    if len(a) == 1:
        return a if a[0] in b else ()
    return tuple(x for x in a if x in b)


def _shared_ids(a: MatchKey, b: MatchKey) -> tuple[str, ...]:
    return _common(a.isbns, b.isbns) + _common(a.other_ids, b.other_ids)


def work_vetoed(a: MatchKey, b: MatchKey) -> bool:
    """Same as `compare(a, b).work is VETO`, without the cost of deciding the rest."""
    return _work_guard(a, b) is not None


def manifestation_vetoed(a: MatchKey, b: MatchKey) -> bool:
    """Same as `compare(a, b).manifestation is VETO`, without deciding the rest."""
    return (
        _work_guard(a, b) is not None or _manifestation_guard(a, b, _shared_ids(a, b)) is not None
    )


def _work_verdict(
    a: MatchKey, b: MatchKey, arel: AuthorRelation, title_sane: bool, shared: bool
) -> tuple[Verdict, str]:
    """Work level: the main title by the same author, whatever the edition or format."""
    if shared and title_sane:
        return _MATCH, "work:identifier"
    if arel is AuthorRelation.MATCH and a.title_digits == b.title_digits:
        if a.title == b.title or a.full_title == b.full_title:
            return _MATCH, "work:title+author"
        if min(len(a.title), len(b.title)) >= 8 and _close(a.title, b.title):
            return _MATCH, "work:fuzzy-title+author"
    return _NO_MATCH, "work:insufficient-evidence"


def _title_sane(a: MatchKey, b: MatchKey, trel: str) -> bool:
    """A shared identifier is trusted unless the titles have nothing in common (mis-keyed)."""
    return (
        trel != "differs"
        or ratio(a.title, b.title) >= 70
        or token_set_ratio(a.full_title, b.full_title) >= 60
    )


def _decide_work_only(a: MatchKey, b: MatchKey, arel: AuthorRelation) -> _Outcome:
    shared_ids = _shared_ids(a, b)
    shared = bool(shared_ids or _common(a.linked_isbns, b.linked_isbns))
    sane = shared and _title_sane(a, b, title_relation(a, b)[0])
    work, work_rule = _work_verdict(a, b, arel, sane, shared)
    return (_VETO, _manifestation_guard(a, b, shared_ids) or "", work, work_rule, 0.0)


def _decide(a: MatchKey, b: MatchKey, details: list[str] | None) -> _Outcome:  # noqa: C901
    # The author relation decides the author guard as well as the evidence: computed once.
    guard = _volume_guard(a, b)
    arel = author_relation(a, b) if guard is None else AuthorRelation.CONFLICT
    if guard is None and _authors_conflict(a, b, arel):
        guard = "guard:author"
    if guard is not None:
        if details is not None:
            details.append(
                f"part {a.part or a.part_name!r} vs {b.part or b.part_name!r}; "
                f"series {a.series_numbers} vs {b.series_numbers}; "
                f"author {a.author} vs {b.author}"
            )
        return (_VETO, guard, _VETO, guard, 0.0)
    if details is None and (
        a.fmt is not b.fmt
        or (a.edition or "1") != (b.edition or "1")
        or a.year is not None
        and b.year is not None
        and a.year != b.year
    ):
        # Another format, edition or year: only the work level is left to decide. The common
        # case on a full re-cluster (every format and edition of a work shares a block).
        return _decide_work_only(a, b, arel)

    trel, sub_conflict = title_relation(a, b)
    shared_ids = _shared_ids(a, b)
    if details is not None:
        details += [f"title {trel}", f"author {arel.value}"]
    title_sane = _title_sane(a, b, trel)
    shared = bool(_common(a.linked_isbns, b.linked_isbns) or shared_ids)
    work, work_rule = _work_verdict(a, b, arel, title_sane, shared)

    # Manifestation guards.
    veto = _manifestation_guard(a, b, shared_ids)
    prel = _pages_relation(a.pages, b.pages)
    if veto is not None:
        if details is not None:
            details.append(
                f"format {a.fmt.value}/{b.fmt.value}, edition {a.edition}/{b.edition}, "
                f"year {a.year}/{b.year}, pages {a.pages}/{b.pages}, "
                f"ISBNs {sorted(a.isbns)}/{sorted(b.isbns)}"
            )
        return (_VETO, veto, work, work_rule, 0.0)

    # From here a manifestation match carries the work level with it.
    via = work_rule if work is _MATCH else "work:via-manifestation"
    if shared_ids:
        if details is not None:
            details.append("shared " + ", ".join(sorted(shared_ids)))
        if title_sane:
            return (_MATCH, "identifier", _MATCH, via, 3.0)
        return (_NO_MATCH, "identifier-but-title-differs", work, work_rule, 0.0)

    # Descriptive evidence.
    pub = _publisher_relation(a.publisher, b.publisher)
    year_eq = a.year is not None and a.year == b.year
    if details is not None:
        details += [f"publisher {pub}", f"pages {prel}", f"year {'equal' if year_eq else '?'}"]
    if trel == "differs" or sub_conflict:
        return (_NO_MATCH, "title-differs", work, work_rule, 0.0)
    if pub == "differs":
        return (_NO_MATCH, "publisher-differs", work, work_rule, 0.0)
    corroborated = pub == "agree" or prel == "agree"
    if arel is AuthorRelation.MATCH and year_eq:
        if trel == "exact":
            return (_MATCH, "title+author+year", _MATCH, via, 2.5 if corroborated else 2.0)
        if corroborated:
            return (_MATCH, "fuzzy-title+author+year+publisher/extent", _MATCH, via, 1.5)
        return (_NO_MATCH, "fuzzy-title-uncorroborated", work, work_rule, 0.0)
    if (
        trel == "exact"
        and pub == "agree"
        and prel == "agree"
        and arel is not AuthorRelation.DOUBT
        and (year_eq or arel is AuthorRelation.MATCH)
    ):
        return (_MATCH, "title+publisher+extent", _MATCH, via, 1.0)
    return (_NO_MATCH, "insufficient-evidence", work, work_rule, 0.0)


# --- blocking -------------------------------------------------------------------------------


def _identifier_blocks(k: MatchKey) -> tuple[str, ...]:
    return k.linked_isbns + k.other_ids if k.other_ids else k.linked_isbns


def _title_part(k: MatchKey) -> str:
    """The title with the part number, when there is one: two different parts are vetoed at
    both levels (`_parts_conflict`), so they need never meet in a title block."""
    return f"{k.title}\x1e{k.part}" if k.part is not None else k.title


def _title_author_blocks(k: MatchKey) -> tuple[str, ...]:
    head = _title_part(k)
    if not k.other_authors:
        return (f"{head}\x1f{k.surname}",)
    return (f"{head}\x1f{k.surname}", *(f"{head}\x1f{o.block_key}" for o in k.other_authors[:2]))


def _title_year_key(k: MatchKey) -> str | None:
    return None if k.year is None else f"{_title_part(k)}\x1f{k.year}"


# The families below give a record one block key or none: as a string or None (see
# `BlockFamily.one`), not a tuple, as each runs once per record and family.
def _author_year_head_key(k: MatchKey) -> str | None:
    if k.surname and k.year is not None and len(k.title) >= 5:
        return f"{k.surname}\x1f{k.year}\x1f{k.title[:3]}\x1e{k.part}"
    return None


def _author_year_tail_key(k: MatchKey) -> str | None:
    if k.surname and k.year is not None and len(k.title) >= 5:
        return f"{k.surname}\x1f{k.year}\x1f{k.title[-3:]}\x1e{k.part}"
    return None


def _author_year_ends_key(k: MatchKey) -> str | None:
    if k.surname and k.year is not None and len(k.title) >= 5:
        return f"{k.surname}\x1f{k.year}\x1f{k.title[:2]}\x1f{k.title[-2:]}\x1e{k.part}"
    return None


def _person_head_key(k: MatchKey) -> str | None:
    a = k.author
    if a is not None and a.forenames and len(k.title) >= 5:
        return f"{k.surname}\x1f{a.forenames[0][0]}\x1f{k.title[:3]}\x1e{k.part}"
    return None


def _person_tail_key(k: MatchKey) -> str | None:
    a = k.author
    if a is not None and a.forenames and len(k.title) >= 5:
        return f"{k.surname}\x1f{a.forenames[0][0]}\x1f{k.title[-3:]}\x1e{k.part}"
    return None


def _keys_of_one(one: Callable[[MatchKey], str | None]) -> Callable[[MatchKey], tuple[str, ...]]:
    """`BlockFamily.keys` of a family whose records have one key or none."""

    def keys(k: MatchKey) -> tuple[str, ...]:
        key = one(k)
        return () if key is None else (key,)

    return keys


def _authorless(k: MatchKey) -> bool:
    return not k.surname


@dataclass(frozen=True, slots=True)
class BlockFamily:
    """One way of putting records into blocks: `keys` gives a record's block keys.

    With `opener`, a pair in a block is a candidate only when at least one of the two records
    is an opener. (title, year) is such a family: two records that both have an author either
    share a (title, author) block already or are vetoed by the author guard, so the family only
    has to bring a record without an author to those that have one (or not).
    """

    keys: Callable[[MatchKey], tuple[str, ...]]
    opener: Callable[[MatchKey], bool] | None = None
    # For a family that gives each record at most one key: that key or None, which builds the
    # blocks of a million records without a tuple per record (`_family_blocks`).
    one: Callable[[MatchKey], str | None] | None = None

    def pairs(self, a: MatchKey, b: MatchKey) -> bool:
        """Whether two records sharing a block of this family are a candidate pair."""
        if _people_differ(_born(a), _born(b), _given(a), _given(b)):
            return False
        return self.opener is None or self.opener(a) or self.opener(b)


# Pairs whose main authors are certainly two people are left out of every block: `compare`
# would veto them at both levels (guard:author) whatever else agrees, so no edge is lost, and
# on a million records such homonyms fill the (surname, initial, title start) blocks.


def _born(k: MatchKey) -> int | None:
    """The main author's birth year, when the heading gives one."""
    return k.author[2] if k.author is not None else None


def _given(k: MatchKey) -> str | None:
    """The main author's first forename, when `names_compatible` is bound to compare it with
    another such record's: the surname is one word and not also among the forenames (else a
    direct-order heading may have moved a name across, and nothing is said)."""
    a = k.author
    if a is None or not a[1] or " " in a[0] or a[0] in a[1]:
        return None
    return a[1][0]


def _people_differ(
    born_a: int | None, born_b: int | None, given_a: str | None, given_b: str | None
) -> bool:
    """Two main authors that `author_relation` calls a conflict, from birth years and first
    forenames alone: two births that differ, or two first forenames that are not the same
    name or an initial of it ("Jens" and "Jørgen" Moe; "J." stands for either)."""
    if born_a is not None and born_b is not None and born_a != born_b:
        return True
    return given_a is not None and given_b is not None and not _given_compatible(given_a, given_b)


# Each family is built and dropped one at a time, which bounds memory on a full re-cluster.
# The last five are for typing slips in titles (too short to forgive below 5 characters): a
# single slip at position p in a title of 6 or more characters leaves at least one of "first
# three", "last three" and "first two + last two" intact, so the twin is still a candidate.
# The person families do the same without the year, so a slip in one edition's title does not
# cut it off from the work's other editions (the surname plus forename initial keeps them small).
# Every family but the identifiers' carries the part number: another part is vetoed anyway.
BLOCK_FAMILIES: tuple[BlockFamily, ...] = (
    BlockFamily(_identifier_blocks),
    BlockFamily(_title_author_blocks),
    BlockFamily(_keys_of_one(_title_year_key), opener=_authorless, one=_title_year_key),
    BlockFamily(_keys_of_one(_author_year_head_key), one=_author_year_head_key),
    BlockFamily(_keys_of_one(_author_year_tail_key), one=_author_year_tail_key),
    BlockFamily(_keys_of_one(_author_year_ends_key), one=_author_year_ends_key),
    BlockFamily(_keys_of_one(_person_head_key), one=_person_head_key),
    BlockFamily(_keys_of_one(_person_tail_key), one=_person_tail_key),
)


def block_keys(k: MatchKey) -> list[tuple[int, str]]:
    """The blocking keys of one record as (family, key) (for tests and `merge explain`)."""
    return [(f, bk) for f, fam in enumerate(BLOCK_FAMILIES) for bk in fam.keys(k)]


def _family_blocks(keys: Sequence[MatchKey], family: BlockFamily) -> dict[str, list[int]]:
    """Block key → member indices in index order, each record once per block."""
    blocks: dict[str, list[int]] = {}
    one = family.one
    if one is not None:
        for idx, key in enumerate(map(one, keys)):
            if key is not None:
                found = blocks.get(key)
                if found is None:
                    blocks[key] = [idx]
                else:
                    found.append(idx)
        return blocks
    block_keys_of = family.keys
    for idx, k in enumerate(keys):
        for bk in block_keys_of(k):
            members = blocks.get(bk)
            if members is None:
                blocks[bk] = [idx]
            elif members[-1] != idx:  # one record naming a block twice is one member
                members.append(idx)
    return blocks


# The family every record has a block of (title + author); see `_family_mates`.
_TITLE_AUTHOR = 1


def _family_mates(keys: Sequence[MatchKey], family: int) -> list[int]:
    """Per record, a number that two records share only if they are members of one block of
    `family` that is compared pairwise (2 to `MAX_BLOCK` members); records in no such block
    get a number of their own.

    A pair that met in such a block was a candidate there, under the same author filter, so
    a later family need not look at it again. Most pairs of the typing-slip families are of
    this kind (the same title by the same author shares every block), and telling them apart
    by a list lookup costs less than the seen-set, whose lookups miss the cache on a million
    records. A record in several blocks keeps the first; a pair across its others falls back
    on the seen-set, so the shortcut only saves work and never drops a pair.
    """
    mates = [-1 - x for x in range(len(keys))]
    for block, members in enumerate(_family_blocks(keys, BLOCK_FAMILIES[family]).values()):
        if 1 < len(members) <= MAX_BLOCK:
            for m in members:
                if mates[m] < 0:
                    mates[m] = block
    return mates


def iter_candidate_pairs(  # noqa: C901
    keys: Sequence[MatchKey],
    on_oversized: Callable[[str, int], None] | None = None,
    *,
    shard: int = 0,
    shards: int = 1,
    families: Sequence[int] | None = None,
    sharded: Sequence[int] | None = None,
    seen: set[int] | None = None,
) -> Iterator[tuple[int, int]]:
    """Yield each index pair (i < j) that shares at least one block, once.

    The set of pairs does not depend on the order of `keys` (up to renumbering); the order
    they are yielded in does, which is why the clusterer sorts edges before using them.
    With `shards` > 1 only the pairs whose smaller index is `shard` modulo `shards` are
    yielded: the shards are disjoint and together give every pair, so processes can compare
    one shard each without talking to one another.

    With `families` (indices into `BLOCK_FAMILIES`, ascending) only the pairs of those
    families are yielded: once each, and none that shares a pairwise-compared title + author
    block (`_family_mates`) when that family comes earlier. With `sharded`, only those
    families are split into shards, the others yielded whole. Two calls that split the
    families or shards differently may both yield a pair; together they yield every pair.
    `seen` receives each pair yielded, encoded as i * len(keys) + j (a caller's set, to drop
    another call's repeats).
    """
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} is not one of {shards}")
    chosen = range(len(BLOCK_FAMILIES)) if families is None else families
    n_keys = len(keys)
    who = _signatures(keys)
    if seen is None:
        seen = set()  # pairs encoded as i * n + j: cheaper to hold and hash than tuples
    twin: list[int] | None = None  # `_family_mates` of the title + author family
    if _TITLE_AUTHOR not in chosen and any(f > _TITLE_AUTHOR for f in chosen):
        twin = _family_mates(keys, _TITLE_AUTHOR)
    whole_shards = shards
    for f in chosen:
        family = BLOCK_FAMILIES[f]
        blocks = _family_blocks(keys, family)
        opener = family.opener
        shards = whole_shards if sharded is None or f in sharded else 1
        part = shard if shards > 1 else 0
        if f == _TITLE_AUTHOR:
            twin = [-1 - x for x in range(n_keys)]
        for block, (bk, members) in enumerate(blocks.items()):
            n = len(members)
            if n < 2:
                continue
            if n > MAX_BLOCK:
                if part == 0:
                    log.warning("block %r has %d records; not compared pairwise", bk, n)
                    if on_oversized is not None:
                        on_oversized(bk, n)
                continue
            if f == _TITLE_AUTHOR:
                assert twin is not None
                for m in members:
                    if twin[m] < 0:
                        twin[m] = block
                ti = None
            elif f > _TITLE_AUTHOR:
                assert twin is not None
                ti = twin
                t0 = twin[members[0]]
                if t0 >= 0 and all(twin[m] == t0 for m in members):
                    continue  # every pair met in that title + author block
            else:
                ti = None
            if n == 2 and opener is None:  # the commonest block: one pair, checked directly
                i, j = members
                if ti is not None and ti[i] == ti[j]:
                    continue
                wi, wj = who[i], who[j]
                if (shards == 1 or i % shards == part) and (
                    wi is None
                    or wj is None
                    or wi is wj
                    or not _people_differ(wi[0], wj[0], wi[1], wj[1])
                ):
                    code = i * n_keys + j
                    if code not in seen:
                        seen.add(code)
                        yield i, j
                continue
            opens = None
            if opener is not None:
                opens = [opener(keys[m]) for m in members]
                if not any(opens):
                    continue
            mates = _people_mates(members, who)
            # Members were appended in index order, so every later member is the larger index.
            for x in range(n - 1):
                i = members[x]
                if shards > 1 and i % shards != part:
                    continue
                base = i * n_keys
                if opens is None or opens[x]:
                    if mates is None:
                        later = members[x + 1 :]
                    else:  # only the members whose authors may be this one's
                        ys = mates[x]
                        later = [members[y] for y in ys[bisect_right(ys, x) :]]
                else:  # only the openers among those
                    cand: Sequence[int] = mates[x] if mates is not None else range(n)
                    later = [members[y] for y in cand[bisect_right(cand, x) :] if opens[y]]
                if ti is not None:
                    tx = ti[i]
                    later = [j for j in later if ti[j] != tx]
                for j in later:
                    code = base + j
                    if code not in seen:
                        seen.add(code)
                        yield i, j
        del blocks


_Signature = tuple[int | None, str | None]


def _signatures(keys: Sequence[MatchKey]) -> list[_Signature | None]:
    """Per record, (birth year, first forename) of its main author as `_people_differ` weighs
    them, or None when neither is known (such a record differs from nobody). Equal signatures
    are one object, so a block whose members all share one is recognised by identity."""
    shared: dict[_Signature, _Signature] = {}
    out: list[_Signature | None] = [None] * len(keys)
    for x, k in enumerate(keys):
        a = k.author  # `_born` and `_given`, inline: this runs once per record
        if a is None:
            continue
        surname, forenames, born = a[0], a[1], a[2]
        given = None if not forenames or " " in surname or surname in forenames else forenames[0]
        if born is not None or given is not None:
            sig = (born, given)
            out[x] = shared.setdefault(sig, sig)
    return out


def _people_mates(members: list[int], who: list[_Signature | None]) -> list[list[int]] | None:
    """Per member of a block, the positions of the members whose main authors may be the same
    person (`_people_differ`), ascending; None when that is every member (most blocks).

    The distinct signatures of a block are few, and in most blocks no two of them differ, which
    is checked first. Otherwise members are grouped by signature and groups weighed against
    each other once, so a block of many homonyms costs its groups squared, not its members
    squared.
    """
    sig_of = [who[m] for m in members]
    distinct = set(sig_of)
    distinct.discard(None)
    if len(distinct) <= 1:  # a record without a signature differs from nobody
        return None
    known: list[_Signature] = list(distinct)  # type: ignore[arg-type]  # None discarded
    if not any(
        _people_differ(s[0], t[0], s[1], t[1]) for x, s in enumerate(known) for t in known[x + 1 :]
    ):
        return None
    groups: dict[_Signature | None, list[int]] = {}
    for pos, sig in enumerate(sig_of):
        groups.setdefault(sig, []).append(pos)
    mates_of = {
        s: sorted(
            pos
            for t, positions in groups.items()
            if s is None or t is None or not _people_differ(s[0], t[0], s[1], t[1])
            for pos in positions
        )
        for s in groups
    }
    return [mates_of[sig] for sig in sig_of]


def candidate_pairs(keys: Sequence[MatchKey]) -> list[tuple[int, int]]:
    """All candidate index pairs, sorted (for tests and small sets)."""
    return sorted(iter_candidate_pairs(keys))


def block_index(keys: Sequence[MatchKey]) -> list[dict[str, list[int]]]:
    """Per family, block key → record indices, oversized blocks left out (as in
    `candidate_pairs`), for the incremental path that looks up one record's mates."""
    out: list[dict[str, list[int]]] = []
    for family in BLOCK_FAMILIES:
        blocks = _family_blocks(keys, family)
        out.append({bk: m for bk, m in blocks.items() if 1 < len(m) <= MAX_BLOCK})
    return out


def block_mates(
    keys: Sequence[MatchKey], index: Sequence[dict[str, list[int]]], x: int
) -> set[int]:
    """Every record that makes a candidate pair with record `x` (the pairs of
    `iter_candidate_pairs` that contain `x`), looked up in a `block_index`."""
    k = keys[x]
    mates: set[int] = set()
    for blocks, family in zip(index, BLOCK_FAMILIES, strict=True):
        for bk in family.keys(k):
            members = blocks.get(bk)
            if members is None:
                continue
            if family.opener is None or family.opener(k):
                mates.update(members)
            else:
                mates.update(m for m in members if family.opener(keys[m]))
    mates.discard(x)
    bx, gx = _born(k), _given(k)
    if bx is not None or gx is not None:
        mates = {m for m in mates if not _people_differ(bx, _born(keys[m]), gx, _given(keys[m]))}
    return mates
