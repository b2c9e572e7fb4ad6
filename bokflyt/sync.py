"""Sync composition: configuration → adapter (SRU, OAI-PMH or MARC files) → holdings → catalogue
ingest.

Nothing here parses MARC or writes SQL; it decides the mode and the query, turns adapter values
(`MarcRecord`/`Quarantined`) into catalogue values (`Incoming`/`Rejected`) and hands them to
`catalog.ingest`, which owns the transaction.

Modes: `full` (every record; what has left the source is withdrawn), `incremental` (the source's
`incremental_query` ANDed onto its query, with `{since}` = YYYYMMDD and `{since_iso}` =
YYYY-MM-DD of the last successful run's start minus one day, because date indexes built from 005
have day precision), `import` (files named on the command line; `--full` makes them the whole
collection). An OAI-PMH source's incremental harvest asks for what changed since that same
moment and also brings deletions, which withdraw their records in the same run (`Gone`).
The checksum of a record covers its raw bytes and the holdings setup (profile and
site mapping), so changing the mapping in the configuration re-resolves every copy once.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import multiprocessing
import multiprocessing.queues
import os
import queue as stdlib_queue
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy.orm import Session, sessionmaker

from adapters.bib import NotBibliographic, to_bib
from adapters.errors import AdapterError
from adapters.holdings import HoldingsProfile, SiteMap, custom_profile, extract_items, profile_named
from adapters.marc import MarcRecord, Quarantined, ReadResult, read_marc
from adapters.oai import Deleted, Granularity, OaiClient, OaiConfig, OaiResult
from adapters.spool import SpoolWriter, replay
from adapters.sru import SruClient, SruConfig, make_session, read_records
from bokflyt.settings import CustomHoldings, Settings, SourceSettings
from catalog.ingest import (
    Gone,
    Incoming,
    IngestError,
    Rejected,
    RunCounts,
    SyncRefused,
    begin_run,
    ingest,
    last_successful_start,
    mark_failed,
    recent_runs,
)

log = logging.getLogger(__name__)

Progress = Callable[["HarvestState"], None]


@dataclass
class HarvestState:
    """Where a run is: counts so far, the server's total (when known), the next SRU offset."""

    source: str
    mode: str
    counts: RunCounts = field(default_factory=RunCounts)
    total: int | None = None
    next_start: int | None = None
    query: str | None = None
    spool: Path | None = None

    def checkpoint(self) -> str | None:
        """What `--resume` needs: where to go on, the query, the server's total, the spool."""
        if self.next_start is None:
            return None
        return json.dumps(
            {
                "next_start": self.next_start,
                "total": self.total,
                "query": self.query,
                "mode": self.mode,
                "spool": str(self.spool) if self.spool else None,
            }
        )


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """How one source's run ended; `error` is None on success."""

    source: str
    run_id: int | None
    mode: str
    counts: RunCounts
    error: str | None = None
    failure: Exception | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None


def site_map(settings: Settings, source: str) -> SiteMap:
    """The plain-data site resolution for one source (its mapping, site codes, library numbers)."""
    spec = settings.sources[source]
    return SiteMap(
        aliases=dict(spec.sites),
        site_codes=frozenset(site.code for site in settings.sites),
        library_numbers={s.library_number: s.code for s in settings.sites if s.library_number},
    )


def holdings_profile(spec: SourceSettings, override: str | None = None) -> HoldingsProfile:
    """The built-in profile named by the source (or `--holdings`), or its custom mapping."""
    if override:
        return profile_named(override)
    holdings = spec.holdings
    if isinstance(holdings, CustomHoldings):
        return custom_profile(
            holdings.tag,
            holdings.barcode,
            holdings.site,
            home_site=holdings.home_site,
            call_number=holdings.call_number,
            item_type=holdings.item_type,
            status=holdings.status,
            due_date=holdings.due_date,
            status_map=holdings.status_map,
        )
    return profile_named(holdings)


def fingerprint(profile: HoldingsProfile, sites: SiteMap) -> bytes:
    """Bytes that change when the way copies are read changes (mixed into every checksum)."""
    description = json.dumps(
        {
            "profile": [profile.name, profile.tag, profile.barcode, list(profile.site)],
            "aliases": sorted(sites.aliases.items()),
            "codes": sorted(sites.site_codes),
            "numbers": sorted(sites.library_numbers.items()),
        },
        sort_keys=True,
    )
    return hashlib.sha256(description.encode()).digest()


def convert(
    results: Iterable[ReadResult | Deleted],
    source: str,
    profile: HoldingsProfile,
    sites: SiteMap,
) -> Iterator[Incoming | Rejected | Gone]:
    """Adapter values → catalogue values: items extracted, BibRecord built, checksum computed;
    a deletion an OAI-PMH repository reports becomes `Gone`."""
    salt = fingerprint(profile, sites)
    for result in results:
        if isinstance(result, Deleted):
            yield Gone(result.record_id)
            continue
        if isinstance(result, Quarantined):
            yield Rejected(ref=result.ref, reason=result.reason, raw=result.raw)
            continue
        assert isinstance(result, MarcRecord)
        try:
            items = extract_items(result.data, profile, sites)
            bib = to_bib(result.data, source, items.items)
        except NotBibliographic as exc:
            yield Rejected(
                ref=result.control_number or f"#{result.position}", reason=str(exc), raw=result.raw
            )
            continue
        except (ValueError, KeyError, IndexError, AttributeError) as exc:
            yield Rejected(
                ref=result.control_number or f"#{result.position}",
                reason=f"posten kunne ikke tolkes: {type(exc).__name__}: {exc}",
                raw=result.raw,
            )
            continue
        checksum = hashlib.sha256(salt + result.raw).hexdigest()
        yield Incoming(bib=bib, raw=result.raw, raw_format=result.raw_format, checksum=checksum)


def state_dir() -> Path:
    """Where spools live: $BOKFLYT_STATE_DIR, else ~/.local/state/bokflyt."""
    configured = os.environ.get("BOKFLYT_STATE_DIR")
    return Path(configured) if configured else Path.home() / ".local" / "state" / "bokflyt"


class ServerChanged(AdapterError):
    """The server's result changed since the failed run; resuming could skip records."""


def _sru_results(
    client: SruClient,
    query: str,
    state: HarvestState,
    spool: SpoolWriter,
    start: int = 1,
    expect_total: int | None = None,
) -> Iterator[ReadResult]:
    """The harvest as MARC: the client's records of each page read into `MarcRecord`s
    (`read_records`), spooled, and handed on; the checkpoint moves with each page."""
    for page in client.harvest(query, start):
        if expect_total is not None and page.total != expect_total:
            raise ServerChanged(
                f"serveren har nå {page.total} treff, ikke {expect_total} som da kjøringen "
                "stoppet; gjenopptak kunne hoppet over poster. Kjør `bokflyt sync --full`."
            )
        expect_total = None
        results = list(read_records(page.results))
        spool.write_page(results)
        state.total = page.total
        state.next_start = page.next_start
        del page  # its tree is not kept while the records go on to be stored
        yield from results


def resumable(sessions: sessionmaker[Session], name: str) -> dict[str, Any] | None:
    """The checkpoint of the newest failed run of `name` whose spool still exists, if any."""
    with sessions() as session:
        for run in recent_runs(session, limit=10, source=name):
            if run.status == "ok":
                return None
            if run.status != "failed" or not run.checkpoint:
                continue
            checkpoint: dict[str, Any] = json.loads(run.checkpoint)
            spool = checkpoint.get("spool")
            if spool and Path(spool).exists() and checkpoint.get("next_start"):
                return checkpoint
    return None


def incremental_query(
    spec: SourceSettings, sessions: sessionmaker[Session], name: str
) -> str | None:
    """The query for an incremental harvest, or None when a full harvest is needed."""
    if not spec.incremental_query:
        return None
    with sessions() as session:
        since = last_successful_start(session, name, ("full", "incremental"))
    if since is None:
        return None
    day = since - timedelta(days=1)
    clause = spec.incremental_query.format(since=f"{day:%Y%m%d}", since_iso=f"{day:%Y-%m-%d}")
    return f"({spec.query}) and ({clause})"


def sru_config(spec: SourceSettings) -> SruConfig:
    assert spec.url is not None
    return SruConfig(
        url=spec.url,
        version=spec.sru_version,
        record_schema=spec.record_schema,
        page_size=spec.page_size,
        timeout=spec.timeout,
        requests_per_second=spec.requests_per_second,
    )


def _run(
    sessions: sessionmaker[Session],
    name: str,
    mode: str,
    values: Iterable[Incoming | Rejected | Gone],
    *,
    full: bool,
    state: HarvestState,
    progress: Progress | None,
) -> SyncOutcome:
    run_id = begin_run(sessions, name, mode)

    def report(counts: RunCounts) -> None:
        state.counts = counts
        if progress is not None:
            progress(state)

    try:
        counts = ingest(
            sessions,
            run_id,
            values,
            full=full,
            progress=report,
            checkpoint=state.checkpoint,
        )
    except (AdapterError, IngestError) as exc:
        if isinstance(exc, SyncRefused):
            raise
        return SyncOutcome(name, run_id, mode, state.counts, error=str(exc), failure=exc)
    return SyncOutcome(name, run_id, mode, counts)


def sync_source(
    settings: Settings,
    sessions: sessionmaker[Session],
    name: str,
    *,
    full: bool = False,
    resume: bool = False,
    http: requests.Session | None = None,
    progress: Progress | None = None,
) -> SyncOutcome:
    """Harvest one configured source into the catalogue (full, incremental or resumed).

    An SRU harvest is spooled page by page; when it fails, the run's checkpoint names the
    spool and the next offset, and `resume=True` replays the spool and carries on from there
    (refused when the server's total has changed meanwhile, since offsets would have shifted).
    """
    spec = settings.sources[name]
    if spec.kind == "oai":
        if resume:
            log.info("OAI-PMH has nothing to resume (tokens expire); running a normal sync")
        return sync_oai_source(settings, sessions, name, full=full, http=http, progress=progress)
    profile = holdings_profile(spec)
    sites = site_map(settings, name)
    if spec.kind == "file":
        if not spec.path:
            return SyncOutcome(
                name, None, "full", RunCounts(), error=f"kilden {name!r} mangler 'path'"
            )
        folder = Path(spec.path)
        files = (
            sorted(f for f in folder.iterdir() if f.is_file() and not f.name.startswith("."))
            if folder.is_dir()
            else [folder]
        )
        return import_files(
            settings, sessions, name, files, full=True, progress=progress, mode="full"
        )
    resume_from = resumable(sessions, name) if resume else None
    if resume and resume_from is None:
        log.info("nothing to resume for %s; running a normal sync", name)
    if resume_from is not None:
        mode, query = str(resume_from["mode"]), str(resume_from["query"])
        start, expect = int(resume_from["next_start"]), resume_from.get("total")
        spool_path = Path(resume_from["spool"])
    else:
        incremental = None if full else incremental_query(spec, sessions, name)
        mode = "incremental" if incremental else "full"
        query, start, expect = incremental or spec.query, 1, None
        spool_path = state_dir() / "spool" / f"{name}-{uuid.uuid4().hex[:12]}.bin"
    state = HarvestState(source=name, mode=mode, query=query, spool=spool_path, next_start=start)
    owned = http is None
    session = http or make_session(retries=spec.retries)
    client = SruClient(sru_config(spec), session)
    writer = SpoolWriter(spool_path)
    try:
        try:
            cap = client.explain().max_records
            if cap:
                client.server_cap = cap
        except AdapterError as exc:
            log.warning("explain failed for %s, harvesting without it: %s", name, exc)
        log.info("harvesting %s (%s) from %d: %s", name, mode, start, query)
        earlier: Iterable[ReadResult] = replay(spool_path) if resume_from is not None else ()
        results = itertools.chain(
            earlier, _sru_results(client, query, state, writer, start, expect)
        )
        outcome = _run(
            sessions,
            name,
            mode,
            convert(results, name, profile, sites),
            full=mode == "full",
            state=state,
            progress=progress,
        )
    except BaseException:
        writer.close()
        raise
    finally:
        if owned:
            session.close()
    if outcome.ok or isinstance(outcome.failure, ServerChanged):
        writer.discard()
    else:
        writer.close()
        log.info("spooled %s; `bokflyt sync --resume %s` continues from it", spool_path, name)
    return outcome


def oai_config(spec: SourceSettings) -> OaiConfig:
    assert spec.url is not None
    return OaiConfig(
        url=spec.url,
        metadata_prefix=spec.metadata_prefix,
        set_spec=spec.oai_set,
        timeout=spec.timeout,
        requests_per_second=spec.requests_per_second,
        record_id_pattern=spec.record_id_pattern,
    )


def _oai_results(
    client: OaiClient, since: datetime | None, granularity: Granularity, state: HarvestState
) -> Iterator[OaiResult]:
    """Every page's records and deletions, in order; the repository's total when it gives one."""
    for page in client.list_records(since, granularity):
        if page.size is not None:
            state.total = page.size
        yield from page.results


def sync_oai_source(
    settings: Settings,
    sessions: sessionmaker[Session],
    name: str,
    *,
    full: bool = False,
    http: requests.Session | None = None,
    progress: Progress | None = None,
) -> SyncOutcome:
    """Harvest an OAI-PMH repository: everything (`full`, or the first time), else what
    changed since the last successful run less a day, deletions included. There is nothing
    to resume: resumption tokens expire, and a failed run leaves the catalogue as it was."""
    spec = settings.sources[name]
    profile, sites = holdings_profile(spec), site_map(settings, name)
    since = None
    if not full:
        with sessions() as db:
            last = last_successful_start(db, name, ("full", "incremental"))
        since = last - timedelta(days=1) if last is not None else None
    mode = "incremental" if since is not None else "full"
    state = HarvestState(source=name, mode=mode)
    owned = http is None
    http = http or make_session(retries=spec.retries)
    try:
        client = OaiClient(oai_config(spec), http)
        info = client.identify()
        if mode == "incremental" and info.deleted_record == "no":
            log.warning(
                "%s keeps no deletions (deletedRecord=no): records deleted there are only "
                "withdrawn by `bokflyt sync --full`",
                name,
            )
        log.info("harvesting %s over OAI-PMH (%s) from %s", name, mode, since or "the start")
        results = _oai_results(client, since, info.granularity, state)
        values = convert(results, name, profile, sites)
        return _run(
            sessions, name, mode, values, full=mode == "full", state=state, progress=progress
        )
    except AdapterError as exc:  # Identify failed: no run was started
        return SyncOutcome(name, None, mode, RunCounts(), error=str(exc), failure=exc)
    finally:
        if owned:
            http.close()


def _file_results(files: Iterable[Path]) -> Iterator[ReadResult]:
    for path in files:
        log.info("reading %s", path)
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise FileImportError(f"kan ikke lese {path}: {exc.strerror}") from exc
        with handle:
            try:
                yield from read_marc(handle)
            except AdapterError as exc:
                raise FileImportError(f"{path}: {exc}") from exc


class FileImportError(AdapterError):
    """A file named for import cannot be read or is not MARC."""


def _convert_worker(
    files: list[str],
    name: str,
    profile: HoldingsProfile,
    sites: SiteMap,
    queue: multiprocessing.queues.Queue[tuple[str, Any]],
) -> None:
    """Child process: read and convert files, handing batches to the parent through `queue`."""
    try:
        batch: list[Incoming | Rejected | Gone] = []
        for value in convert(_file_results([Path(f) for f in files]), name, profile, sites):
            batch.append(value)
            if len(batch) >= 500:
                queue.put(("batch", batch))
                batch = []
        queue.put(("batch", batch))
        queue.put(("done", None))
    except AdapterError as exc:
        queue.put(("error", str(exc)))
    except Exception as exc:  # reported to the parent, which fails the run with it
        queue.put(("crash", f"{type(exc).__name__}: {exc}"))


def _parallel_convert(
    files: list[Path], name: str, profile: HoldingsProfile, sites: SiteMap
) -> Iterator[Incoming | Rejected]:
    """Parse and convert in a second process while this one writes to the database.

    Parsing MARC and writing rows each take about half the time of an import; on two cores
    they overlap. The queue holds at most 8 batches, so memory stays flat. The child is
    spawned (not forked) so it shares no database connection with the parent.
    """
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.queues.Queue[tuple[str, Any]] = context.Queue(maxsize=8)
    process = context.Process(
        target=_convert_worker,
        args=([str(f) for f in files], name, profile, sites, queue),
        daemon=True,
    )
    process.start()
    try:
        while True:
            try:
                kind, payload = queue.get(timeout=5)
            except stdlib_queue.Empty:
                if not process.is_alive():
                    raise FileImportError("lesingen av filene stoppet uventet") from None
                continue
            if kind == "batch":
                yield from payload
            elif kind == "done":
                return
            elif kind == "error":
                raise FileImportError(payload)
            else:
                raise RuntimeError(f"lesingen av filene feilet: {payload}")
    finally:
        if process.is_alive():
            process.terminate()
        process.join(timeout=10)


def import_files(
    settings: Settings,
    sessions: sessionmaker[Session],
    name: str,
    files: Iterable[Path],
    *,
    holdings: str | None = None,
    full: bool = False,
    progress: Progress | None = None,
    mode: str = "import",
    parallel: bool = False,
) -> SyncOutcome:
    """Read MARC files (format from their content) into source `name`.

    `parallel=True` parses in a second process while this one writes. Off by default: on the
    shared two-core test machine it did not beat the single process (see benchmarks/ingest.py
    --parallel on); worth re-measuring on the production host.
    """
    spec = settings.sources[name]
    profile = holdings_profile(spec, holdings)
    sites = site_map(settings, name)
    state = HarvestState(source=name, mode=mode)
    paths = list(files)
    values = (
        _parallel_convert(paths, name, profile, sites)
        if parallel
        else convert(_file_results(paths), name, profile, sites)
    )
    return _run(
        sessions,
        name,
        mode,
        values,
        full=full,
        state=state,
        progress=progress,
    )


__all__ = [
    "FileImportError",
    "HarvestState",
    "SyncOutcome",
    "import_files",
    "mark_failed",
    "sync_source",
]
