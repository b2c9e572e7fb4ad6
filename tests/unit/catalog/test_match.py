"""Tests for catalog.match: guards, identifier and descriptive rules, blocking."""

from __future__ import annotations

import random
import sys
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.gen_labelled import Labelled
from catalog import match as match_module
from catalog.match import (
    BLOCK_FAMILIES,
    AuthorRelation,
    BlockFamily,
    MatchKey,
    Verdict,
    author_relation,
    block_index,
    block_keys,
    block_mates,
    candidate_pairs,
    compare,
    iter_candidate_pairs,
    manifestation_vetoed,
    match_key,
    match_keys,
    names_compatible,
    work_vetoed,
)
from catalog.records import BibRecord

BASE = BibRecord(
    source="public",
    record_id="p1",
    title="Blodmåne",
    subtitle="kriminalroman",
    main_author="Nesbø, Jo, 1960-",
    isbns=("978-82-03-36563-8",),
    publisher="Aschehoug",
    year=2022,
    extent="510 s.",
)
SAME = BibRecord(
    source="school",
    record_id="s9",
    title="BLODMÅNE : KRIMINALROMAN",
    main_author="Jo Nesbø",
    isbns=("8203365639 (ib.)",),
    publisher="H. Aschehoug & Co.",
    year=2022,
    extent="510 sider",
)


def decide(a: BibRecord, b: BibRecord):  # type: ignore[no-untyped-def]
    return compare(match_key(a), match_key(b), explain=True)


def test_same_book_two_systems_matches_on_identifier() -> None:
    """ISBN-10 + qualifier vs hyphenated ISBN-13, subtitle in $a vs $b: one manifestation."""
    d = decide(BASE, SAME)
    assert d.manifestation is Verdict.MATCH and d.rule == "identifier"
    assert d.work is Verdict.MATCH


def test_same_book_without_isbn_matches_on_description() -> None:
    """Without ISBNs, title + author + year (corroborated by publisher) decide."""
    d = decide(replace(BASE, isbns=()), replace(SAME, isbns=()))
    assert d.manifestation is Verdict.MATCH and d.rule == "title+author+year"


def test_typo_in_title_matches_only_when_corroborated() -> None:
    """A typing slip in the title is forgiven with author, year and publisher agreeing."""
    slip = replace(SAME, isbns=(), title="Blodmnåe : kriminalroman")
    assert decide(replace(BASE, isbns=()), slip).manifestation is Verdict.MATCH
    bare = replace(slip, publisher=None, extent=None)
    assert decide(replace(BASE, isbns=()), bare).manifestation is Verdict.NO_MATCH


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"record_type": "i", "content_types": ("talt ord",)}, "guard:format"),
        ({"physical": ("cr",), "carrier_types": ("online ressurs",)}, "guard:format"),
        ({"edition": "2. utg."}, "guard:edition"),
        ({"year": 2023}, "guard:year"),
        ({"part_number": "2"}, "guard:part"),
        ({"main_author": "Nesbø, Per"}, "guard:author"),
        ({"main_author": "Ragde, Anne B."}, "guard:author"),
        ({"source": "public", "isbns": ()}, "guard:same-source-without-shared-identifier"),
        ({"isbns": ("9788205512344",)}, "guard:identifier-conflict"),
    ],
)
def test_guards_veto_even_with_shared_identifier(change: dict, rule: str | None) -> None:  # type: ignore[type-arg]
    """Another format, edition, year, volume, author or same-source record never merges."""
    other = replace(SAME, **change)
    d = decide(BASE, other)
    assert d.manifestation is Verdict.VETO
    if rule is not None:
        assert d.rule == rule
    assert manifestation_vetoed(match_key(BASE), match_key(other))


def test_other_format_and_edition_are_the_same_work() -> None:
    """An audiobook and a later edition are other manifestations of the same work."""
    audio = replace(SAME, record_type="i", content_types=("talt ord",), isbns=())
    later = replace(SAME, year=2025, edition="2. utgave", isbns=())
    for other in (audio, later):
        d = decide(BASE, other)
        assert d.manifestation is Verdict.VETO
        assert d.work is Verdict.MATCH and d.work_rule == "work:title+author"


def test_same_title_other_author_is_another_work() -> None:
    """The same title by another author is vetoed at both levels."""
    d = decide(BASE, replace(SAME, main_author="Ørstavik, Hanne", isbns=()))
    assert d.work is Verdict.VETO


def test_series_volumes_are_other_works() -> None:
    """Two volumes with one title and different part numbers never share a work."""
    v1 = replace(BASE, title="Isfolket", subtitle=None, part_number="Bd. 1", isbns=())
    v2 = replace(SAME, title="Isfolket. Bd. 2", isbns=())
    assert decide(v1, v2).work is Verdict.VETO


def test_explain_names_the_evidence() -> None:
    """An explained decision lists what was observed."""
    d = decide(BASE, SAME)
    assert any(x.startswith("shared 978") for x in d.details)


def _pairs(data: list[Labelled], n: int, seed: int) -> list[tuple[BibRecord, BibRecord]]:
    rnd = random.Random(seed)
    by_work: dict[str, list[BibRecord]] = {}
    for d in data:
        by_work.setdefault(d.work, []).append(d.record)
    groups = [g for g in by_work.values() if len(g) > 1]
    out = []
    for _ in range(n):
        if rnd.random() < 0.6:
            g = rnd.choice(groups)
            out.append(tuple(rnd.sample(g, 2)))
        else:
            out.append(tuple(rnd.sample([d.record for d in data], 2)))
    return out  # type: ignore[return-value]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_compare_is_symmetric_and_consistent(labelled_small: list[Labelled], seed: int) -> None:
    """compare(a, b) == compare(b, a); the cheap veto checks agree with compare; a manifestation
    match is always a work match."""
    for a, b in _pairs(labelled_small, 40, seed):
        ka, kb = match_key(a), match_key(b)
        d, e = compare(ka, kb), compare(kb, ka)
        assert (d.manifestation, d.rule, d.work, d.work_rule) == (
            e.manifestation,
            e.rule,
            e.work,
            e.work_rule,
        )
        assert manifestation_vetoed(ka, kb) == (d.manifestation is Verdict.VETO)
        assert work_vetoed(ka, kb) == (d.work is Verdict.VETO)
        if d.manifestation is Verdict.MATCH:
            assert d.work is Verdict.MATCH
        assert compare(ka, kb, explain=True).manifestation is d.manifestation


def test_candidate_pairs_cover_every_true_pair_sharing_a_block(
    labelled_small: list[Labelled],
) -> None:
    """Every pair that shares a block key is a candidate (if the family pairs them), and only
    those."""
    keys = [match_key(d.record) for d in labelled_small[:400]]
    pairs = set(candidate_pairs(keys))
    blocks = [set(block_keys(k)) for k in keys]
    for i in range(0, 400, 7):
        for j in range(i + 1, 400):
            shared = {f for f, _ in blocks[i] & blocks[j]}
            paired = any(BLOCK_FAMILIES[f].pairs(keys[i], keys[j]) for f in shared)
            assert ((i, j) in pairs) == paired


def test_title_year_block_pairs_only_with_a_record_without_author() -> None:
    """Two authored records of one title and year are not paired by the (title, year) block
    (they share a title block or are vetoed), but an authorless one is paired with both."""
    a = match_key(replace(BASE, isbns=()))
    b = match_key(replace(BASE, record_id="b", main_author="Ragde, Anne B.", isbns=()))
    c = match_key(replace(BASE, record_id="c", main_author=None, isbns=()))
    assert candidate_pairs([a, b, c]) == [(0, 2), (1, 2)]


def test_other_parts_share_no_title_block() -> None:
    """Volumes 3 and 4 of a title are never candidates through their titles (always vetoed)."""
    v3 = match_key(replace(BASE, isbns=(), part_number="3"))
    v4 = match_key(replace(BASE, record_id="v4", isbns=(), part_number="4"))
    assert candidate_pairs([v3, v4]) == []
    assert compare(v3, v4).work is Verdict.VETO


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("Nesbø, Jo, 1960-", "Nesbø, Jo", True),
        ("Jo Nesbø", "Nesbø, Jo (1960-)", True),
        ("Nesbø, Jo, 1960-", "Nesbø, Jo, 1961-", False),
        ("Nesbø, Jo, 1960-", "Nesbø, Jon", False),
    ],
)
def test_author_relation_agrees_with_names_compatible(one: str, other: str, same: bool) -> None:
    """The shortcut for headings that differ only in dates says what `names_compatible` says."""
    a = match_key(replace(BASE, main_author=one))
    b = match_key(replace(SAME, main_author=other))
    assert a.author is not None and b.author is not None
    assert names_compatible(a.author, b.author) is same
    expected = AuthorRelation.MATCH if same else AuthorRelation.CONFLICT
    assert author_relation(a, b) is expected
    assert work_vetoed(a, b) is not same


def test_author_found_in_statement_of_responsibility() -> None:
    """A record without 100 but with "Jo Nesbø" in 245 $c still meets its twin."""
    bare = replace(SAME, isbns=(), main_author=None, responsibility="Jo Nesbø ; oversatt av X")
    d = decide(replace(BASE, isbns=()), bare)
    assert d.manifestation is Verdict.MATCH and d.work is Verdict.MATCH
    other = replace(bare, responsibility="Anne B. Ragde")
    assert decide(replace(BASE, isbns=()), other).manifestation is not Verdict.MATCH


def test_bookland_ean_counts_as_isbn() -> None:
    """An ISBN-13 keyed as an EAN in 024 meets the same ISBN in 020."""
    ean_only = replace(SAME, isbns=(), other_identifiers=("9788203365638",))
    assert decide(BASE, ean_only).rule == "identifier"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Nesbø, Jo, 1960-", "Nesbø, Jo, 1961-"),  # homonyms told apart by birth
        ("Moe, Jens", "Moe, Jørgen"),  # first forenames that are two names
    ],
)
def test_two_people_share_no_block(one: str, other: str) -> None:
    """Records whose main authors are certainly two people are never candidates, and would
    have been vetoed at both levels had they been compared."""
    a = match_key(replace(BASE, main_author=one))
    b = match_key(replace(SAME, main_author=other, isbns=BASE.isbns))
    assert candidate_pairs([a, b]) == []
    d = compare(a, b)
    assert d.manifestation is Verdict.VETO and d.work is Verdict.VETO


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Moe, Jens", "Moe, J."),  # an initial stands for the name
        ("Saabye Christensen, Lars", "Lars Saabye Christensen"),  # a name moved across
        ("Saabye Christensen, Lars", "Saabye Christensen"),
        ("Nesbø, Jo, 1960-", "Nesbø, Jo"),
    ],
)
def test_one_person_written_two_ways_still_shares_blocks(one: str, other: str) -> None:
    """Headings that may name one person stay candidates (what `names_compatible` decides)."""
    a = match_key(replace(BASE, main_author=one))
    b = match_key(replace(SAME, main_author=other))
    assert candidate_pairs([a, b]) == [(0, 1)]


def test_pairs_left_out_for_their_authors_are_vetoed(labelled_small: list[Labelled]) -> None:
    """Blocking leaves out a pair for its authors only when `compare` vetoes it (no edge lost)."""
    keys = [match_key(d.record) for d in labelled_small]
    any_family = BlockFamily(lambda k: ())  # no opener: only the authors can refuse a pair
    blocks: dict[tuple[int, str], list[int]] = {}
    for i, k in enumerate(keys):
        for bk in block_keys(k):
            blocks.setdefault(bk, []).append(i)
    left_out = 0
    for members in blocks.values():
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                if not any_family.pairs(keys[i], keys[j]):
                    left_out += 1
                    assert compare(keys[i], keys[j]).work is Verdict.VETO
    assert left_out > 0


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_match_keys_in_processes_equal_keys_made_here(
    labelled_small: list[Labelled], workers: int
) -> None:
    """Keying in forked processes gives the same keys in the same order, strings interned."""
    records = [d.record for d in labelled_small[:700]]
    keys = list(match_keys(records, workers=workers, chunk=50))
    assert keys == [match_key(r) for r in records]
    assert all(k.title is sys.intern(k.title) for k in keys)


def test_match_keys_in_processes_share_author_headings(labelled_small: list[Labelled]) -> None:
    """Keys from another process hold no more AuthorName objects than keys made here."""
    records = [d.record for d in labelled_small[:400]]

    def objects(keys: list[MatchKey]) -> int:
        return len({id(k.author) for k in keys if k.author is not None})

    here = objects([match_key(r) for r in records])
    assert objects(list(match_keys(records, workers=2, chunk=20))) <= here


@pytest.mark.parametrize("max_block", [3, 400])
def test_candidate_pairs_equal_every_record_s_block_mates(
    labelled_small: list[Labelled], max_block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pairs of the full pass (which skips pairs a title + author block already made) are
    exactly the pairs the incremental path finds record by record, also when some title +
    author blocks are too large to compare (3: many are)."""
    monkeypatch.setattr(match_module, "MAX_BLOCK", max_block)
    keys = [match_key(d.record) for d in labelled_small]
    index = block_index(keys)
    expected = {
        (min(x, y), max(x, y)) for x in range(len(keys)) for y in block_mates(keys, index, x)
    }
    pairs = list(iter_candidate_pairs(keys))
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == expected


def test_split_families_together_give_every_pair(labelled_small: list[Labelled]) -> None:
    """Two calls that split the families and shards (as the parallel clusterer does) yield
    every pair between them, each call no pair twice, and `seen` holds what a call yielded."""
    keys = [match_key(d.record) for d in labelled_small]
    seen: set[int] = set()
    here = list(
        iter_candidate_pairs(keys, shard=0, shards=2, families=(1, 2), sharded=(1,), seen=seen)
    )
    there = list(
        iter_candidate_pairs(keys, shard=1, shards=2, families=(0, 1, 3, 4, 5, 6, 7), sharded=(1,))
    )
    assert len(here) == len(set(here)) and len(there) == len(set(there))
    assert seen == {i * len(keys) + j for i, j in here}
    assert set(here) | set(there) == set(candidate_pairs(keys))
    assert there  # the child's share is not empty


def test_match_keys_in_processes_raise_a_record_s_error() -> None:
    """A record that cannot be keyed fails the same way in a keying process as here (the
    first chunk goes to the keying process)."""
    bad = replace(BASE, record_id="bad", isbns=None)  # type: ignore[arg-type]
    records = [replace(BASE, record_id=str(i)) for i in range(30)]
    records[5] = bad
    with pytest.raises(TypeError):
        match_key(bad)
    with pytest.raises(TypeError):
        list(match_keys(records, workers=2, chunk=10))
