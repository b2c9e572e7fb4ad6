"""Time and peak memory of a full re-cluster of N generated records (default 1,000,000).

Records are streamed from the generator straight into match keys, so the generator's own
records are never all held at once (a harvest would load them page by page the same way).
Wall and CPU time are both printed: on a shared machine the CPU time is the figure that does
not depend on what else runs. Three figures are printed: normalising records into match keys,
clustering the keys (blocking, matching, both levels) and the total; the baseline beside them
is the ISBN-only grouping on the same keys, the floor any full pass pays. Peak memory is the
process's maximum resident set. With `--workers` > 1 pairs are compared in forked processes:
their CPU time is added to the parent's and their peak resident set is printed beside it.

    python -m benchmarks.merge_scale              # 1,000,000 records
    python -m benchmarks.merge_scale --records 50000   # quick run
    python -m benchmarks.merge_scale --workers 2       # compare pairs in two processes
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
from itertools import islice

from benchmarks.gen_labelled import iter_labelled
from catalog.cluster import cluster_full, collector_paused
from catalog.match import MatchKey, clear_title_cache, match_key
from catalog.normalize import clear_caches

TARGET_SECONDS = 60.0
TARGET_BYTES = 2 * 1024**3


def peak_rss_bytes(who: int = resource.RUSAGE_SELF) -> int:
    """Maximum resident set size so far (ru_maxrss is KiB on Linux, bytes on macOS); with
    RUSAGE_CHILDREN, the largest of any waited-for child."""
    peak = resource.getrusage(who).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the comparison workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def isbn_only(keys: list[MatchKey]) -> int:
    """The baseline: group by shared ISBN with a dictionary pass; returns the group count."""
    first: dict[str, int] = {}
    groups = 0
    for i, k in enumerate(keys):
        hit = next((first[x] for x in k.isbns if x in first), None)
        if hit is None:
            groups += 1
            hit = i
        for x in k.isbns:
            first.setdefault(x, hit)
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--workers", type=int, default=1,
        help="compare pairs in this many forked processes (each copies most of the keys as "
        "it reads them: faster on an idle machine, about twice the memory)",
    )  # fmt: skip
    args = parser.parse_args()

    gen_seconds = 0.0
    key_seconds = 0.0
    key_cpu = 0.0
    keys: list[MatchKey] = []
    stream = iter_labelled(args.records, args.seed)  # more works than needed; cut at N records
    while len(keys) < args.records:
        t0 = time.perf_counter()
        batch = [lab.record for lab in islice(stream, min(50_000, args.records - len(keys)))]
        t1 = time.perf_counter()
        c1 = cpu_seconds()
        with collector_paused():  # as `catalog.clustering_store.load_keys` keys a catalogue
            keys.extend(match_key(r) for r in batch)
        key_cpu += cpu_seconds() - c1
        t2 = time.perf_counter()
        gen_seconds += t1 - t0
        key_seconds += t2 - t1
        if not batch:
            break
        del batch
    clear_caches()
    clear_title_cache()
    gc.collect()
    gc.freeze()  # the keys live to the end; stop the collector re-scanning them

    t0 = time.perf_counter()
    groups = isbn_only(keys)
    base_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    c0 = cpu_seconds()
    assignment = cluster_full(keys, workers=args.workers)
    cluster_cpu = cpu_seconds() - c0
    cluster_seconds = time.perf_counter() - t0
    peak = peak_rss_bytes()
    child_peak = peak_rss_bytes(resource.RUSAGE_CHILDREN)

    n = len(keys)
    clusters = len({p.cluster for p in assignment.values()})
    works = len({p.work for p in assignment.values()})
    total = key_seconds + cluster_seconds
    print(f"records: {n:,}  (generation, not timed: {gen_seconds:.1f} s)")
    print(f"isbn-only baseline: {base_seconds:.2f} s, {groups:,} groups")
    print(f"match keys:         {key_seconds:.2f} s wall, {key_cpu:.2f} s CPU")
    print(
        f"cluster:            {cluster_seconds:.2f} s wall, {cluster_cpu:.2f} s CPU, "
        f"{clusters:,} clusters, {works:,} works"
    )
    verdict_t = "met" if total <= TARGET_SECONDS else "MISSED"
    verdict_m = "met" if peak <= TARGET_BYTES else "MISSED"
    print(
        f"total re-cluster:   {total:.2f} s wall (target <= {TARGET_SECONDS:.0f} s: {verdict_t}); "
        f"{key_cpu + cluster_cpu:.2f} s CPU; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"peak memory:        {peak / 1024**3:.2f} GiB (target <= 2 GiB: {verdict_m}); "
        f"largest worker {child_peak / 1024**3:.2f} GiB ({args.workers} workers, "
        "pages shared with the parent counted in both)"
    )


if __name__ == "__main__":
    main()
