"""Time and peak memory of a full re-cluster of N generated records (default 1,000,000).

Records are streamed from the generator straight into match keys, so the generator's own
records are never all held at once (a harvest would load them page by page the same way).
Wall and CPU time are both printed: on a shared machine the CPU time is the figure that does
not depend on what else runs. Three figures are printed: normalising records into match keys,
clustering the keys (blocking, matching, both levels) and the total; the baseline beside them
is the ISBN-only grouping on the same keys, the floor any full pass pays. Peak memory is the
process's maximum resident set. Records are keyed in `--key-workers` processes (default 2,
one per core of the reference machine; `catalog.match.match_keys`): only records and keys are
pickled across, so memory stays one process's. With `--workers` > 1 (default 2) pairs are
compared in this process and a forked one (`catalog.cluster.cluster_full`), which copies the
pages of the keys it reads. The CPU time of all child processes is added to the parent's
(this process's own is printed beside it: on an idle machine the wall time follows the busier
process), and the largest child's peak resident set is printed beside the parent's; as that
counts pages the two share in both, the footprint of the whole run is sampled as well: this
process's resident set plus the pages its children hold privately (`Footprint`).

    python -m benchmarks.merge_scale              # 1,000,000 records
    python -m benchmarks.merge_scale --records 50000   # quick run
    python -m benchmarks.merge_scale --key-workers 1   # key in this process only
    python -m benchmarks.merge_scale --workers 1       # compare pairs in this process only
    python -m benchmarks.merge_scale --store 200000    # the product path, on a database

With `--store N` the figure is the product's own `bokflyt merge --full`
(`catalog.clustering_store.run_merge(full=True)`): N generated records are written to a fresh
SQLite database as the ingest writes them (`data` = `record_to_dict`), in one child process,
and a second, fresh child process runs the merge on it in one transaction, so its peak resident
set is the merge's alone: reading rows, keying, clustering and writing the assignment back.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from benchmarks.gen_labelled import iter_labelled
from catalog.cluster import cluster_full, collector_paused
from catalog.match import MatchKey, clear_title_cache, match_keys
from catalog.normalize import clear_caches
from catalog.records import BibRecord

TARGET_SECONDS = 60.0
TARGET_BYTES = 2 * 1024**3


def peak_rss_bytes(who: int = resource.RUSAGE_SELF) -> int:
    """Maximum resident set size so far (ru_maxrss is KiB on Linux, bytes on macOS); with
    RUSAGE_CHILDREN, the largest of any waited-for child."""
    peak = resource.getrusage(who).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class Footprint(threading.Thread):
    """Samples the memory a run holds in all: this process's resident set plus the pages its
    child processes hold privately (copied on write or their own), which `ru_maxrss` of either
    side cannot tell apart from the pages they share. Linux only (reads /proc); elsewhere the
    peak stays 0 and the report says so."""

    def __init__(self, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            with contextlib.suppress(OSError, ValueError):
                self.peak = max(self.peak, _rss_now() + sum(map(_private_bytes, _child_pids())))

    def __enter__(self) -> Footprint:
        if Path("/proc/self/smaps_rollup").exists():
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join()


def _rss_now() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _child_pids() -> list[int]:
    pids: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):
            pids += map(int, (task / "children").read_text().split())
    return pids


def _private_bytes(pid: int) -> int:
    """Private_Clean + Private_Dirty of a process (0 if it is gone)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    kib = 0
    for line in text.splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            kib += int(line.split()[1])
    return kib * 1024


def _footprint_line(footprint: Footprint) -> str:
    if footprint.peak == 0:
        return "  (footprint not sampled on this platform)"
    verdict = "met" if footprint.peak <= TARGET_BYTES else "MISSED"
    return (
        f"  with its child processes' private pages: {footprint.peak / 1024**3:.2f} GiB at the "
        f"sampled peak (every 0.5 s; target <= 2 GiB: {verdict})"
    )


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


# --- the product path: `bokflyt merge --full` on a database -----------------------------------


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def build_db(path: Path, records: int, seed: int) -> None:
    """A fresh, migrated SQLite catalogue of `records` generated records, stored as the ingest
    stores them (the merge reads `data`; raw MARC is a placeholder it never reads)."""
    from sqlalchemy import insert

    from bokflyt.db import make_engine, upgrade
    from catalog.models import Source, SourceRecord
    from catalog.records import record_to_dict

    engine = make_engine(_sqlite_url(path))
    upgrade(engine)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as conn:
        ids = {
            name: conn.execute(
                insert(Source)
                .values(name=name, kind="file", holdings="koha-952")
                .returning(Source.id)
            ).scalar_one()
            for name in ("public", "school")
        }
        stream = (lab.record for lab in iter_labelled(records, seed))
        left = records
        while left > 0:
            batch = list(islice(stream, min(5_000, left)))
            if not batch:
                break
            left -= len(batch)
            conn.execute(
                insert(SourceRecord),
                [
                    {
                        "source_id": ids[r.source], "record_id": r.record_id,
                        "raw": b"<record/>", "raw_format": "marcxml", "checksum": r.record_id,
                        "title": r.title, "main_author": r.main_author, "year": r.year,
                        "data": record_to_dict(r), "updated_at": now,
                    }
                    for r in batch
                ],
            )  # fmt: skip
    engine.dispose()


def merge_db(path: Path, workers: int, key_workers: int) -> None:
    """Run `bokflyt merge --full` on the database at `path` (one transaction) and print its
    figures; meant to run in a fresh process, so the peak resident set is the merge's."""
    from bokflyt.db import make_engine, make_session_factory
    from catalog.clustering_store import run_merge

    engine = make_engine(_sqlite_url(path))
    sessions = make_session_factory(engine)
    c0, t0, p0 = cpu_seconds(), time.perf_counter(), time.process_time()
    with Footprint() as footprint, sessions.begin() as session:
        report = run_merge(session, full=True, workers=workers, key_workers=key_workers)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    own_cpu = time.process_time() - p0
    peak = peak_rss_bytes()
    print(
        f"merge --full (product path, {key_workers} keying, {workers} comparing processes): "
        f"{report.records:,} records, {report.clusters:,} clusters, {report.works:,} works"
    )
    print(
        f"  time: {wall:.2f} s wall, {cpu:.2f} s CPU ({own_cpu:.2f} s in this process; "
        f"reading, keying, clustering, writing, commit); load average {os.getloadavg()[0]:.1f}"
    )
    verdict = "met" if peak <= TARGET_BYTES else "MISSED"
    print(f"  peak memory: {peak / 1024**3:.2f} GiB (target <= 2 GiB: {verdict})")
    print(_footprint_line(footprint))


def run_store(records: int, seed: int, workers: int, key_workers: int) -> None:
    """Build a database in one child process, merge it in another (see the module docstring)."""
    me = [sys.executable, "-m", "benchmarks.merge_scale", "--seed", str(seed)]
    with tempfile.TemporaryDirectory(prefix="bokflyt-merge-scale-") as tmp:
        path = Path(tmp) / "catalogue.db"
        t0 = time.perf_counter()
        subprocess.run([*me, "--records", str(records), "--build-db", str(path)], check=True)
        print(f"database of {records:,} records built in {time.perf_counter() - t0:.1f} s "
              "(not timed)", flush=True)  # fmt: skip
        subprocess.run(
            [*me, "--workers", str(workers), "--key-workers", str(key_workers),
             "--merge-db", str(path)],
            check=True,
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--workers", type=int, default=2,
        help="compare pairs in this process and a forked one when > 1 (default 2, one per core "
        "of the reference machine; the child copies the pages of the keys it reads)",
    )  # fmt: skip
    parser.add_argument(
        "--key-workers", type=int, default=2,
        help="key records in this many processes (default 2, one per core of the reference "
        "machine; records and keys are pickled across, so memory stays one process's)",
    )  # fmt: skip
    parser.add_argument(
        "--store", type=int, metavar="N",
        help="measure the product path instead: `merge --full` on a database of N records",
    )  # fmt: skip
    parser.add_argument("--build-db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--merge-db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_db:
        build_db(args.build_db, args.records, args.seed)
    elif args.merge_db:
        merge_db(args.merge_db, args.workers, args.key_workers)
    elif args.store:
        run_store(args.store, args.seed, args.workers, args.key_workers)
    else:
        run_core(args.records, args.seed, args.workers, args.key_workers)


def run_core(records: int, seed: int, workers: int, key_workers: int) -> None:
    """The pure core: generated records → match keys → `cluster_full` (see the docstring)."""
    # Generation is not timed: it runs inside the stream the keying reads, so its own wall and
    # CPU time are measured there and taken off. One `match_keys` call over the whole stream
    # forks its keying processes once, while this process is still small: a fork later on
    # would make every page it writes afterwards a copy-on-write fault.
    gen = {"wall": 0.0, "cpu": 0.0}

    def stream() -> Iterator[BibRecord]:
        labelled = iter_labelled(records, seed)  # more works than needed; cut at N records
        left = records
        while left > 0:
            # Thread time: the footprint sampler's thread is not generation.
            t0, p0 = time.perf_counter(), time.thread_time()
            batch = [lab.record for lab in islice(labelled, min(50_000, left))]
            gen["wall"] += time.perf_counter() - t0
            gen["cpu"] += time.thread_time() - p0
            if not batch:
                return
            left -= len(batch)
            yield from batch

    with Footprint() as footprint:  # the peak of this process and its children together
        t0, c0, p0 = time.perf_counter(), cpu_seconds(), time.process_time()
        with collector_paused():  # as `catalog.clustering_store.load_keys` keys a catalogue
            keys: list[MatchKey] = list(match_keys(stream(), workers=key_workers))
        gen_seconds = gen["wall"]
        key_seconds = time.perf_counter() - t0 - gen["wall"]
        key_cpu = cpu_seconds() - c0 - gen["cpu"]
        key_own_cpu = time.process_time() - p0 - gen["cpu"]  # what wall time follows when idle
        clear_caches()
        clear_title_cache()
        gc.collect()
        gc.freeze()  # the keys live to the end; stop the collector re-scanning them

        t0 = time.perf_counter()
        groups = isbn_only(keys)
        base_seconds = time.perf_counter() - t0

        t0 = time.perf_counter()
        c0, p0 = cpu_seconds(), time.process_time()
        assignment = cluster_full(keys, workers=workers)
        cluster_cpu = cpu_seconds() - c0
        cluster_own_cpu = time.process_time() - p0
        cluster_seconds = time.perf_counter() - t0
        peak = peak_rss_bytes()
        child_peak = peak_rss_bytes(resource.RUSAGE_CHILDREN)

    n = len(keys)
    clusters = len({p.cluster for p in assignment.values()})
    works = len({p.work for p in assignment.values()})
    total = key_seconds + cluster_seconds
    print(f"records: {n:,}  (generation, not timed: {gen_seconds:.1f} s)")
    print(f"isbn-only baseline: {base_seconds:.2f} s, {groups:,} groups")
    print(
        f"match keys:         {key_seconds:.2f} s wall, {key_cpu:.2f} s CPU "
        f"({key_workers} keying processes; {key_own_cpu:.2f} s CPU in this one)"
    )
    print(
        f"cluster:            {cluster_seconds:.2f} s wall, {cluster_cpu:.2f} s CPU "
        f"({workers} comparing processes; {cluster_own_cpu:.2f} s CPU in this one), "
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
        f"largest child process {child_peak / 1024**3:.2f} GiB ({key_workers} keying, "
        f"{workers} comparing processes; pages shared with the parent counted in both)"
    )
    print(_footprint_line(footprint))


if __name__ == "__main__":
    main()
