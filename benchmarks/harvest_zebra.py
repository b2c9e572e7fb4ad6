#!/usr/bin/env python3
"""Benchmark (b): harvest from a local Zebra beside a plain HTTP loop fetching the same pages.

Starts Zebra on a loopback port with --records generated MARCXML records (Koha 952 items),
then runs --rounds rounds; each round runs these five, back to back, over the same pages:

* plain loop (the baseline): one `requests.Session` (kept-alive connection, no retry adapter)
  GETs every searchRetrieve page in turn with exactly the client's parameters (version 1.2,
  the query, startRecord, maximumRecords = --page-size, recordSchema=marcxml,
  recordPacking=xml) and reads each body into memory. Nothing else: no parsing, no checks, no
  rate limit;
* plain loop + lxml: the same, plus one lxml tree of each body (`etree.fromstring`), inline;
  not the baseline, but the least any client that reads the records must add to it;
* SRU client (the issue's figure): `SruClient.harvest` over the same pages, with its own
  session from `make_session` (urllib3 retries, one pooled connection; the request rate limit
  set out of the way), every record taken from the pages it yields. That is the protocol
  client's whole job: every page parsed safely (one tree per page) and checked
  (numberOfRecords, diagnostics, entity declarations, a page that does not advance, server
  page caps), every record handed on as an `SruRecord` (its SRU position and MARCXML element)
  or quarantined, the next pages downloading on a background thread meanwhile;
* full harvest (client + MARC reading + holdings): the same, plus what a sync does with each
  record before the database: `read_records` (typed `MarcRecord`: fields and raw bytes, the
  MARC reading of deliverable 2), the koha-952 items and the `BibRecord`. Not the client's
  overhead: printed so that nobody takes the client's figure for the cost of a whole harvest;
* client, no prefetch: as "SRU client", but each page is fetched only after the previous one
  was handed on (what the download thread saves).

The order of the five rotates from round to round. Prints, per line, the median time over the
rounds, records/s, the CPU this process spends per record (all its threads), the CPU Zebra
spends per record (zebrasrv and the child it forks for the connection, from /proc; "-"
elsewhere), how long Zebra sat idle between answering one page and receiving the next
request (median ms per page, timed at `http.client`: the part of a client's cost that lies
on the server's critical path), and the overhead: the median over the rounds of (its time /
the plain loop's time in the same round) - 1, with the range. Zebra answers one request at a
time on one core, so the plain loop is about as slow as Zebra's own CPU; a client on a
two-core machine hides its own CPU behind Zebra's only while a core is free, so the load
average is printed beside each round (the machine is shared, and every figure moves with it).

Usage: benchmarks/harvest_zebra.py [--records 10000] [--page-size 200] [--rounds 5]
Needs zebraidx/zebrasrv (apt-get install idzebra-2.0 yaz).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "integration"))

QUERY = "cql.allRecords=1"
PLAIN, PLAIN_LXML, CLIENT, FULL, NO_PREFETCH = (
    "plain loop",
    "plain loop + lxml",
    "SRU client",
    "full harvest",
    "client, no prefetch",
)
RUNS = (PLAIN, PLAIN_LXML, CLIENT, FULL, NO_PREFETCH)


def baseline(url: str, total: int, page_size: int, parse: bool = False) -> int:
    """A plain `requests` loop over the pages (`parse`: and an lxml tree of each body)."""
    import requests
    from lxml import etree

    session = requests.Session()
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
    session.close()
    return total


def harvest(url: str, page_size: int, full: bool, prefetch: bool = True) -> int:
    """Records harvested by `SruClient` (`full`: and read into MARC, items and BibRecords)."""
    from adapters.bib import NotBibliographic, to_bib
    from adapters.holdings import PROFILES, SiteMap, extract_items
    from adapters.marc import MarcRecord
    from adapters.sru import SruClient, SruConfig, SruRecord, make_session, read_records

    sites = SiteMap(site_codes=frozenset({"SAN", "BEK", "HOV", "EIK", "RYK", "FOR"}))
    session = make_session()
    config = SruConfig(
        url=url, page_size=page_size, requests_per_second=1e6, timeout=60, prefetch=prefetch
    )
    count = 0
    for page in SruClient(config, session).harvest(QUERY):
        if not full:
            count += sum(1 for r in page.results if isinstance(r, SruRecord))
            continue
        for result in read_records(page.results):
            if isinstance(result, MarcRecord):
                count += 1
                items = extract_items(result.data, PROFILES["koha-952"], sites)
                with contextlib.suppress(NotBibliographic):
                    to_bib(result.data, "bench", items.items)
    session.close()
    return count


def zebra_cpu(pid: int | None) -> float | None:
    """CPU seconds of zebrasrv so far: itself, its reaped children and its live children."""
    if pid is None or not Path(f"/proc/{pid}/stat").exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")

    def fields(proc: int) -> list[str]:
        text = Path(f"/proc/{proc}/stat").read_text()
        return text[text.rfind(")") + 2 :].split()  # [1] ppid, [11:15] u/s time, children's

    total = sum(int(x) for x in fields(pid)[11:15])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                child = fields(int(entry.name))
                if int(child[1]) == pid:
                    total += int(child[11]) + int(child[12])
    return total / tick


class ServerIdle:
    """Times, per page, from a response's headers to the next request's bytes being sent.

    Wraps `http.client.HTTPConnection.send` and `getresponse` (urllib3's connections inherit
    them) for the length of a run; the cost is two clock readings per request.
    """

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._answered: float | None = None

    @contextlib.contextmanager
    def watching(self) -> Iterator[ServerIdle]:
        send, getresponse = http.client.HTTPConnection.send, http.client.HTTPConnection.getresponse
        idle = self

        def timed_send(conn: http.client.HTTPConnection, data: Any) -> None:
            if idle._answered is not None:
                idle.gaps.append(time.perf_counter() - idle._answered)
                idle._answered = None
            send(conn, data)

        def timed_getresponse(conn: http.client.HTTPConnection) -> http.client.HTTPResponse:
            response = getresponse(conn)
            idle._answered = time.perf_counter()
            return response

        http.client.HTTPConnection.send = timed_send  # type: ignore[method-assign,assignment]
        http.client.HTTPConnection.getresponse = timed_getresponse  # type: ignore[method-assign,assignment]
        try:
            yield self
        finally:
            http.client.HTTPConnection.send = send  # type: ignore[method-assign]
            http.client.HTTPConnection.getresponse = getresponse  # type: ignore[method-assign]


def measure(
    run: Callable[[], int], pid: int | None
) -> tuple[float, float, float | None, float, int]:
    """Wall seconds, this process's CPU seconds, Zebra's CPU seconds, Zebra's median idle
    seconds between pages, and the records of `run`."""
    zebra_before = zebra_cpu(pid)
    with ServerIdle().watching() as idle:
        began, cpu = time.perf_counter(), time.process_time()
        count = run()
        seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    time.sleep(0.2)  # Zebra's child exits when the connection closes; let it be reaped
    zebra_after = zebra_cpu(pid)
    zebra = None if zebra_before is None or zebra_after is None else zebra_after - zebra_before
    return seconds, cpu_seconds, zebra, statistics.median(idle.gaps or [0.0]), count


def runner(name: str, url: str, n: int, page_size: int) -> Callable[[], int]:
    if name in (PLAIN, PLAIN_LXML):
        return lambda: baseline(url, n, page_size, parse=name == PLAIN_LXML)
    return lambda: harvest(url, page_size, full=name == FULL, prefetch=name != NO_PREFETCH)


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
    zebra: dict[str, list[float]] = {name: [] for name in RUNS}
    idle: dict[str, list[float]] = {name: [] for name in RUNS}
    try:
        harvest(url, args.page_size, full=False)  # warm Zebra's caches
        for round_no in range(1, args.rounds + 1):
            before = os.getloadavg()[0]
            for name in RUNS[round_no % len(RUNS) :] + RUNS[: round_no % len(RUNS)]:
                seconds, cpu_seconds, zebra_seconds, idle_seconds, count = measure(
                    runner(name, url, n, args.page_size), server.pid
                )
                assert count == n, (name, count)
                wall[name].append(seconds)
                cpu[name].append(cpu_seconds)
                idle[name].append(idle_seconds)
                if zebra_seconds is not None:
                    zebra[name].append(zebra_seconds)
            plain = wall[PLAIN][-1]
            print(
                f"round {round_no}: "
                + ", ".join(f"{name} {wall[name][-1]:.2f} s" for name in RUNS)
                + f"; client overhead {wall[CLIENT][-1] / plain - 1:+.1%} "
                f"[load {before:.1f} → {os.getloadavg()[0]:.1f}]",
                flush=True,
            )
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(wall, cpu, zebra, idle, n, args.page_size, args.rounds)
    return 0


def report(
    wall: dict[str, list[float]],
    cpu: dict[str, list[float]],
    zebra: dict[str, list[float]],
    idle: dict[str, list[float]],
    n: int,
    page_size: int,
    rounds: int,
) -> None:
    print()
    print(f"{n} records, page size {page_size}, median of {rounds} rounds")
    print(
        f"  {'':<20} {'wall':>7} {'records/s':>9}  {'CPU here':>11}  {'CPU Zebra':>11}"
        f"  {'Zebra idle':>11}  overhead"
    )
    for name in RUNS:
        seconds = statistics.median(wall[name])
        here = statistics.median(cpu[name]) / n * 1e6
        there = f"{statistics.median(zebra[name]) / n * 1e6:4.0f} µs/rec" if zebra[name] else "-"
        gap = statistics.median(idle[name]) * 1e3
        line = (
            f"  {name:<20} {seconds:6.2f}s {n / seconds:9,.0f}  {here:4.0f} µs/rec  {there:>11}"
            f"  {gap:5.1f} ms/pg"
        )
        if name != PLAIN:
            overheads = [w / p - 1 for w, p in zip(wall[name], wall[PLAIN], strict=True)]
            line += (
                f"  {statistics.median(overheads):+6.1%} "
                f"(rounds {min(overheads):+.0%} to {max(overheads):+.0%})"
            )
        print(line)
    print(f"target: {CLIENT} overhead <= 10 % against the {PLAIN} (the protocol client alone;")
    print(f"  '{FULL}' adds MARC reading, items and BibRecords, deliverable 2's work)")


if __name__ == "__main__":
    sys.exit(main())
