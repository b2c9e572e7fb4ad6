#!/usr/bin/env python3
"""Benchmark (a): ingest of a large generated MARCXML file, beside the bare lxml parse rate.

Prints, for one generated file of --records records with Koha 952 items:

* the bare parse rate: lxml `iterparse` over the same file, releasing each record (the floor
  any MARCXML reader pays);
* the end-to-end rate of `bokflyt import` (parse, MARC fields, holdings, BibRecord,
  checksum, store records and items, all in one transaction) into a fresh database;
* end-to-end as a percentage of the bare rate (the issue's target: at least 25 %), in wall
  time and in CPU time of the importing process (with --parallel on, the parser process's
  CPU is not in that figure);
* peak memory (max RSS) of the end-to-end import in a fresh process for --small and --records
  records, which must stay flat as the file grows.

Usage: benchmarks/ingest.py [--records 200000] [--small 50000] [--db-url URL] [--keep DIR]
(default database: a SQLite file in a temporary directory; pass a PostgreSQL URL to measure it.)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def generate(path: Path, records: int, seed: int = 1) -> float:
    from zebra_server import load_generator

    gen = load_generator()
    began = time.perf_counter()
    gen.write(path, gen.public_collection(seed, records, broken=False))
    return time.perf_counter() - began


def bare_parse(path: Path) -> tuple[int, float, float]:
    """lxml iterparse of every record element, released as it goes (no MARC work at all).

    Returns the count, wall seconds and CPU seconds (the CPU figure is what a shared,
    overloaded machine disturbs least)."""
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


def ingest(path: Path, db_url: str, parallel: bool = False) -> dict[str, float]:
    """Import `path` into a fresh database at `db_url`; returns counts, seconds and peak RSS."""
    from bokflyt.bootstrap import mirror_configuration
    from bokflyt.db import make_engine, make_session_factory, upgrade
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
    began, cpu = time.perf_counter(), time.process_time()
    outcome = import_files(settings, sessions, "bench", [path], full=True, parallel=parallel)
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    engine.dispose()
    if not outcome.ok:
        raise SystemExit(f"ingest failed: {outcome.error}")
    own_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    parser_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the parsing process
    return {
        "records": outcome.counts.added,
        "items": outcome.counts.items,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_mb": own_kb / 1024,
        "parser_peak_mb": parser_kb / 1024,
    }


def child(path: Path, db_url: str, parallel: str) -> dict[str, float]:
    """Run `ingest` in a fresh interpreter, so its peak memory is its own."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(path),
            "--db-url",
            db_url,
            "--parallel",
            parallel,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=50_000)
    parser.add_argument(
        "--db-url", default=None, help="database URL (default: SQLite in a temp dir)"
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep generated files here")
    parser.add_argument(
        "--parallel",
        choices=("on", "off"),
        default="off",
        help="parse in a second process while the first writes (import_files(parallel=True))",
    )
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        parallel = args.parallel == "on"
        print(json.dumps(ingest(args.child, args.db_url, parallel)))
        return 0

    work = args.keep or Path(tempfile.mkdtemp(prefix="bokflyt-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results = {}
    for size in (args.small, args.records):
        path = work / f"records-{size}.xml"
        if not path.exists():
            took = generate(path, size)
            print(f"generated {size} records ({path.stat().st_size / 1e6:.0f} MB) in {took:.1f} s")
        count, parse_s, parse_cpu = bare_parse(path)
        db_url = args.db_url or f"sqlite:///{work / f'bench-{size}.db'}"
        if args.db_url is None and (work / f"bench-{size}.db").exists():
            os.remove(work / f"bench-{size}.db")
        measured = child(path, db_url, args.parallel)
        results[size] = (count, parse_s, parse_cpu, measured)
        if args.db_url is not None and size != args.records:
            print("note: the same --db-url is reused; the second run starts from the first's data")
    print()
    print(f"parallel parsing: {args.parallel}")
    print(
        f"{'records':>8} {'bare lxml rec/s':>16} {'ingest rec/s':>13} {'ratio':>6} "
        f"{'CPU ratio':>9} {'items':>8} {'peak RSS MB':>12} {'parser MB':>10}"
    )
    for size, (count, parse_s, parse_cpu, measured) in results.items():
        parse_rate = count / parse_s
        ingest_rate = measured["records"] / measured["seconds"]
        cpu_ratio = (parse_cpu / count) / (measured["cpu_seconds"] / measured["records"])
        print(
            f"{size:>8} {parse_rate:>16,.0f} {ingest_rate:>13,.0f} "
            f"{ingest_rate / parse_rate:>6.0%} {cpu_ratio:>9.0%} "
            f"{int(measured['items']):>8} {measured['peak_mb']:>12.0f} "
            f"{measured.get('parser_peak_mb', 0):>10.0f}"
        )
    big, small = results[args.records][3], results[args.small][3]
    print()
    print(
        f"target: ingest >= 25 % of bare parse; peak memory flat "
        f"({args.small} → {args.records} records: {small['peak_mb']:.0f} → {big['peak_mb']:.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
