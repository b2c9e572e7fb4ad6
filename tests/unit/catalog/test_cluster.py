"""Tests for catalog.cluster: guards hold pairwise, order independence, overrides, incremental."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.gen_labelled import Labelled, generate
from catalog import cluster as cluster_module
from catalog.cluster import (
    Assignment,
    Override,
    Overrides,
    cluster_full,
    cluster_incremental,
    stable_id,
)
from catalog.match import (
    MatchKey,
    candidate_pairs,
    iter_candidate_pairs,
    manifestation_vetoed,
    match_key,
    work_vetoed,
)
from catalog.records import BibRecord


def _keys(data: list[Labelled]) -> list[MatchKey]:
    return [match_key(d.record) for d in data]


def _groups(assignment: Assignment, level: str) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for k, p in assignment.items():
        out[getattr(p, level)].append(k)
    return out


def test_guards_hold_for_every_pair_inside_a_cluster(labelled_small: list[Labelled]) -> None:
    """No two records in one cluster (work) are vetoed, not just the pairs that built it."""
    keys = _keys(labelled_small)
    by_key = {k.key: k for k in keys}
    a = cluster_full(keys)
    for level, vetoed in (("cluster", manifestation_vetoed), ("work", work_vetoed)):
        for members in _groups(a, level).values():
            for i, x in enumerate(members):
                for y in members[i + 1 :]:
                    assert not vetoed(by_key[x], by_key[y]), (level, x, y)


def test_every_cluster_lies_inside_one_work(labelled_small: list[Labelled]) -> None:
    """Works are unions of whole manifestation clusters."""
    a = cluster_full(_keys(labelled_small))
    work_of: dict[str, set[str]] = defaultdict(set)
    for p in a.values():
        work_of[p.cluster].add(p.work)
    assert all(len(w) == 1 for w in work_of.values())


@settings(max_examples=3, deadline=None)
@given(st.integers(0, 2**32))
def test_order_independent(labelled_small: list[Labelled], seed: int) -> None:
    """The same records in any order give the same cluster, work and component ids."""
    keys = _keys(labelled_small)
    shuffled = keys[:]
    random.Random(seed).shuffle(shuffled)
    assert cluster_full(shuffled) == cluster_full(keys)


def test_ids_derive_from_smallest_member(labelled_small: list[Labelled]) -> None:
    """A cluster's id is the stable hash of its smallest member key."""
    a = cluster_full(_keys(labelled_small))
    for cid, members in _groups(a, "cluster").items():
        assert cid == stable_id("m", min(members))


def _rec(rid: str, source: str, author: str | None) -> BibRecord:
    return BibRecord(
        source=source, record_id=rid, title="Vinterhav", main_author=author,
        publisher="Oktober", year=2019, extent="222 s.",
    )  # fmt: skip


def test_no_transitive_chaining_through_a_record_without_author() -> None:
    """A~B and B~C but A and C by different authors: the three never share one cluster."""
    a = _rec("1", "public", "Ørstavik, Hanne")
    b = _rec("2", "school", None)
    c = _rec("3", "other", "Ragde, Anne B.")
    result = cluster_full([match_key(r) for r in (a, b, c)])
    assert len({p.cluster for p in result.values()}) >= 2
    assert result[a.key].cluster != result[c.key].cluster


def test_split_and_join_overrides(labelled_small: list[Labelled]) -> None:
    """split keeps a record alone at both levels; join merges across guards; a later split wins."""
    keys = _keys(labelled_small)
    a = cluster_full(keys)
    multi = next(m for m in _groups(a, "cluster").values() if len(m) >= 2)
    target = multi[0]
    split = cluster_full(keys, Overrides.from_events([Override("split", target)]))
    assert [k for k, p in split.items() if p.cluster == split[target].cluster] == [target]
    assert [k for k, p in split.items() if p.work == split[target].work] == [target]

    x, y = keys[0].key, keys[-1].key
    assert a[x].cluster != a[y].cluster
    joined = cluster_full(keys, Overrides.from_events([Override("join", x, y)]))
    assert joined[x].cluster == joined[y].cluster and joined[x].work == joined[y].work
    undone = Overrides.from_events([Override("join", x, y), Override("split", x)])
    assert cluster_full(keys, undone)[x].cluster != cluster_full(keys, undone)[y].cluster


def _mutate(
    data: list[Labelled], rnd: random.Random, share: float
) -> tuple[list[BibRecord], set[tuple[str, str]]]:
    """Change, delete and add about `share` of the records, as a sync would."""
    records = [d.record for d in data]
    n = max(3, int(len(records) * share))
    changed: set[tuple[str, str]] = set()
    for i in rnd.sample(range(len(records)), n):
        r = records[i]
        op = rnd.randrange(4)
        if op == 0:
            records[i] = replace(r, title=r.title + " og mer")
        elif op == 1:
            records[i] = replace(r, year=(r.year or 2000) + 1)
        elif op == 2:
            records[i] = replace(r, isbns=())
        else:
            records[i] = replace(r, main_author=None)
        changed.add(r.key)
    for i in sorted(rnd.sample(range(len(records)), n // 3), reverse=True):
        changed.add(records[i].key)
        del records[i]
    extra = [d.record for d in generate(3, seed=rnd.randrange(10**6))]
    extra = [replace(r, record_id="new-" + r.record_id) for r in extra]
    records += extra
    changed |= {r.key for r in extra}
    return records, changed


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from([0.01, 0.03]))
def test_incremental_equals_full(labelled_small: list[Labelled], seed: int, share: float) -> None:
    """Re-clustering only what a 1-3 % sync touched gives exactly the full re-cluster."""
    before = cluster_full(_keys(labelled_small))
    records, changed = _mutate(labelled_small, random.Random(seed), share)
    keys = [match_key(r) for r in records]
    incremental, touched = cluster_incremental(keys, before, changed)
    assert incremental == cluster_full(keys)
    assert len(touched) < len(keys) / 2  # it really was incremental


def test_incremental_respects_new_overrides(labelled_small: list[Labelled]) -> None:
    """An override added between syncs takes effect on the incremental path too."""
    keys = _keys(labelled_small)
    before = cluster_full(keys)
    x, y = keys[1].key, keys[-2].key
    ov = Overrides.from_events([Override("join", x, y)])
    incremental, _ = cluster_incremental(keys, before, ov.records(), ov)
    assert incremental == cluster_full(keys, ov)
    assert incremental[x].cluster == incremental[y].cluster


def test_explain_names_rule_and_the_member_that_kept_a_pair_apart() -> None:
    """explain says which rule decided, and which vetoed pair kept a matching pair apart."""
    from catalog.cluster import explain_pair

    base = replace(_rec("1", "public", "Lunde, Ane"))
    twin = replace(base, source="school", record_id="2")
    sibling = replace(base, record_id="3", isbns=())  # same source as `base`, no shared identifier
    keys = [match_key(r) for r in (base, twin, sibling)]
    a = cluster_full(keys)
    ex = explain_pair(keys[0], keys[1], a, keys)
    assert ex.same_cluster and ex.decision.rule == "title+author+year"
    assert any("title+author+year" in line for line in ex.lines())
    ex2 = explain_pair(keys[2], keys[1], a, keys)
    assert not ex2.same_cluster and ex2.same_work
    assert ex2.blocked_by is not None and "same-source" in ex2.blocked_by[2]


def test_parallel_comparison_equals_serial(
    labelled_small: list[Labelled], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Comparing pairs in two forked processes gives exactly the serial assignment."""
    monkeypatch.setattr(cluster_module, "PARALLEL_MIN_RECORDS", 0)
    keys = _keys(labelled_small)
    assert cluster_full(keys, workers=2) == cluster_full(keys)


@pytest.mark.parametrize("shards", [2, 3])
def test_candidate_pair_shards_partition_the_pairs(
    labelled_small: list[Labelled], shards: int
) -> None:
    """The shards of `iter_candidate_pairs` are disjoint and together give every pair once."""
    keys = _keys(labelled_small)
    parts = [list(iter_candidate_pairs(keys, shard=s, shards=shards)) for s in range(shards)]
    flat = [p for part in parts for p in part]
    assert len(flat) == len(set(flat))
    assert sorted(flat) == candidate_pairs(keys)
    assert all(i < j for i, j in flat)


def test_sequential_shards_equal_one_pass(
    labelled_small: list[Labelled], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Comparing in several passes of one process (to bound memory) changes nothing."""
    keys = _keys(labelled_small)
    whole = cluster_full(keys)
    monkeypatch.setattr(cluster_module, "SHARD_RECORDS", 300)
    assert cluster_full(keys) == whole
