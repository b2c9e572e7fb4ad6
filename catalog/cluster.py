"""Clustering at two levels: manifestation clusters, and works made of whole clusters.

The algorithm, and why it cannot chain two different books together:

1. Candidate pairs come from blocking (`catalog.match.candidate_pairs`); each is decided by
   `catalog.match.compare`. Pairs that match at the work level are edges; a manifestation match
   is always a work match too.
2. Edges split the records into *components*. Everything below runs per component, so a
   component's result depends only on its own records — which is what makes the incremental
   path exact (see `cluster_incremental`).
3. Manifestations: start from singletons, apply librarian joins, then follow manifestation
   edges strongest first (ties broken by record keys, so input order never matters), merging two
   clusters only when *no pair across them is vetoed*. Guards therefore hold pairwise inside
   every cluster, not just along the edges that built it.
4. Works: start from the manifestation clusters and do the same with work edges and work vetoes.
5. Ids are a stable hash of the smallest member key ("m-…", "w-…", "c-…"), so the same records
   give the same ids whatever order they arrived in.

Overrides: `join A B` puts A and B in one manifestation (and so one work) whatever the guards
say. `split R` makes the clusterer ignore every match of R's own, at both levels, so R stands
alone; a later `join R X` puts it with X, and X's cluster mates may then join them through their
own matches (guards checked against R as against anyone).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import multiprocessing as mp
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Literal, NamedTuple

from catalog.match import (
    Decision,
    Key,
    MatchKey,
    Verdict,
    block_index,
    block_mates,
    compare,
    iter_candidate_pairs,
    manifestation_vetoed,
    work_vetoed,
)

log = logging.getLogger(__name__)


class Placement(NamedTuple):
    """Where one record ended up: its manifestation cluster, work and component ids."""

    cluster: str
    work: str
    component: str


Assignment = dict[Key, Placement]


@dataclass(frozen=True, slots=True)
class Override:
    """One librarian decision, in the order it was made."""

    op: Literal["split", "join"]
    record: Key
    other: Key | None = None

    def __post_init__(self) -> None:
        if self.op == "join" and (self.other is None or self.other == self.record):
            raise ValueError("join needs two different records")
        if self.op == "split" and self.other is not None:
            raise ValueError("split takes one record")


@dataclass(frozen=True, slots=True)
class Overrides:
    """The effect of a sequence of overrides: later decisions win over earlier ones."""

    splits: frozenset[Key] = frozenset()
    joins: frozenset[tuple[Key, Key]] = frozenset()

    @classmethod
    def from_events(cls, events: Iterable[Override]) -> Overrides:
        """Replay decisions in order; a split cancels earlier joins of that record."""
        splits: set[Key] = set()
        joins: set[tuple[Key, Key]] = set()
        for ev in events:
            if ev.op == "split":
                splits.add(ev.record)
                joins = {j for j in joins if ev.record not in j}
            else:
                assert ev.other is not None
                a, b = sorted((ev.record, ev.other))
                joins.add((a, b))
        return cls(frozenset(splits), frozenset(joins))

    def records(self) -> set[Key]:
        """Every record an override names (they count as changed when overrides change)."""
        out = set(self.splits)
        for a, b in self.joins:
            out.update((a, b))
        return out


def _digest(key: Key) -> str:
    return hashlib.blake2b(f"{key[0]}\x1f{key[1]}".encode(), digest_size=8).hexdigest()


def stable_id(prefix: str, key: Key) -> str:
    """A short id that depends only on the key: prefix + 16 hex digits of BLAKE2b."""
    return f"{prefix}-{_digest(key)}"


# --- union-find over indices ----------------------------------------------------------------


class _Groups:
    """Union-find with member lists, so a merge can check every pair across two groups."""

    def __init__(self, members: Iterable[Iterable[int]]) -> None:
        self.root: dict[int, int] = {}
        self.members: dict[int, list[int]] = {}
        for group in members:
            g = list(group)
            r = g[0]
            self.members[r] = g
            for x in g:
                self.root[x] = r

    def find(self, x: int) -> int:
        return self.root[x]

    def merge(self, ra: int, rb: int) -> None:
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        moved = self.members.pop(rb)
        for x in moved:
            self.root[x] = ra
        self.members[ra].extend(moved)


@dataclass(slots=True)
class _Component:
    """One component's records (indices) and its work-level edges with their decisions."""

    members: list[int]
    edges: list[tuple[int, int, Decision]] = field(default_factory=list)
    joins: list[tuple[int, int]] = field(default_factory=list)


def _greedy(
    groups: _Groups,
    edges: Sequence[tuple[int, int]],
    vetoed: Callable[[int, int], bool],
) -> None:
    """Follow edges in order, merging groups only when no pair across them is vetoed."""
    for i, j in edges:
        ri, rj = groups.find(i), groups.find(j)
        if ri == rj:
            continue
        mi, mj = groups.members[ri], groups.members[rj]
        if any(vetoed(x, y) for x in mi for y in mj):
            continue
        groups.merge(ri, rj)


def _cluster_component(
    comp: _Component,
    keys: Sequence[MatchKey],
    overrides: Overrides,
) -> dict[int, Placement]:
    """Both levels for one component (pure function of its records, edges and overrides)."""
    members = comp.members
    if len(members) == 1:
        h = _digest(keys[members[0]].key)
        return {members[0]: Placement(f"m-{h}", f"w-{h}", f"c-{h}")}
    if len(members) == 2 and len(comp.edges) == 1 and not comp.joins:
        comp_id = stable_id("c", min(keys[x].key for x in members))
        placed = _pair_placements(comp, keys, overrides, comp_id)
        if placed is not None:
            return placed
    # Records ranked by key once: ordering edges and naming groups by rank is ordering and
    # naming them by key (keys are unique), without comparing key tuples per edge.
    by_key = sorted(members, key=lambda x: keys[x].key)
    rank = {x: r for r, x in enumerate(by_key)}
    comp_id = stable_id("c", keys[by_key[0]].key)

    # An edge's own decision already says whether its two records are vetoed: a veto would
    # have made it VETO, and every edge is a work-level match.
    cache: dict[tuple[int, int], bool] = {}
    w_cache: dict[tuple[int, int], bool] = {}
    for i, j, d in comp.edges:
        pair = (i, j) if i < j else (j, i)
        cache[pair] = d.manifestation is Verdict.VETO
        w_cache[pair] = False

    def m_vetoed(x: int, y: int) -> bool:
        pair = (x, y) if x < y else (y, x)
        v = cache.get(pair)
        if v is None:
            v = cache[pair] = manifestation_vetoed(keys[pair[0]], keys[pair[1]])
        return v

    split = {x for x in members if keys[x].key in overrides.splits}

    def order(edge: tuple[int, int, Decision]) -> tuple[float, int, int]:
        ri, rj = rank[edge[0]], rank[edge[1]]
        return (-edge[2].score, ri, rj) if ri < rj else (-edge[2].score, rj, ri)

    def join_order(join: tuple[int, int]) -> tuple[int, int]:
        ri, rj = rank[join[0]], rank[join[1]]
        return (ri, rj) if ri < rj else (rj, ri)

    edges = sorted(comp.edges, key=order)
    joins = sorted(comp.joins, key=join_order)
    if split:
        edges = [e for e in edges if e[0] not in split and e[1] not in split]

    # Manifestations.
    m = _Groups([x] for x in members)
    for i, j in joins:
        ri, rj = m.find(i), m.find(j)
        if ri != rj:
            m.merge(ri, rj)
    _greedy(
        m,
        [(i, j) for i, j, d in edges if d.manifestation is Verdict.MATCH],
        m_vetoed,
    )

    # Works, built from whole manifestation clusters.
    w = _Groups(list(g) for g in m.members.values())

    def w_vetoed(x: int, y: int) -> bool:
        # Work guards are symmetric; two clusters may be weighed against each other many
        # times as edges between them are followed.
        pair = (x, y) if x < y else (y, x)
        v = w_cache.get(pair)
        if v is None:
            v = w_cache[pair] = work_vetoed(keys[pair[0]], keys[pair[1]])
        return v

    _greedy(
        w,
        [(i, j) for i, j, d in edges if d.work is Verdict.MATCH],
        w_vetoed,
    )

    out: dict[int, Placement] = {}
    work_of: dict[int, str] = {}
    for group in w.members.values():
        wid = stable_id("w", keys[min(group, key=rank.__getitem__)].key)
        for x in group:
            work_of[x] = wid
    for group in m.members.values():
        mid = stable_id("m", keys[min(group, key=rank.__getitem__)].key)
        for x in group:
            out[x] = Placement(mid, work_of[x], comp_id)
    return out


def _pair_placements(
    comp: _Component, keys: Sequence[MatchKey], overrides: Overrides, comp_id: str
) -> dict[int, Placement] | None:
    """Both levels for the commonest component, two records and the one edge between them,
    without the general machinery; None when a split is involved (left to the general path)."""
    i, j, d = comp.edges[0]
    ki, kj = keys[i].key, keys[j].key
    if ki in overrides.splits or kj in overrides.splits:
        return None
    first = min(ki, kj)
    work = stable_id("w", first)  # every edge is a work-level match
    if d.manifestation is Verdict.MATCH:
        both = Placement(stable_id("m", first), work, comp_id)
        return {i: both, j: both}
    return {
        i: Placement(stable_id("m", ki), work, comp_id),
        j: Placement(stable_id("m", kj), work, comp_id),
    }


def _components(
    members: Iterable[int],
    edges: Iterable[tuple[int, int, Decision]],
    joins: Iterable[tuple[int, int]],
) -> list[_Component]:
    """Split records into connected components of work edges and joins."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while True:
            p = parent.get(root, root)
            if p == root:
                break
            root = p
        while x != root:  # path compression
            nxt = parent.get(x, x)
            parent[x] = root
            x = nxt
        return root

    edge_list = list(edges)
    join_list = list(joins)
    get = parent.get
    # Union, inline (a million edges on a full re-cluster): each root is the smallest index of
    # its tree, and the endpoints are pointed at their roots, which keeps the trees shallow.
    ends: Iterable[tuple[int, int]] = chain(((e[0], e[1]) for e in edge_list), join_list)
    for i, j in ends:
        ri = i
        while (p := get(ri, ri)) != ri:
            ri = p
        if ri != i:
            parent[i] = ri
        rj = j
        while (p := get(rj, rj)) != rj:
            rj = p
        if rj != j:
            parent[j] = rj
        if ri < rj:
            parent[rj] = ri
        elif rj < ri:
            parent[ri] = rj
    comps: dict[int, _Component] = {}
    comp_of: dict[int, _Component] = {}  # every record of an edge or join is a member
    for x in members:
        r = find(x) if x in parent else x
        c = comps.get(r)
        if c is None:
            c = comps[r] = _Component([])
        c.members.append(x)
        comp_of[x] = c
    for e in edge_list:
        comp_of[e[0]].edges.append(e)
    for jn in join_list:
        comp_of[jn[0]].joins.append(jn)
    return list(comps.values())


def _join_indices(overrides: Overrides, index: Mapping[Key, int]) -> list[tuple[int, int]]:
    out = []
    for a, b in sorted(overrides.joins):
        if a in index and b in index:
            out.append((index[a], index[b]))
        else:
            log.warning("join %s %s names a record that is not in the catalogue", a, b)
    return out


_Edge = tuple[int, int, Decision]

# The keys a forked comparison worker reads: set just before the pool forks, so children
# inherit them by copy-on-write instead of receiving a million pickled keys.
_FORKED_KEYS: Sequence[MatchKey] = ()
# Below this many records starting processes costs more than it saves.
PARALLEL_MIN_RECORDS = 10_000
# Records per sequential comparison pass in one process (see `_edges`). Each pass builds
# every block again, so passes cost time; with the part number in the title blocks a million
# records make about three million candidate pairs, whose seen-set fits in one pass.
SHARD_RECORDS = 1_000_000


class _Edges:
    """Work-level edges held compactly while pairs are compared: the two indices in machine-word
    arrays and the decision as a number into the few distinct `Decision`s (`compare` interns
    them). An edge tuple with its two index objects costs about 130 bytes, this 18; on a
    million records a comparing process holds a million edges, and a child sends them back
    pickled, which for arrays is a copy of their bytes."""

    __slots__ = ("first", "second", "decision", "decisions", "_number")

    def __init__(self) -> None:
        self.first = array("q")
        self.second = array("q")
        self.decision = array("H")
        self.decisions: list[Decision] = []
        self._number: dict[int, int] = {}

    def __getstate__(self) -> tuple[array[int], array[int], array[int], list[Decision]]:
        return (self.first, self.second, self.decision, self.decisions)

    def __setstate__(
        self, state: tuple[array[int], array[int], array[int], list[Decision]]
    ) -> None:
        self.first, self.second, self.decision, self.decisions = state
        self._number = {}

    def add(self, i: int, j: int, d: Decision) -> None:
        # By identity: `compare` interns its decisions, and hashing one hashes its enums in
        # Python; `decisions` keeps each alive, so an id is never reused meanwhile.
        number = self._number.get(id(d))
        if number is None:
            number = self._number[id(d)] = len(self.decisions)
            self.decisions.append(d)
        self.first.append(i)
        self.second.append(j)
        self.decision.append(number)

    def tuples(self) -> Iterator[_Edge]:
        """The edges as (i, j, decision)."""
        return zip(
            self.first, self.second, map(self.decisions.__getitem__, self.decision), strict=True
        )


def _shard_edges(
    keys: Sequence[MatchKey],
    shard: int,
    shards: int,
    families: Sequence[int] | None = None,
    sharded: Sequence[int] | None = None,
    seen: set[int] | None = None,
) -> tuple[_Edges, int]:
    """Compare one shard of the candidate pairs (of `families`, default all; see
    `iter_candidate_pairs`); returns (work-level edges, pairs compared). `seen` receives every
    pair compared."""
    edges = _Edges()
    add = edges.add
    compared = 0
    match = Verdict.MATCH
    pairs = iter_candidate_pairs(
        keys, shard=shard, shards=shards, families=families, sharded=sharded, seen=seen
    )
    for i, j in pairs:
        compared += 1
        d = compare(keys[i], keys[j])
        if d.work is match:
            add(i, j, d)
    return edges, compared


# How a parallel comparison is split between this process and one forked child. The title +
# author family makes most of the pairs, the others most of the blocks, and after comparing
# this process still has to cluster the components alone; so this process takes half of the
# title + author pairs (shard 0 of 2) and the title + year family, the child the other half
# with every other family. The child skips the pairs either half of the title + author family
# makes (`_family_mates`), so it finds few pairs besides its half and sends back little. On a
# million generated records the child's CPU time is the longer by about a fifth; giving this
# process the identifier family as well evens them out, but its set of pairs seen then raises
# the sampled footprint of the two from 1.82 to 1.89 GiB, too close to the 2 GiB budget.
_SPLIT = 2
_HERE_FAMILIES = (1, 2)
_CHILD_FAMILIES = (0, 1, 3, 4, 5, 6, 7)
_SHARDED_FAMILIES = (1,)


def _forked_rest(_: None) -> tuple[_Edges, int]:
    return _shard_edges(_FORKED_KEYS, 1, _SPLIT, _CHILD_FAMILIES, _SHARDED_FAMILIES)


def _edges(keys: Sequence[MatchKey], workers: int) -> tuple[list[_Edge], int]:
    """Every work-level edge, comparing in two processes when `workers` > 1 and the platform
    can fork.

    Blocking and comparing are most of a full re-cluster. Split by the smaller index of a
    pair, every process would still build every block, and building blocks costs as much as
    comparing; so the split is mostly by block family instead (`_SPLIT`): this process
    blocks and compares its share while one forked child does the rest, and the child's
    edges that this process also found are dropped. The result does not depend on the split:
    components and the order edges are followed in are derived from the edges themselves
    (`_components`, `_cluster_component`). Fork, not spawn: the child reads the parent's keys
    in place. In place is not free: reading an object writes its reference count, so the child
    copies the pages of the keys it reads (on a million records about 0.7 GB more in all).
    """
    global _FORKED_KEYS
    if workers <= 1 or len(keys) < PARALLEL_MIN_RECORDS or "fork" not in mp.get_all_start_methods():
        # One process: still in shards, one after another, so the set of pairs already seen
        # (hundreds of megabytes on a million records) is only ever one shard's.
        shards = -(-len(keys) // SHARD_RECORDS) or 1
        edges: list[_Edge] = []
        compared = 0
        for shard in range(shards):
            part, n = _shard_edges(keys, shard, shards)
            edges.extend(part.tuples())
            compared += n
        return edges, compared
    _FORKED_KEYS = keys
    try:
        pool = mp.get_context("fork").Pool(1)
    finally:
        _FORKED_KEYS = ()
    try:
        theirs = pool.apply_async(_forked_rest, (None,))
        pool.close()
        seen: set[int] = set()
        mine, compared = _shard_edges(keys, 0, _SPLIT, _HERE_FAMILIES, _SHARDED_FAMILIES, seen)
        theirs_done, their_compared = theirs.get()
    finally:
        pool.terminate()
        pool.join()
    n = len(keys)
    edges = list(mine.tuples())
    del mine
    # A pair both processes compared got the same decision in both: keep this one's edge.
    edges.extend(e for e in theirs_done.tuples() if e[0] * n + e[1] not in seen)
    return edges, compared + their_compared


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a bulk pass, restoring it after.

    Keying and clustering a catalogue allocate millions of small containers (keys, edge
    tuples, block lists) that never form reference cycles; the collector would otherwise scan
    the ever larger heap again and again while they accumulate. Reference counting still frees
    everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def cluster_full(
    keys: Sequence[MatchKey], overrides: Overrides | None = None, *, workers: int = 1
) -> Assignment:
    """Cluster every record from scratch (`bokflyt merge --full`).

    `workers` > 1 compares candidate pairs in this process and a forked one (same result;
    more than two processes are not used, see `_edges`).
    The cycle collector is paused meanwhile (`collector_paused`).
    """
    with collector_paused():
        return _cluster_full(keys, overrides, workers)


def _cluster_full(
    keys: Sequence[MatchKey], overrides: Overrides | None, workers: int
) -> Assignment:
    overrides = overrides or Overrides()
    index = {k.key: i for i, k in enumerate(keys)}
    if len(index) != len(keys):
        raise ValueError("duplicate record keys")
    edges, compared = _edges(keys, workers)
    log.info("clustering %d records: %d pairs compared, %d edges", len(keys), compared, len(edges))
    joins = _join_indices(overrides, index)
    del index
    linked = {i for jn in joins for i in jn}
    linked.update(map(itemgetter(0), edges))
    linked.update(map(itemgetter(1), edges))
    result: Assignment = {}
    for comp in _components(sorted(linked), edges, joins):
        for x, placement in _cluster_component(comp, keys, overrides).items():
            result[keys[x].key] = placement
    # Records with no edge are components of their own; no need to build one for each.
    for x, k in enumerate(keys):
        if x not in linked:
            h = _digest(k.key)
            result[k.key] = Placement(f"m-{h}", f"w-{h}", f"c-{h}")
    return result


def cluster_incremental(
    keys: Sequence[MatchKey],
    previous: Mapping[Key, Placement],
    changed: Iterable[Key],
    overrides: Overrides | None = None,
) -> tuple[Assignment, set[Key]]:
    """Re-cluster only the components a change can reach; returns (assignment, re-clustered).

    Why this equals `cluster_full`: a component's clustering depends only on its own records.
    The seeds are the changed records plus every record that shared an old component with one
    (read from `previous`). A new component holding no seed consists of unchanged records that
    shared no old component with a changed record, so its edges are unchanged and its old
    component was exactly itself: its old placement stands. Every other component is found by
    walking edges out from the seeds and clustered afresh.

    Records new to `keys` or missing from it count as changed even if the caller forgot them.
    """
    overrides = overrides or Overrides()
    index = {k.key: i for i, k in enumerate(keys)}
    changed_set = set(changed)
    changed_set |= {k for k in index if k not in previous}
    changed_set |= {k for k in previous if k not in index}

    by_component: dict[str, list[Key]] = defaultdict(list)
    touched_components = {previous[k].component for k in changed_set if k in previous}
    for k, p in previous.items():
        if p.component in touched_components:
            by_component[p.component].append(k)
    seeds = {index[k] for k in changed_set if k in index}
    for comp_keys in by_component.values():
        seeds.update(index[k] for k in comp_keys if k in index)

    blocks = block_index(keys)
    joins = _join_indices(overrides, index)
    join_adj: dict[int, list[int]] = defaultdict(list)
    for i, j in joins:
        join_adj[i].append(j)
        join_adj[j].append(i)

    visited = set(seeds)
    frontier = sorted(seeds)
    seen_pairs: set[tuple[int, int]] = set()
    edges: list[tuple[int, int, Decision]] = []
    while frontier:
        x = frontier.pop()
        mates = block_mates(keys, blocks, x)
        mates.update(join_adj.get(x, ()))
        for y in mates:
            pair = (x, y) if x < y else (y, x)
            if pair in seen_pairs:
                continue
            seen_pairs.add(pair)
            linked = y in join_adj.get(x, ())
            if not linked:
                d = compare(keys[pair[0]], keys[pair[1]])
                if d.work is not Verdict.MATCH:
                    continue
                edges.append((pair[0], pair[1], d))
            if y not in visited:
                visited.add(y)
                frontier.append(y)

    result: Assignment = {
        k: p for k, p in previous.items() if k in index and index[k] not in visited
    }
    affected_joins = [(i, j) for i, j in joins if i in visited]
    for comp in _components(visited, edges, affected_joins):
        for x, placement in _cluster_component(comp, keys, overrides).items():
            result[keys[x].key] = placement
    log.info("incremental: %d changed, %d re-clustered", len(changed_set), len(visited))
    return result, {keys[x].key for x in visited}


# --- explanation ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why two records are, or are not, in one cluster and one work (for `merge explain`)."""

    a: Key
    b: Key
    same_cluster: bool
    same_work: bool
    decision: Decision
    override: str | None
    blocked_by: tuple[Key, Key, str] | None

    def lines(self) -> list[str]:
        """The explanation as short lines of text, most important first."""
        d = self.decision
        out = [
            f"{self.a[0]}:{self.a[1]} and {self.b[0]}:{self.b[1]}",
            f"same manifestation cluster: {'yes' if self.same_cluster else 'no'}",
            f"same work: {'yes' if self.same_work else 'no'}",
            f"pair decision (manifestation): {d.manifestation.value} by rule {d.rule}",
            f"pair decision (work): {d.work.value} by rule {d.work_rule}",
        ]
        if self.override:
            out.append(f"librarian override: {self.override}")
        if self.blocked_by is not None:
            x, y, rule = self.blocked_by
            out.append(f"kept apart: {x[0]}:{x[1]} and {y[0]}:{y[1]} are vetoed ({rule})")
        if self.same_cluster and d.manifestation is not Verdict.MATCH and not self.override:
            out.append("clustered through other members that each match")
        out += [f"  {line}" for line in d.details]
        return out


def explain_pair(
    a: MatchKey,
    b: MatchKey,
    assignment: Mapping[Key, Placement],
    members: Sequence[MatchKey] = (),
    overrides: Overrides | None = None,
) -> Explanation:
    """Explain the pair from the stored assignment; `members` are the other records of the two
    clusters (and works), used to name the member that kept a matching pair apart."""
    overrides = overrides or Overrides()
    pa, pb = assignment.get(a.key), assignment.get(b.key)
    same_cluster = pa is not None and pb is not None and pa.cluster == pb.cluster
    same_work = pa is not None and pb is not None and pa.work == pb.work
    decision = compare(a, b, explain=True)
    override = None
    if tuple(sorted((a.key, b.key))) in overrides.joins:
        override = "joined by a librarian"
    elif a.key in overrides.splits or b.key in overrides.splits:
        override = "split by a librarian"
    blocked_by = None
    if decision.manifestation is Verdict.MATCH and not same_cluster and pa and pb:
        side_a = [m for m in members if assignment.get(m.key, pa).cluster == pa.cluster]
        side_b = [m for m in members if assignment.get(m.key, pb).cluster == pb.cluster]
        for x in [a, *side_a]:
            for y in [b, *side_b]:
                if x.key != y.key and manifestation_vetoed(x, y):
                    blocked_by = (x.key, y.key, compare(x, y).rule)
                    break
            if blocked_by:
                break
    return Explanation(a.key, b.key, same_cluster, same_work, decision, override, blocked_by)
