#!/usr/bin/env python3
"""Benchmark (b): harvest from a local Zebra beside a plain HTTP loop fetching the same pages.

Starts Zebra on a loopback port with --records generated MARCXML records (Koha 952 items),
then, alternating, --rounds times each:

* baseline: a plain `requests` loop over the same searchRetrieve pages (same page size, same
  kept-alive connection), reading each body and nothing more;
* client: `SruClient.harvest`, which also parses every page (one tree per page), checks it,
  and turns every record into `MarcData` (its fields as plain values) with its raw bytes;
* client + mapping: the same plus holdings and `BibRecord` (what a sync does before the
  database);
* for comparison, the client with prefetching switched off (parse after each download).

Prints the best time of each (least disturbed by other load), records/s, and the client's
overhead over the baseline (the issue's target: at most 10 %).

Usage: benchmarks/harvest_zebra.py [--records 10000] [--page-size 200] [--rounds 3]
Needs zebraidx/zebrasrv (apt-get install idzebra-2.0 yaz).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "integration"))

QUERY = "cql.allRecords=1"


def baseline(url: str, total: int, page_size: int) -> tuple[float, float]:
    """Wall and CPU seconds of a plain `requests` loop over the pages."""
    import requests

    session = requests.Session()
    began, cpu = time.perf_counter(), time.process_time()
    start = 1
    while start <= total:
        response = session.get(
            url,
            params={
                "operation": "searchRetrieve",
                "version": "1.2",
                "query": QUERY,
                "startRecord": str(start),
                "maximumRecords": str(page_size),
                "recordSchema": "marcxml",
                "recordPacking": "xml",
            },
            timeout=60,
        )
        response.raise_for_status()
        _ = response.content
        start += page_size
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    session.close()
    return seconds, cpu_seconds


def client(
    url: str, page_size: int, mapping: bool, prefetch: bool = True
) -> tuple[float, int, float]:
    """Wall seconds, records and CPU seconds (all threads of this process) of a harvest."""
    from adapters.bib import NotBibliographic, to_bib
    from adapters.holdings import PROFILES, SiteMap, extract_items
    from adapters.marc import MarcRecord
    from adapters.sru import SruClient, SruConfig, make_session

    sites = SiteMap(site_codes=frozenset({"SAN", "BEK", "HOV", "EIK", "RYK", "FOR"}))
    session = make_session()
    config = SruConfig(
        url=url, page_size=page_size, requests_per_second=1e6, timeout=60, prefetch=prefetch
    )
    sru = SruClient(config, session)
    count = 0
    began, cpu = time.perf_counter(), time.process_time()
    for page in sru.harvest(QUERY):
        for result in page.results:
            count += 1
            if mapping and isinstance(result, MarcRecord):
                items = extract_items(result.data, PROFILES["koha-952"], sites)
                with contextlib.suppress(NotBibliographic):
                    to_bib(result.data, "bench", items.items)
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    session.close()
    return seconds, count, cpu_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from zebra_server import ZebraServer, load_generator, zebra_missing

    problem = zebra_missing()
    if problem:
        print(f"skipped: {problem}")
        return 1
    gen = load_generator()
    server = ZebraServer(Path(tempfile.mkdtemp(prefix="bokflyt-zebra-bench-")))
    began = time.perf_counter()
    server.index("bench.xml", "".join(gen.public_collection(3, args.records, broken=False)))
    print(f"indexed {args.records} records in {time.perf_counter() - began:.1f} s")
    url = server.start()
    try:
        client(url, args.page_size, mapping=False)  # warm Zebra's caches
        plain, parsed, mapped, serial = [], [], [], []
        plain_cpu, parsed_cpu = [], []
        for _ in range(args.rounds):
            seconds, cpu_seconds = baseline(url, args.records, args.page_size)
            plain.append(seconds)
            plain_cpu.append(cpu_seconds)
            seconds, count, cpu_seconds = client(url, args.page_size, mapping=False)
            assert count == args.records, count
            parsed.append(seconds)
            parsed_cpu.append(cpu_seconds)
            mapped.append(client(url, args.page_size, mapping=True)[0])
            serial.append(client(url, args.page_size, mapping=False, prefetch=False)[0])
    finally:
        server.stop()
    n = args.records
    best_plain, best_parsed, best_mapped = min(plain), min(parsed), min(mapped)
    print(f"page size {args.page_size}, best of {args.rounds} rounds")
    print(f"  plain HTTP loop         {best_plain:6.2f} s  {n / best_plain:8,.0f} records/s")
    print(
        f"  SruClient.harvest       {best_parsed:6.2f} s  {n / best_parsed:8,.0f} records/s"
        f"  overhead {best_parsed / best_plain - 1:+.1%}"
    )
    print(
        f"  + holdings/BibRecord    {best_mapped:6.2f} s  {n / best_mapped:8,.0f} records/s"
        f"  overhead {best_mapped / best_plain - 1:+.1%}"
    )
    best_serial = min(serial)
    print(
        f"  (harvest, no prefetch   {best_serial:6.2f} s  {n / best_serial:8,.0f} records/s"
        f"  overhead {best_serial / best_plain - 1:+.1%})"
    )
    cpu_plain, cpu_client = min(plain_cpu) / n * 1e6, min(parsed_cpu) / n * 1e6
    print(
        f"  CPU in this process: plain loop {cpu_plain:.0f} µs/record, client "
        f"{cpu_client:.0f} µs/record (the client's own work: {cpu_client - cpu_plain:.0f} µs)"
    )
    print("target: client overhead <= 10 %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
