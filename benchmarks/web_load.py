#!/usr/bin/env python3
"""Benchmark: 50 simulated librarians search and open records while a real sync runs.

What it does, all on one machine over loopback:

1. generates a Koha MARCXML collection (`scripts/make-demo-data`) of --titles titles and a
   second one with --grow more titles (the first --titles identical), and loads the first with
   `bokflyt import --full` (merge and search index included, as every sync);
2. starts `bokflyt serve` in its own process, so the load generator's threads do not share the
   server's interpreter lock;
3. baseline: one user, no sync, --baseline requests;
4. load: --users users, each logged in with its own session, for --duration seconds: search
   (70 %) or open a record (30 %), thinking 0.2-1.0 s between requests, as people do; meanwhile
   `bokflyt import --full` runs again and again in a subprocess, alternating the grown and the
   first file, so each run adds or withdraws --grow titles, re-merges and re-indexes them.

Prints both runs' p50/p95/max per kind of request. Exits 1 when a request failed, no sync
finished during the load, or the p95 under load exceeds 200 ms (issue 8's target).

Usage: benchmarks/web_load.py [--titles 3000] [--grow 300] [--users 50] [--duration 20]
       [--db-url URL]   (default: a SQLite file in a temporary directory)
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "integration"))

from bokflyt.settings import SyncSettings  # noqa: E402  (after the path set-up above)

PASSWORD = "last-test-passord"
BRANCHES = ("SAN", "BEK", "HOV", "EIK", "RYK", "FOR")  # the generator's Koha branches
TARGET_P95 = 0.200


def config_text(db_url: str, workers: int = 1) -> str:
    """bokflyt.toml for the benchmark: the generator's branches and one file source."""
    sites = "".join(
        f'\n[[sites]]\ncode = "{code}"\nname = "Bibliotek {code}"\nkind = "branch"\n'
        f"lat = 59.9\nlon = 10.5\n"
        for code in BRANCHES
    )
    return (
        f'[database]\nurl = "{db_url}"\n\n'
        f'[web]\nsecret_key = "{"w" * 40}"\ncookie_secure = false\nworkers = {workers}\n\n'
        '[sources.public]\nkind = "file"\nholdings = "koha-952"\n' + sites
    )


def generate(path: Path, titles: int) -> None:
    from zebra_server import load_generator

    gen = load_generator()
    gen.write(path, gen.public_collection(1, titles, broken=False))


def bokflyt(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command line, as cron runs it."""
    return subprocess.run(
        [sys.executable, "-m", "bokflyt", "--config", str(config), *args],
        env={**os.environ, "BOKFLYT_ENV": "production"},
        capture_output=True,
        text=True,
        check=False,
    )


def prepare(config: Path, db_url: str, first: Path) -> list[str]:
    """Import the first file, add the load user; the cluster ids to open."""
    from sqlalchemy import select

    from bokflyt.auth import create_user
    from bokflyt.db import make_engine, make_session_factory
    from catalog.models_search import SearchDoc

    done = bokflyt(config, "import", "--source", "public", "--full", str(first))
    if done.returncode != 0:
        raise SystemExit(f"initial import failed:\n{done.stdout}\n{done.stderr}")
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        create_user(session, "last", "librarian", PASSWORD, site_code="SAN")
        clusters = list(session.scalars(select(SearchDoc.cluster_id)))
    engine.dispose()
    if not clusters:
        raise SystemExit("the import indexed nothing")
    return clusters


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(config: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bokflyt", "--config", str(config), "serve", "--port", str(port)],
        env={**os.environ, "BOKFLYT_ENV": "production"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise SystemExit("bokflyt serve did not start")
        time.sleep(0.1)


def logged_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10, follow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    if token is None:
        raise SystemExit("no CSRF token on the login page")
    answer = client.post(
        "/login", data={"username": "last", "password": PASSWORD, "csrf_token": token[1]}
    )
    if answer.status_code != 303:
        raise SystemExit(f"login failed: {answer.status_code}")
    return client


@dataclass
class Tally:
    """Latencies per kind of request and the failures, shared by the user threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {"search": [], "record": []})
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, status: int, path: str) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if status != 200:
                self.errors.append(f"{status} {path}")

    def all(self) -> list[float]:
        return [v for values in self.latencies.values() for v in values]


def words_of(clusters: list[str], base: str, client: httpx.Client) -> list[str]:
    """Search words a librarian would type: words of the titles of some records."""
    rng = random.Random(3)
    words: set[str] = set()
    for cluster in rng.sample(clusters, min(40, len(clusters))):
        title = client.get(f"/api/records/{cluster}").json().get("title", "")
        words.update(w.lower() for w in re.findall(r"\w{4,}", title))
    return sorted(words) or ["bok"]


def one_request(
    client: httpx.Client, rng: random.Random, clusters: list[str], words: list[str], tally: Tally
) -> None:
    if rng.random() < 0.7:
        q = " ".join(rng.sample(words, min(len(words), rng.choice((1, 1, 2)))))
        params = {"q": q, **({"available": "true"} if rng.random() < 0.2 else {})}
        path, kind = "/sok", "search"
    else:
        path, kind, params = f"/post/{rng.choice(clusters)}", "record", {}
    began = time.perf_counter()
    answer = client.get(path, params=params)
    tally.add(kind, time.perf_counter() - began, answer.status_code, path)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary(name: str, tally: Tally) -> list[str]:
    lines = []
    for kind, values in tally.latencies.items():
        if values:
            p50, p95 = percentile(values, 0.5) * 1000, percentile(values, 0.95) * 1000
            lines.append(
                f"  {name:<9} {kind:<7} n={len(values):>5}  p50={p50:6.1f} ms  p95={p95:6.1f} ms"
                f"  max={max(values) * 1000:6.1f} ms"
            )
    return lines


def sync_loop(
    config: Path, files: tuple[Path, Path], stop: threading.Event, runs: list[tuple[float, int]]
) -> None:
    """`bokflyt import --full`, alternating the grown and the first file, until stopped."""
    turn = 0
    while not stop.is_set():
        began = time.perf_counter()
        done = bokflyt(config, "import", "--source", "public", "--full", str(files[turn % 2]))
        runs.append((time.perf_counter() - began, done.returncode))
        turn += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--titles", type=int, default=3000)
    parser.add_argument("--grow", type=int, default=300)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--baseline", type=int, default=150)
    parser.add_argument("--db-url", default=None)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="bokflyt serve processes"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bokflyt-web-load-") as tmp:
        work = Path(tmp)
        db_url = args.db_url or f"sqlite:///{work / 'load.db'}"
        config = work / "bokflyt.toml"
        config.write_text(config_text(db_url, args.workers), encoding="utf-8")
        first, grown = work / "public.xml", work / "public-grown.xml"
        generate(first, args.titles)
        generate(grown, args.titles + args.grow)
        clusters = prepare(config, db_url, first)
        process, base = serve(config)
        try:
            client = logged_in(base)
            words = words_of(clusters, base, client)
            rng = random.Random(1)
            baseline = Tally()
            for _ in range(args.baseline):
                one_request(client, rng, clusters, words, baseline)
            client.close()

            clients = [logged_in(base) for _ in range(args.users)]
            load = Tally()
            stop = threading.Event()
            runs: list[tuple[float, int]] = []
            syncer = threading.Thread(target=sync_loop, args=(config, (grown, first), stop, runs))

            def user(client: httpx.Client, seed: int) -> None:
                user_rng = random.Random(seed)
                end = time.monotonic() + args.duration
                while time.monotonic() < end:
                    one_request(client, user_rng, clusters, words, load)
                    time.sleep(user_rng.uniform(0.2, 1.0))

            threads = [threading.Thread(target=user, args=(c, i)) for i, c in enumerate(clients)]
            syncer.start()
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            stop.set()
            syncer.join()
            for each in clients:
                each.close()
        finally:
            process.terminate()
            process.wait(timeout=10)

    everything = load.all()
    p95 = percentile(everything, 0.95)
    finished = [seconds for seconds, code in runs if code == 0]
    failed_syncs = sum(1 for _, code in runs if code != 0)
    engine = "PostgreSQL" if db_url.startswith("postgresql") else "SQLite"
    nice = SyncSettings().nice
    print(
        f"web load, {engine}, {args.titles} titles (+/-{args.grow} per sync), loopback,"
        f" {args.workers} server worker(s), sync at nice {nice} ([sync] nice)"
    )
    print("\n".join(summary("baseline", baseline)) + "   (1 user, no sync)")
    print(
        "\n".join(summary("load", load))
        + f"   ({args.users} users, think 0.2-1.0 s, {len(finished)} `bokflyt import` runs,"
        f" {sum(finished) / max(1, len(finished)):.1f} s each)"
    )
    print(
        f"  load: {len(everything)} requests in {elapsed:.1f} s = {len(everything) / elapsed:.0f}"
        f" req/s; p95 all = {p95 * 1000:.1f} ms (target <= {TARGET_P95 * 1000:.0f} ms, baseline"
        f" {percentile(baseline.all(), 0.95) * 1000:.1f} ms); errors = {len(load.errors)},"
        f" failed syncs = {failed_syncs}"
    )
    ok = not load.errors and not baseline.errors and finished and not failed_syncs
    return 0 if ok and p95 <= TARGET_P95 else 1


if __name__ == "__main__":
    raise SystemExit(main())
