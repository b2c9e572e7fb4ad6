#!/usr/bin/env python3
"""Benchmark (b): harvest from a local Zebra beside a plain HTTP loop fetching the same pages.

Starts Zebra on a loopback port with --records generated MARCXML records (Koha 952 items),
then runs --rounds rounds; each round runs these five, back to back:

* plain loop (the baseline): one `requests.Session` (kept-alive connection, no retry adapter)
  GETs every searchRetrieve page in turn with exactly the client's parameters (version 1.2,
  the query, startRecord, maximumRecords = --page-size, recordSchema=marcxml,
  recordPacking=xml) and reads each body into memory. Nothing else: no parsing, no checks, no
  rate limit;
* plain loop + lxml: the same, plus one lxml tree of each body (`etree.fromstring`); not the
  baseline, but the least any client that reads the records must add to it, for reference;
* client: `SruClient.harvest` over the same pages (its own session from `make_session`: urllib3
  retries, one pooled connection; the request rate limit set out of the way) and every record
  taken from the pages it yields. It parses every page (one tree per page), checks it
  (numberOfRecords, diagnostics, entity declarations, a page that does not advance), and turns
  every record into `MarcData` with its raw bytes, while the next page is downloaded and
  parsed on a background thread;
* client + mapping: the same plus holdings and `BibRecord` for every record (what a sync
  does before the database);
* client without prefetch: as "client", but each page is fetched only after the previous one
  was handed on (how much the pipelining saves).

The order of the five rotates from round to round. Prints the median time of each over the
rounds, records/s, the CPU each spends in this process per record, and the client's overhead:
the median over the rounds of (its time / the plain loop's time in the same round) - 1, with
the range (the issue's target: at most 10 %). The load average is printed beside each round:
the machine is shared, and Zebra's own speed moves with it.

Usage: benchmarks/harvest_zebra.py [--records 10000] [--page-size 200] [--rounds 5]
Needs zebraidx/zebrasrv (apt-get install idzebra-2.0 yaz).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "integration"))

QUERY = "cql.allRecords=1"


def baseline(url: str, total: int, page_size: int, parse: bool = False) -> tuple[float, float]:
    """Wall and CPU seconds of a plain `requests` loop over the pages (`parse`: and an lxml
    tree of each body, the least any client that reads the records must add)."""
    import requests
    from lxml import etree

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
        body = response.content
        if parse:
            etree.fromstring(body)
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
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from zebra_server import ZebraServer, load_generator, zebra_missing

    problem = zebra_missing()
    if problem:
        print(f"skipped: {problem}")
        return 1
    gen = load_generator()
    work = Path(tempfile.mkdtemp(prefix="bokflyt-zebra-bench-"))
    server = ZebraServer(work)
    began = time.perf_counter()
    server.index("bench.xml", "".join(gen.public_collection(3, args.records, broken=False)))
    print(f"indexed {args.records} records in {time.perf_counter() - began:.1f} s")
    url = server.start()
    n = args.records
    wall: dict[str, list[float]] = {name: [] for name in RUNS}
    cpu: dict[str, list[float]] = {name: [] for name in RUNS}
    try:
        client(url, args.page_size, mapping=False)  # warm Zebra's caches
        for round_no in range(1, args.rounds + 1):
            before = os.getloadavg()[0]
            for name in RUNS[round_no % len(RUNS) :] + RUNS[: round_no % len(RUNS)]:
                if name.startswith("plain loop"):
                    seconds, cpu_seconds = baseline(url, n, args.page_size, name != "plain loop")
                else:
                    seconds, count, cpu_seconds = client(
                        url,
                        args.page_size,
                        mapping=name == "client + mapping",
                        prefetch=name != "client, no prefetch",
                    )
                    assert count == n, count
                wall[name].append(seconds)
                cpu[name].append(cpu_seconds)
            plain = wall["plain loop"][-1]
            print(
                f"round {round_no}: "
                + ", ".join(f"{name} {wall[name][-1]:.2f} s" for name in RUNS)
                + f"; client overhead {wall['client'][-1] / plain - 1:+.1%} "
                f"[load {before:.1f} → {os.getloadavg()[0]:.1f}]"
            )
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"{n} records, page size {args.page_size}, median of {args.rounds} rounds")
    for name in RUNS:
        seconds = statistics.median(wall[name])
        line = f"  {name:<19} {seconds:6.2f} s {n / seconds:8,.0f} records/s"
        line += f"  CPU {statistics.median(cpu[name]) / n * 1e6:4.0f} µs/record"
        if name != "plain loop":
            overheads = [w / p - 1 for w, p in zip(wall[name], wall["plain loop"], strict=True)]
            line += (
                f"  overhead {statistics.median(overheads):+.1%} "
                f"(rounds {min(overheads):+.0%} to {max(overheads):+.0%})"
            )
        print(line)
    print("target: client overhead <= 10 % (client vs plain loop)")
    return 0


RUNS = (
    "plain loop",
    "plain loop + lxml",
    "client",
    "client + mapping",
    "client, no prefetch",
)


if __name__ == "__main__":
    sys.exit(main())
