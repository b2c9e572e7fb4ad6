#!/usr/bin/env python3
"""Benchmark (a): ingest of a large generated MARCXML file, beside the bare lxml parse rate.

For one generated file of --records records with Koha 952 items (and a --small one, to show
that memory stays flat as the file grows), each of --rounds rounds measures, back to back:

* bare parse: lxml `iterparse` over the same file, releasing each record element (the floor
  any MARCXML reader pays; no MARC work at all);
* import: `bokflyt.sync.import_files` into a fresh database, in a fresh process, exactly what
  `bokflyt import FILE --source S --full` runs up to the commit: parse, MARC fields, holdings
  (items, sites, statuses), BibRecord, checksum, store records and items, quarantine, the run
  record, all in one transaction (`catalog.ingest`).

The table shows, per size, the median over the rounds of the import's records/s and of its
ratio to the bare parse rate measured just before it (the issue's target: at least 25 %), in
wall time and in CPU time, and the import's peak RSS. With --parallel on the import is two
processes (a parse worker converting records, the writer storing them) against a one-thread
bare parse: "CPU ratio" counts both processes' CPU, "busiest" only the busier one's, which
bounds the wall rate when two cores are free. Each round's line shows the CPU split.

What `bokflyt import` does after the commit is not in that figure: it re-clusters what changed
and refreshes the search index (`bokflyt.pipeline.keep_catalogue_in_step`: merge, then
`catalog.search_index.refresh`), so a search sees the new records only after it. With
--settle (default on) one more fresh process per size runs import + that step and the second
table prints it separately and combined: the combined rate is the end-to-end figure including
the indexing search needs. Its peak RSS is the merge's, which holds the whole catalogue's
match keys by design.

The machine is shared: the load average is printed beside each measurement, and the CPU ratio
is the figure other load disturbs least.

Usage: benchmarks/ingest.py [--records 200000] [--small 50000] [--rounds 3] [--parallel on]
       [--settle off] [--db-url URL] [--keep DIR]
(default database: a SQLite file in a temporary directory; with a PostgreSQL URL, each round
creates a database bokflyt_bench_* on that server and drops it afterwards.)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "integration"))

SITES = [
    {"code": c, "name": c, "kind": "branch", "lat": 59.9, "lon": 10.5}
    for c in ("SAN", "BEK", "HOV", "EIK", "RYK", "FOR")
]


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def generate(path: Path, records: int, seed: int = 1) -> float:
    from zebra_server import load_generator

    gen = load_generator()
    began = time.perf_counter()
    gen.write(path, gen.public_collection(seed, records, broken=False))
    return time.perf_counter() - began


def bare_parse(path: Path) -> tuple[int, float, float]:
    """lxml iterparse of every record element, released as it goes (no MARC work at all).

    Returns the count, wall seconds and CPU seconds."""
    from lxml import etree

    tag = "{http://www.loc.gov/MARC21/slim}record"
    count = 0
    began, cpu = time.perf_counter(), time.process_time()
    for _event, element in etree.iterparse(str(path), events=("end",), tag=tag):
        count += 1
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
    return count, time.perf_counter() - began, time.process_time() - cpu


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _cpu_with_children() -> float:
    return _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN)


def ingest(path: Path, db_url: str, parallel: bool, settle: bool) -> dict[str, float]:
    """Import `path` into an empty database at `db_url` (and, with `settle`, merge and index
    what it changed, as `bokflyt import` does); returns counts, seconds and peak RSS."""
    from bokflyt.bootstrap import mirror_configuration
    from bokflyt.db import make_engine, make_session_factory, upgrade
    from bokflyt.pipeline import keep_catalogue_in_step
    from bokflyt.settings import settings_from_mapping
    from bokflyt.sync import import_files

    settings = settings_from_mapping(
        {
            "database": {"url": db_url},
            "sites": SITES,
            "sources": {"bench": {"kind": "file", "holdings": "koha-952"}},
        }
    )
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        mirror_configuration(session, settings)
    result: dict[str, float] = {}
    began, cpu = time.perf_counter(), _cpu_with_children()
    own_cpu = _cpu(resource.RUSAGE_SELF)
    if settle:
        with keep_catalogue_in_step(sessions) as report:
            outcome = import_files(
                settings, sessions, "bench", [path], full=True, parallel=parallel
            )
            result["seconds"] = time.perf_counter() - began
            result["cpu_seconds"] = _cpu_with_children() - cpu
            result["writer_cpu_seconds"] = _cpu(resource.RUSAGE_SELF) - own_cpu
        result["settle_seconds"] = time.perf_counter() - began - result["seconds"]
        result["settle_cpu_seconds"] = _cpu_with_children() - cpu - result["cpu_seconds"]
        result["clusters"] = report.merge.clusters if report.merge else 0
        result["indexed"] = report.indexed_clusters
    else:
        outcome = import_files(settings, sessions, "bench", [path], full=True, parallel=parallel)
        result["seconds"] = time.perf_counter() - began
        result["cpu_seconds"] = _cpu_with_children() - cpu
        result["writer_cpu_seconds"] = _cpu(resource.RUSAGE_SELF) - own_cpu
    engine.dispose()
    if not outcome.ok:
        raise SystemExit(f"ingest failed: {outcome.error}")
    result["records"] = outcome.counts.added
    result["items"] = outcome.counts.items
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["worker_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


CPU_KEYS = ("cpu_seconds", "writer_cpu_seconds", "worker_cpu")


def child(path: Path, db_url: str, parallel: bool, settle: bool) -> dict[str, float]:
    """Run `ingest` in a fresh interpreter, so its peak memory is its own."""
    command = [sys.executable, __file__, "--child", str(path), "--db-url", db_url]
    command += ["--parallel", "on" if parallel else "off", "--settle", "on" if settle else "off"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    result["worker_cpu"] = result["cpu_seconds"] - result["writer_cpu_seconds"]
    return result


def fresh_database(server_url: str | None, work: Path, size: int) -> str:
    """An empty database for one round: a new SQLite file, or a new database created on the
    PostgreSQL server of `server_url` (named bokflyt_bench_*, dropped by `drop_database`)."""
    if server_url is None:
        path = work / f"bench-{size}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from bokflyt.db import normalise_url

    name = f"bokflyt_bench_{os.getpid()}_{size}"
    admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str | None, db_url: str) -> None:
    """Remove a round's PostgreSQL database (SQLite files are replaced by the next round)."""
    if server_url is None:
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from bokflyt.db import normalise_url

    name = make_url(db_url).database
    admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--db-url",
        default=None,
        help="a PostgreSQL server URL; each round creates and drops its own database there "
        "(default: SQLite in a temp dir)",
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep generated files here")
    parser.add_argument(
        "--parallel",
        choices=("on", "off"),
        default="off",
        help="parse in a second process while the first writes (import_files(parallel=True))",
    )
    parser.add_argument(
        "--settle",
        choices=("on", "off"),
        default="on",
        help="also measure the merge + search refresh that `bokflyt import` runs afterwards",
    )
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    parallel, settle = args.parallel == "on", args.settle == "on"
    if args.child is not None:
        print(json.dumps(ingest(args.child, args.db_url, parallel, settle)))
        return 0

    work = args.keep or Path(tempfile.mkdtemp(prefix="bokflyt-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    settled = []
    for size in (args.small, args.records):
        path = work / f"records-{size}.xml"
        if not path.exists():
            took = generate(path, size)
            print(f"generated {size} records ({path.stat().st_size / 1e6:.0f} MB) in {took:.1f} s")
        rates, ratios, cpu_ratios, busiest_ratios, peaks = [], [], [], [], []
        for round_no in range(1, args.rounds + 1):
            before = load()
            count, parse_s, parse_cpu = bare_parse(path)
            db_url = fresh_database(args.db_url, work, size)
            measured = child(path, db_url, parallel, False)
            drop_database(args.db_url, db_url)
            rate = measured["records"] / measured["seconds"]
            rates.append(rate)
            ratios.append(rate / (count / parse_s))
            per_record = {key: measured[key] / measured["records"] for key in CPU_KEYS}
            writer_cpu, worker_cpu = per_record["writer_cpu_seconds"], per_record["worker_cpu"]
            cpu_ratios.append((parse_cpu / count) / per_record["cpu_seconds"])
            busiest_ratios.append((parse_cpu / count) / max(writer_cpu, worker_cpu))
            peaks.append(measured["peak_mb"])
            split = (
                f" = writer {writer_cpu * 1e6:.0f} + parse worker {worker_cpu * 1e6:.0f}"
                if parallel
                else ""
            )
            worker_peak = f" (parse worker {measured['worker_peak_mb']:.0f} MB)" if parallel else ""
            print(
                f"{size} records, round {round_no}: bare {count / parse_s:,.0f} rec/s "
                f"({parse_cpu / count * 1e6:.0f} µs CPU/rec), import {rate:,.0f} rec/s "
                f"({per_record['cpu_seconds'] * 1e6:.0f}{split} µs CPU/rec), "
                f"{int(measured['items'])} items, peak {measured['peak_mb']:.0f} MB"
                f"{worker_peak} [{before} → {load()}]"
            )
        rows.append((size, rates, ratios, cpu_ratios, busiest_ratios, peaks))
        if settle:
            before = load()
            count, parse_s, parse_cpu = bare_parse(path)
            db_url = fresh_database(args.db_url, work, size)
            measured = child(path, db_url, parallel, True)
            drop_database(args.db_url, db_url)
            settled.append((size, count / parse_s, parse_cpu / count, measured))
            print(
                f"{size} records, import + merge + search refresh: "
                f"{measured['seconds']:.1f} s + {measured['settle_seconds']:.1f} s "
                f"[{before} → {load()}]"
            )

    print()
    print(
        "import = parse, MARC fields, holdings, BibRecord, checksum, store records + items "
        "(one transaction); NOT the merge + search index refresh (second table)"
    )
    if parallel:
        print(
            "parallel parsing: on: the import uses two processes (parse worker + writer); "
            "bare parse is one thread"
        )
    else:
        print("parallel parsing: off: the import is one process, like the bare parse")
    print(f"median of {args.rounds} rounds (ratios: import rate / bare parse rate, same round)")
    print(
        "CPU ratio: bare CPU/record over the import's CPU/record in all its processes; "
        "busiest: over its busiest process's (what bounds the wall rate on idle cores)"
    )
    print(
        f"{'records':>8} {'import rec/s':>13} {'ratio':>6} {'CPU ratio':>9} "
        f"{'(min-max)':>11} {'busiest':>8} {'peak RSS MB':>12}"
    )
    for size, rates, ratios, cpu_ratios, busiest_ratios, peaks in rows:
        print(
            f"{size:>8} {statistics.median(rates):>13,.0f} {statistics.median(ratios):>6.0%} "
            f"{statistics.median(cpu_ratios):>9.0%} "
            f"{f'{min(cpu_ratios):.0%}-{max(cpu_ratios):.0%}':>11} "
            f"{statistics.median(busiest_ratios):>8.0%} {max(peaks):>12.0f}"
        )
    small_peak, big_peak = max(rows[0][-1]), max(rows[-1][-1])
    print(
        f"target: import >= 25 % of bare parse; peak memory flat "
        f"({args.small} → {args.records} records: {small_peak:.0f} → {big_peak:.0f} MB)"
    )
    if settled:
        print()
        print(
            "end to end: import + what `bokflyt import` runs after the commit before a search "
            "sees the records (merge + search index refresh); ratio against the bare parse"
        )
        print(
            f"{'records':>8} {'import s':>9} {'settle s':>9} {'total rec/s':>12} "
            f"{'ratio':>6} {'CPU ratio':>9} {'clusters':>9} {'peak RSS MB':>12}"
        )
        for size, bare_rate, bare_cpu, m in settled:
            total = m["seconds"] + m["settle_seconds"]
            total_cpu = m["cpu_seconds"] + m["settle_cpu_seconds"]
            rate = m["records"] / total
            print(
                f"{size:>8} {m['seconds']:>9.1f} {m['settle_seconds']:>9.1f} {rate:>12,.0f} "
                f"{rate / bare_rate:>6.0%} {bare_cpu / (total_cpu / m['records']):>9.0%} "
                f"{int(m['clusters']):>9} {m['peak_mb']:>12.0f}"
            )
        print("(one round each; the peak is the merge's, which holds every record's match keys)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
