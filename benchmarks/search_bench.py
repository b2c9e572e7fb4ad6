"""Search latency over HTTP on a generated catalogue, beside baselines measured in the same run.

Generates N merged records (manifestation clusters; one in ten has a second member from the
school system) with copies at 12 sites, builds the search index, then serves the search API
with uvicorn in a separate process on a loopback port and times 500 mixed queries (words,
prefixes, phrases, authors, ISBNs in several forms, some with site/availability/format facets)
with httpx, sequentially:

- cold: a fresh server process and connections, result cache off (the OS page cache is not
  dropped, which needs root);
- warm, result cache off: the same queries again on that server. "Warm" means the database
  and OS caches are warm; every search is computed. This is the headline figure;
- warm, result cache on: a server with the result cache, after one pass to fill it, so
  repeated searches reuse their ranking and facet counts (availability is still read live).

Beside them: `search()` called in process with wall and CPU time per query (the machine may be
shared, and wall time then includes waiting for a core), the raw page statement (FTS5 MATCH /
tsquery @@, ranked, no facets, no HTTP) and a LIKE scan without the full-text index (on a
sample of 20 queries, as it is slow). Each line shows the CPU time per query and the load
average, so a figure can be judged against how busy the machine was.

    python -m benchmarks.search_bench --records 1000000 --engines sqlite
    python -m benchmarks.search_bench --records 100000 --engines sqlite,postgresql
    python -m benchmarks.search_bench --records 1000000 --engines sqlite \
        --keep /tmp/search-1m.db     # build once, reuse in later runs (--reindex to re-index)

Target (issue 5): warm p95 <= 50 ms on SQLite, result cache off.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import Engine, make_url

from bokflyt.db import make_engine, make_session_factory, normalise_url, upgrade
from catalog.models import ItemRow, Site, Source, SourceRecord
from catalog.query import QueryError, parse
from catalog.records import BibRecord, record_to_dict
from catalog.search import Filters, SearchCache, SearchRequest, search, search_sql
from catalog.search_index import rebuild

SITES = [
    ("SAN", "Sandvika bibliotek"),
    ("BEK", "Bekkestua bibliotek"),
    ("VØY", "Vøyenenga bibliotek"),
    ("STA", "Stabekk bibliotek"),
    ("FOR", "Fornebu bibliotek"),
    ("BØS", "Bærums Verk bibliotek"),
    ("SKA", "Bekkestua skole"),
    ("SKB", "Høvik skole"),
    ("SKC", "Jar skole"),
    ("SKD", "Eikeli skole"),
    ("SKE", "Rud skole"),
    ("MAG", "Magasinet"),
]
FUNCTION_WORDS = ["og", "i", "på", "om", "av", "til"]
STATUSES = ["on_shelf"] * 6 + ["on_loan"] * 3 + ["in_transit", "not_for_loan", "lost"]
WORDS = [
    "bok",
    "hus",
    "natt",
    "dag",
    "sommer",
    "vinter",
    "høst",
    "vår",
    "fjell",
    "hav",
    "skog",
    "by",
    "land",
    "vei",
    "reise",
    "hjem",
    "mor",
    "far",
    "barn",
    "søster",
    "bror",
    "venn",
    "kjærlighet",
    "krig",
    "fred",
    "sult",
    "død",
    "liv",
    "lys",
    "mørke",
    "stjerne",
    "sol",
    "måne",
    "vann",
    "ild",
    "jord",
    "vind",
    "stein",
    "tre",
    "blomst",
    "fugl",
    "ulv",
    "bjørn",
    "rev",
    "katt",
    "hund",
    "hest",
    "ku",
    "gris",
    "mann",
    "kvinne",
    "gutt",
    "jente",
    "konge",
    "dronning",
    "prins",
    "prinsesse",
    "troll",
    "heks",
    "drage",
    "skatt",
    "kart",
    "øy",
    "båt",
    "skip",
    "tog",
    "fly",
    "bil",
    "sykkel",
    "skole",
    "lærer",
    "elev",
    "klasse",
    "ferie",
    "jul",
    "påske",
    "bursdag",
    "fest",
    "dans",
    "sang",
    "musikk",
    "maleri",
    "bilde",
    "historie",
    "eventyr",
    "saga",
    "dikt",
    "roman",
    "novelle",
    "brev",
    "dagbok",
    "minne",
    "drøm",
    "hemmelighet",
    "mysterium",
    "mord",
    "detektiv",
    "politi",
    "tyv",
    "fange",
    "frihet",
    "sannhet",
    "løgn",
    "håp",
    "frykt",
    "glede",
    "sorg",
    "sinne",
    "stillhet",
    "lyd",
    "stemme",
    "ord",
    "språk",
    "bøker",
    "biblioteket",
    "grensen",
    "nord",
    "sør",
    "øst",
    "vest",
    "kyst",
    "dal",
    "elv",
    "innsjø",
    "bre",
    "snø",
    "regn",
    "storm",
    "torden",
    "himmel",
    "verden",
    "tid",
    "år",
    "uke",
    "morgen",
    "kveld",
    "middag",
    "frokost",
    "kaffe",
    "brød",
    "fisk",
    "laks",
    "torsk",
    "epler",
    "pærer",
    "hage",
    "gård",
    "seter",
    "hytte",
    "slott",
    "kirke",
    "tårn",
    "bro",
]
FORENAMES = [
    "Knut",
    "Sigrid",
    "Henrik",
    "Camilla",
    "Jo",
    "Anne",
    "Lars",
    "Tove",
    "Herbjørg",
    "Dag",
    "Åse",
    "Øystein",
    "Ingvild",
]
SURNAMES = [
    "Hamsun",
    "Undset",
    "Ibsen",
    "Collett",
    "Nesbø",
    "Holt",
    "Saabye",
    "Vesaas",
    "Wassmo",
    "Solstad",
    "Ørstavik",
    "Kjærstad",
    "Lie",
    "Bjørnson",
    "Skram",
    "Ragde",
    "Fosse",
    "Hoem",
    "Lindgren",
    "Egner",
    "Prøysen",
    "Gaarder",
    "Hagerup",
    "Aas",
    "Strøksnes",
    "Petterson",
    "Espedal",
    "Ulven",
    "Bakkeid",
    "Lier",
    "Horst",
    "Fagerholm",
    "Økland",
    "Næss",
    "Berge",
    "Dahl",
    "Moe",
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Haugen",
    "Bakke",
]
SUBJECTS = [
    "Romaner",
    "Noveller",
    "Dikt",
    "Barnebøker",
    "Ungdomsbøker",
    "Krim",
    "Historie",
    "Biografier",
    "Naturfag",
    "Reiseskildringer",
    "Kokebøker",
    "Kunst",
    "Musikk",
    "Fotball",
    "Friluftsliv",
    "Fantasy",
    "Sakprosa",
    "Tegneserier",
]
PUBLISHERS = [
    "Gyldendal",
    "Aschehoug",
    "Cappelen",
    "Damm",
    "Oktober",
    "Samlaget",
    "Pax",
    "Kagge",
    "Vigmostad",
]


@dataclass
class Corpus:
    """What the query generator needs to know about the generated catalogue."""

    titles: list[str] = field(default_factory=list)
    authors: list[tuple[str, str]] = field(default_factory=list)
    isbns: list[str] = field(default_factory=list)


def _isbn(n: int) -> str:
    body = f"97882{n:07d}"
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _vocabulary(rng: random.Random) -> list[str]:
    """The real words first (frequent), then made-up words (the long tail), Zipf-weighted."""
    syllables = [
        "ka",
        "lo",
        "ve",
        "ri",
        "sa",
        "mo",
        "na",
        "te",
        "fjo",
        "brå",
        "skø",
        "hel",
        "dal",
        "vik",
        "nes",
        "berg",
        "ø",
        "å",
        "æ",
    ]
    made_up = {
        "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(80_000)
    }
    return WORDS + sorted(made_up)


def generate(engine: Engine, n: int, seed: int) -> Corpus:
    """N clusters with items across the sites, written with Core bulk inserts."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    # Zipf over content words ranked after the ~50 function words of running text: the most
    # common content word is in about one title in two hundred, as in a real catalogue.
    cum_weights = list(accumulate(1 / (rank + 50) for rank in range(len(vocab))))
    # Real surnames first, then a long tail: the commonest author has about 0.4 % of titles.
    surnames = SURNAMES + sorted({w.capitalize() + "sen" for w in vocab[len(WORDS) :]})[:40_000]
    surname_weights = list(accumulate(1 / (rank + 20) for rank in range(len(surnames))))
    corpus = Corpus()
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        session.add_all(
            Site(
                code=c,
                name=name,
                kind="school" if c.startswith("SK") else "branch",
                lat=59.9,
                lon=10.5,
            )
            for c, name in SITES
        )
        session.add_all(
            [
                Source(name="public", kind="file", holdings="koha-952"),
                Source(name="school", kind="file", holdings="bibliofil-850"),
            ]
        )
    with sessions() as session:
        site_ids = [sid for (sid,) in session.execute(select(Site.id).order_by(Site.id))]
        source_ids = dict(session.execute(select(Source.name, Source.id)).all())
    pk = 0
    started = time.perf_counter()
    for start in range(0, n, 10_000):
        records: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        for c in range(start, min(n, start + 10_000)):
            words = rng.choices(vocab, cum_weights=cum_weights, k=rng.randint(1, 5))
            if len(words) > 1 and rng.random() < 0.15:  # "Krig og fred", "Mord i sommer"
                words.insert(rng.randint(1, len(words) - 1), rng.choice(FUNCTION_WORDS))
            title = " ".join(words).capitalize()
            forename = rng.choice(FORENAMES)
            surname = rng.choices(surnames, cum_weights=surname_weights)[0]
            isbn = _isbn(c)
            year = rng.randint(1880, 2026)
            kind = rng.choices("agij", [85, 5, 6, 4])[0]
            audience = rng.choice("   jjde")
            members = 2 if rng.random() < 0.1 else 1
            if c % 50 == 0:
                corpus.titles.append(title)
                corpus.authors.append((forename, surname))
                corpus.isbns.append(isbn)
            for m in range(members):
                pk += 1
                source = "public" if m == 0 else "school"
                bib = BibRecord(
                    source=source,
                    record_id=f"{c}-{m}",
                    title=title,
                    subtitle=" ".join(rng.choices(vocab, cum_weights=cum_weights, k=2))
                    if rng.random() < 0.3
                    else None,
                    main_author=f"{surname}, {forename}",
                    isbns=(isbn if m == 0 else isbn[3:-1] + "X",),
                    publisher=rng.choice(PUBLISHERS),
                    year=year,
                    language=rng.choices(["nob", "nno", "eng", "swe"], [70, 10, 15, 5])[0],
                    record_type=kind,
                    fixed_008=" " * 22 + audience,
                    subjects=tuple(rng.sample(SUBJECTS, rng.randint(0, 2))),
                )
                records.append(
                    {
                        "id": pk,
                        "source_id": source_ids[source],
                        "record_id": bib.record_id,
                        "raw": b"-",
                        "raw_format": "marcxml",
                        "checksum": str(pk),
                        "title": title,
                        "main_author": bib.main_author,
                        "year": year,
                        "data": record_to_dict(bib),
                        "cluster_id": f"c{c}" if members > 1 else None,
                    }
                )
                for b in range(rng.randint(1, 3)):
                    status = rng.choice(STATUSES)
                    items.append(
                        {
                            "record_pk": pk,
                            "barcode": f"{pk}-{b}",
                            "location_code": "x",
                            "site_id": rng.choice(site_ids),
                            "status": status,
                            "call_number": "B 839" if audience == "j" else "839.82",
                        }
                    )
        with engine.begin() as connection:
            connection.execute(insert(SourceRecord), records)
            connection.execute(insert(ItemRow), items)
    with engine.begin() as connection:  # planner statistics, as autovacuum would have them
        connection.execute(text("ANALYZE source_records"))
        connection.execute(text("ANALYZE items"))
    print(f"  generated {n:,} clusters ({pk:,} records) in {time.perf_counter() - started:.0f} s")
    return corpus


def make_queries(corpus: Corpus, seed: int, count: int = 500) -> list[dict[str, str]]:
    """A mixed set: words, prefixes, phrases, authors, ISBNs; a quarter with facets."""
    rng = random.Random(seed)
    queries: list[dict[str, str]] = []
    while len(queries) < count:
        kind = rng.choices(["word", "prefix", "phrase", "author", "isbn"], [30, 15, 15, 20, 20])[0]
        title = rng.choice(corpus.titles).split()
        forename, surname = rng.choice(corpus.authors)
        if kind == "word":
            typed = [w for w in title if w.lower() not in FUNCTION_WORDS] or title
            q = " ".join(rng.sample(typed, min(len(typed), rng.randint(1, 2)))) + " "
        elif kind == "prefix":
            q = " ".join(title[:-1] + [title[-1][: max(3, len(title[-1]) - 2)]])
        elif kind == "phrase":
            q = '"' + " ".join(title[:2]) + '"'
        elif kind == "author":
            q = rng.choice(
                [f"au:{surname} ", f"{forename} {surname} ", f"au:{surname} {title[0]} "]
            )
        else:
            isbn = rng.choice(corpus.isbns)
            q = rng.choice(
                [
                    isbn,
                    f"{isbn[:3]}-{isbn[3:5]}-{isbn[5:9]}-{isbn[9:12]}-{isbn[12]}",
                    isbn[3:12] + "?",
                ]
            )
            if q.endswith("?"):  # the ISBN-10 form
                body = q[:-1]
                check = sum((10 - i) * int(d) for i, d in enumerate(body)) % 11
                q = body + ("X" if (11 - check) % 11 == 10 else str((11 - check) % 11))
        params = {"q": q}
        if rng.random() < 0.25:
            params["site"] = rng.choice(SITES)[0]
            if rng.random() < 0.5:
                params["available"] = "true"
            if rng.random() < 0.3:
                params["format"] = "book"
        queries.append(params)
    return queries


@dataclass(frozen=True)
class Server:
    """A running API process: where to reach it and its pid (to read its CPU time)."""

    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux /proc; 0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(url: str, cache: bool = True) -> Iterator[Server]:
    """The search API in a uvicorn subprocess on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "benchmarks.search_bench",
            "--serve",
            url,
            "--port",
            str(port),
            *([] if cache else ["--no-cache"]),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield Server(base, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _serve(url: str, port: int, cache: bool) -> None:
    import uvicorn
    from fastapi import FastAPI

    from bokflyt.api_search import router

    app = FastAPI()
    app.state.sessions = make_session_factory(make_engine(url))
    app.include_router(router)
    if not cache:
        app.state.search_cache = SearchCache(size=0)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _percentiles(samples: Sequence[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000, ordered[-1] * 1000


@dataclass
class Pass:
    """One pass over the queries: wall time per query, CPU time (per query where it can be
    read, else the server's total), and the load average when the pass ended."""

    wall: list[float]
    cpu_total: float
    cpu: list[float] = field(default_factory=list)
    load: float = 0.0
    codes: dict[int, int] = field(default_factory=dict)


def time_http(api: Server, queries: list[dict[str, str]]) -> Pass:
    times: list[float] = []
    codes: dict[int, int] = {}
    cpu_before = api.cpu_seconds()
    with httpx.Client(base_url=api.base, timeout=60) as client:
        for params in queries:
            started = time.perf_counter()
            response = client.get("/api/search", params=params)
            response.read()
            times.append(time.perf_counter() - started)
            codes[response.status_code] = codes.get(response.status_code, 0) + 1
    cpu = api.cpu_seconds() - cpu_before
    return Pass(times, cpu, load=os.getloadavg()[0], codes=codes)


def time_in_process(url: str, queries: list[dict[str, str]]) -> Pass:
    """`search()` called directly, result cache off (no HTTP, no JSON): wall and CPU time
    per query, after one pass to warm the page cache. On a machine shared with other work
    the wall time includes waiting for a core; the CPU time does not."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    wall: list[float] = []
    cpu: list[float] = []
    with sessions() as session:
        for record in (False, True):
            for params in queries:
                request = SearchRequest(
                    q=params["q"],
                    site=params.get("site"),
                    available=params.get("available") == "true",
                    format=params.get("format"),
                )
                started, started_cpu = time.perf_counter(), time.process_time()
                with suppress(QueryError):
                    search(session, request)
                if record:
                    wall.append(time.perf_counter() - started)
                    cpu.append(time.process_time() - started_cpu)
    engine.dispose()
    return Pass(wall, sum(cpu), cpu, load=os.getloadavg()[0])


def time_raw_match(engine: Engine, queries: list[dict[str, str]]) -> list[float]:
    """The ranked page statement alone (no facets, no hits, no HTTP): the FTS floor."""
    times = []
    with engine.connect() as connection:
        for params in queries:
            compiled = search_sql(parse(params["q"]), Filters(), engine.dialect.name)
            started = time.perf_counter()
            connection.execute(text(compiled.page_sql), compiled.params).all()
            times.append(time.perf_counter() - started)
    return times


def time_like(engine: Engine, queries: list[dict[str, str]]) -> list[float]:
    """A LIKE scan over the titles (what search is without a full-text index)."""
    times = []
    with engine.connect() as connection:
        for params in queries:
            word = params["q"].strip().strip('"').split()[0].lower()
            started = time.perf_counter()
            connection.execute(
                text("SELECT id FROM search_docs WHERE title_key LIKE :p ORDER BY id LIMIT 20"),
                {"p": f"%{word}%"},
            ).all()
            times.append(time.perf_counter() - started)
    return times


def index_size(engine: Engine) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = dict(
                connection.execute(
                    text(
                        "SELECT CASE WHEN name LIKE 'search_fts%' THEN 'fts5' ELSE 'tables' END,"
                        " sum(pgsize) FROM dbstat WHERE name LIKE 'search%' GROUP BY 1"
                    )
                ).all()
            )
            total = connection.execute(
                text("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")
            ).scalar()
            return (
                f"FTS5 {rows.get('fts5', 0) / 2**20:.0f} MiB + docs/availability "
                f"{rows.get('tables', 0) / 2**20:.0f} MiB (whole db {total / 2**20:.0f} MiB)"
            )
        gin = connection.execute(text("SELECT pg_relation_size('ix_search_docs_fts')")).scalar()
        docs = connection.execute(
            text(
                "SELECT pg_total_relation_size('search_docs')"
                " + pg_total_relation_size('search_availability')"
            )
        ).scalar()
        return f"GIN {gin / 2**20:.0f} MiB; docs+availability incl. indexes {docs / 2**20:.0f} MiB"


@contextmanager
def database(kind: str, workdir: Path, pg_admin: str, keep: str | None) -> Iterator[str]:
    """A scratch database, dropped afterwards; or, with `keep`, a named one kept for reuse."""
    if keep is not None:
        yield f"sqlite:///{keep}" if kind == "sqlite" else _pg_url(pg_admin, keep, create=False)
        return
    if kind == "sqlite":
        path = workdir / f"search-bench-{uuid.uuid4().hex[:6]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(normalise_url(pg_admin), isolation_level="AUTOCOMMIT")
    name = f"bokflyt_bench_{uuid.uuid4().hex[:8]}"
    try:
        yield _pg_url(pg_admin, name, create=True)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _pg_url(pg_admin: str, name: str, create: bool) -> str:
    """The URL of database `name` on the admin URL's server; created when asked or missing."""
    admin = create_engine(normalise_url(pg_admin), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar()
        if create or not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(normalise_url(pg_admin)).set(database=name).render_as_string(False)


def _corpus_file(kind: str, keep: str) -> Path:
    return Path(tempfile.gettempdir()) / f"search-bench-{kind}-{Path(keep).name}.corpus.json"


def prepare_database(kind: str, url: str, args: argparse.Namespace) -> tuple[Corpus, float]:
    """Generate and index the catalogue, or reuse a kept one (`--keep`) built by an earlier
    run with the same --records and --seed; `--reindex` rebuilds only its search index."""
    engine = make_engine(url)
    upgrade(engine)
    saved = _corpus_file(kind, args.keep) if args.keep else None
    with engine.connect() as connection:
        empty = connection.execute(text("SELECT 1 FROM search_docs LIMIT 1")).first() is None
    if saved is not None and saved.exists() and not empty:
        stored = json.loads(saved.read_text())
        if (stored["records"], stored["seed"]) != (args.records, args.seed):
            raise SystemExit(f"{args.keep} was built with other --records or --seed")
        corpus = Corpus(stored["titles"], [tuple(a) for a in stored["authors"]], stored["isbns"])
        print(f"  reusing {args.keep} ({args.records:,} clusters)")
        build = float(stored["build"])
    else:
        corpus = generate(engine, args.records, args.seed)
        build = -1.0
    if build < 0 or args.reindex:
        started = time.perf_counter()
        with make_session_factory(engine).begin() as session:
            docs = rebuild(session)
        build = time.perf_counter() - started
        print(f"  indexed {docs:,} clusters in {build:.0f} s")
    if saved is not None:
        stored = {"records": args.records, "seed": args.seed, "build": build, **asdict(corpus)}
        saved.write_text(json.dumps(stored, ensure_ascii=False))
    if kind == "postgresql":  # what autovacuum does after a bulk load: visibility map, stats
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in ("search_docs", "search_availability", "search_display"):
                connection.execute(text(f"VACUUM (ANALYZE) {table}"))
    engine.dispose()
    return corpus, build


def run(kind: str, args: argparse.Namespace) -> list[str]:
    print(f"{kind}: {args.records:,} clusters")
    with database(kind, Path(args.workdir), args.pg_admin, args.keep) as url:
        corpus, build = prepare_database(kind, url, args)
        if args.build_only:
            return []
        engine = make_engine(url)
        size = index_size(engine)
        queries = make_queries(corpus, args.seed + 1, args.queries)
        engine.dispose()
        with server(url, cache=False) as api:
            cold = time_http(api, queries)
            uncached = time_http(api, queries)
        with server(url) as api:
            time_http(api, queries)
            cached = time_http(api, queries)
        direct = time_in_process(url, queries)
        time_raw_match(engine, queries)
        raw_warm = time_raw_match(engine, queries)
        like = time_like(engine, [q for q in queries if not q["q"][0].isdigit()][:20])
        engine.dispose()
    rows = [
        ("HTTP /api/search, cold (fresh server)", cold),
        ("HTTP /api/search, warm, result cache off", uncached),
        ("HTTP /api/search, warm, result cache on", cached),
        ("search() in process, warm, no cache/HTTP", direct),
        ("baseline: raw MATCH page, no facets (warm)", Pass(raw_warm, 0.0)),
        ("baseline: LIKE scan on titles (20 queries)", Pass(like, 0.0)),
    ]
    lines = [f"{kind} ({args.records:,} clusters, {len(queries)} queries, status {cold.codes})"]
    lines.append(f"  index build {build:.0f} s; size: {size}")
    lines.append(
        f"  {'measure':<46} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
        f" {'CPU/q ms':>8} {'CPU p95':>7} {'load':>5}"
    )
    for label, measured in rows:
        p50, p95, worst = _percentiles(measured.wall)
        mean_cpu = f"{measured.cpu_total / len(measured.wall) * 1000:8.1f}"
        cpu_p95 = f"{_percentiles(measured.cpu)[1]:7.1f}" if measured.cpu else f"{'':7}"
        load = f"{measured.load:5.1f}" if measured.load else f"{'':5}"
        lines.append(
            f"  {label:<46} {p50:>7.1f} {p95:>7.1f} {worst:>7.1f}"
            f" {mean_cpu if measured.cpu_total else '':>8} {cpu_p95} {load}"
        )
    lines.append(
        "  (CPU/q: CPU time of the server process (HTTP) or of search() per query, mean;"
        " load: 1-minute load average at the end of the pass)"
    )
    if kind == "postgresql":
        lines.append("  (CPU on PostgreSQL: the Python side only, not the database server's)")
    if kind == "sqlite":
        p95 = _percentiles(uncached.wall)[1]
        verdict = "met" if p95 <= 50 else "NOT met"
        lines.append(
            f"  target warm p95 <= 50 ms on SQLite, result cache off: {p95:.1f} ms, {verdict}"
            f" (result cache on: {_percentiles(cached.wall)[1]:.1f} ms)"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000, help="clusters to generate")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    parser.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--keep",
        metavar="NAME",
        help="keep the database for reuse: a file path for SQLite, a database name for"
        " PostgreSQL (use with one engine); a later run with the same NAME skips generating",
    )
    parser.add_argument(
        "--build-only", action="store_true", help="with --keep: build the database, time nothing"
    )
    parser.add_argument(
        "--reindex", action="store_true", help="with --keep: rebuild the search index anyway"
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-cache", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve(args.serve, args.port, cache=not args.no_cache)
        return
    report: list[str] = []
    for kind in args.engines.split(","):
        report.extend(run(kind.strip(), args))
    print()
    print("\n".join(report))


if __name__ == "__main__":
    main()
