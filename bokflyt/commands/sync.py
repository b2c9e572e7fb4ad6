"""`bokflyt sync`, `bokflyt import` and `bokflyt quarantine`: harvesting for IT staff.

Messages are in Norwegian bokmål (librarians and municipal IT read them). Exit codes: 0 every
source synced, 1 at least one failed or was refused (the message says which and why), 2 usage.
A progress bar is drawn only on an interactive terminal; otherwise progress goes to the log
(`-v`), so cron mail stays short.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.bootstrap import mirror_configuration
from bokflyt.commands import CommandFailed
from bokflyt.context import AppContext
from bokflyt.db import upgrade
from bokflyt.pipeline import SettleReport, keep_catalogue_in_step
from bokflyt.settings import HOLDINGS_PROFILES, Settings
from bokflyt.sync import HarvestState, Progress, SyncOutcome, import_files, sync_source
from catalog.ingest import SyncRefused, quarantined, recent_runs
from catalog.models import QuarantinedRecord, Source

log = logging.getLogger(__name__)


def yield_processor(nice: int) -> None:
    """Run this process at niceness `nice` at least (see `SyncSettings`); best effort.

    A level, not an increment: a process that imports twice (tests drive the CLI in-process)
    ends at `nice`, not at twice that."""
    if not hasattr(os, "nice"):
        return
    try:
        current = os.nice(0)
        if nice > current:
            os.nice(nice - current)
    except OSError as exc:  # a platform or container that refuses: run at normal priority
        log.info("could not lower the sync's CPU priority: %s", exc)


def _prepare(app: AppContext) -> tuple[Settings, sessionmaker[Session]]:
    settings = app.settings()
    yield_processor(settings.sync.nice)
    upgrade(app.engine())
    sessions = app.sessions()
    with sessions.begin() as session:
        mirror_configuration(session, settings)
    return settings, sessions


@contextmanager
def _progress_reporter(label: str) -> Iterator[Progress]:
    """A rich progress bar on a terminal; plain INFO log lines every 10 000 records otherwise."""
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
            console=Console(stderr=True),
        ) as bar:
            task = bar.add_task(label, total=None)

            def show(state: HarvestState) -> None:
                bar.update(task, completed=state.counts.read, total=state.total)

            yield show
        return
    step = [10_000]

    def log_line(state: HarvestState) -> None:
        if state.counts.read >= step[0]:
            step[0] += 10_000
            of = f" av {state.total}" if state.total else ""
            log.info("%s: %d poster lest%s", label, state.counts.read, of)

    yield log_line


def _report(outcome: SyncOutcome) -> None:
    head = f"{outcome.source} ({outcome.mode})"
    if outcome.ok:
        click.echo(f"{head}: {outcome.counts.summary()}")
    else:
        click.echo(f"{head}: FEILET: {outcome.error}", err=True)
        if outcome.run_id is not None:
            click.echo(f"{head}: katalogen er uendret (kjøring {outcome.run_id})", err=True)


def _report_settled(settled: SettleReport) -> None:
    if settled.merge is None:
        return
    click.echo(
        f"katalog: {settled.changed_records} endrede poster, "
        f"{settled.merge.clusters} klynger, {settled.merge.works} verk; "
        f"søkeindeksen oppdatert for {settled.indexed_clusters} klynger"
    )


def _status(sessions: sessionmaker[Session], limit: int) -> None:
    with sessions() as session:
        runs = recent_runs(session, limit=limit)
    if not runs:
        click.echo("Ingen synkroniseringer er registrert.")
        return
    for run in runs:
        ended = f"{run.finished_at:%H:%M}" if run.finished_at else "-"
        click.echo(
            f"#{run.id} {run.started_at:%Y-%m-%d %H:%M}-{ended} {run.source} {run.mode} "
            f"{run.status}: lest {run.read}, nye {run.added}, endret {run.updated}, "
            f"uendret {run.unchanged}, trukket {run.withdrawn}, avvist {run.rejected}"
        )
        if run.unknown_sites:
            codes = ", ".join(f"{c} ({n})" for c, n in sorted(run.unknown_sites.items()))
            click.echo(f"    ukjente steder: {codes}")
        if run.error:
            click.echo(f"    feil: {run.error}")


@click.command("sync")
@click.argument("sources", nargs=-1)
@click.option("--full", is_flag=True, help="Hent alt på nytt og trekk tilbake poster som er borte.")
@click.option(
    "--resume",
    is_flag=True,
    help="Fortsett en SRU-høsting som feilet, fra der den stoppet (uten å hente alt på nytt).",
)
@click.option("--status", is_flag=True, help="Vis de siste kjøringene i stedet for å synkronisere.")
@click.option("--limit", default=20, show_default=True, help="Antall kjøringer med --status.")
@click.pass_obj
def sync_command(
    app: AppContext, sources: tuple[str, ...], full: bool, resume: bool, status: bool, limit: int
) -> None:
    """Synkroniser kilder (alle når ingen er nevnt) fra SRU eller MARC-filer.

    Uten --full hentes bare endringer der kilden har en incremental_query; ellers hentes
    alt, og uendrede poster koster ingen skriving. En kjøring som feiler etterlater katalogen
    slik den var; --resume fortsetter en feilet SRU-høsting fra sjekkpunktet.
    """
    settings = app.settings()
    if status:
        upgrade(app.engine())
        _status(app.sessions(), limit)
        return
    unknown = [s for s in sources if s not in settings.sources]
    if unknown:
        known = ", ".join(settings.sources) or "(ingen)"
        raise click.UsageError(f"ukjent kilde: {', '.join(unknown)}; konfigurerte kilder: {known}")
    names = list(sources) or list(settings.sources)
    if not names:
        raise CommandFailed("ingen kilder er konfigurert ([sources.NAVN] i konfigurasjonsfilen)")
    settings, sessions = _prepare(app)
    failures = []
    with keep_catalogue_in_step(sessions) as settled:
        for name in names:
            try:
                with _progress_reporter(name) as progress:
                    outcome = sync_source(
                        settings, sessions, name, full=full, resume=resume, progress=progress
                    )
            except SyncRefused as exc:
                click.echo(f"{name}: AVVIST: {exc}", err=True)
                failures.append(name)
                continue
            _report(outcome)
            if not outcome.ok:
                failures.append(name)
    _report_settled(settled)
    if failures:
        raise CommandFailed(f"{len(failures)} av {len(names)} kilder feilet: {', '.join(failures)}")


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--source", "source", required=True, help="Kilden postene hører til ([sources.NAVN])."
)
@click.option(
    "--holdings",
    type=click.Choice(HOLDINGS_PROFILES),
    default=None,
    help="Eksemplarprofil; overstyrer kildens innstilling.",
)
@click.option(
    "--full", is_flag=True, help="Filene er hele samlingen: trekk tilbake poster som mangler."
)
@click.pass_obj
def import_command(
    app: AppContext, files: tuple[Path, ...], source: str, holdings: str | None, full: bool
) -> None:
    """Les MARC-filer (MARCXML eller ISO 2709, gjenkjent fra innholdet) inn i en kilde."""
    settings = app.settings()
    if source not in settings.sources:
        known = ", ".join(settings.sources) or "(ingen)"
        raise click.UsageError(f"ukjent kilde {source!r}; konfigurerte kilder: {known}")
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise CommandFailed(f"finner ikke fil: {', '.join(missing)}")
    settings, sessions = _prepare(app)
    with keep_catalogue_in_step(sessions) as settled:
        try:
            with _progress_reporter(source) as progress:
                outcome = import_files(
                    settings,
                    sessions,
                    source,
                    files,
                    holdings=holdings,
                    full=full,
                    progress=progress,
                )
        except SyncRefused as exc:
            raise CommandFailed(str(exc)) from None
    _report(outcome)
    _report_settled(settled)
    if not outcome.ok:
        raise CommandFailed(f"importen til {source} feilet")


@click.group("quarantine")
def quarantine_group() -> None:
    """Poster som ikke kunne leses, med årsak og originale bytes."""


@quarantine_group.command("list")
@click.option("--source", default=None, help="Bare poster fra denne kilden.")
@click.option("--limit", default=50, show_default=True, help="Maks antall poster.")
@click.pass_obj
def quarantine_list(app: AppContext, source: str | None, limit: int) -> None:
    """Vis de nyeste postene i karantene."""
    upgrade(app.engine())
    with app.sessions()() as session:
        rows = quarantined(session, limit=limit, source=source)
        names = {row.id: row.name for row in session.execute(select(Source.id, Source.name))}
        if not rows:
            click.echo("Ingen poster i karantene.")
            return
        for row in rows:
            click.echo(
                f"#{row.id} {names.get(row.source_id, '?')} {row.record_ref or '-'} "
                f"(kjøring {row.run_id or '-'}): {row.reason}"
            )


@quarantine_group.command("show")
@click.argument("record_id", type=int)
@click.option("--raw", "raw_out", is_flag=True, help="Skriv bare de originale bytene til stdout.")
@click.pass_obj
def quarantine_show(app: AppContext, record_id: int, raw_out: bool) -> None:
    """Vis én post i karantene: kilde, referanse, årsak og innhold."""
    upgrade(app.engine())
    with app.sessions()() as session:
        row = session.get(QuarantinedRecord, record_id)
        if row is None:
            raise CommandFailed(f"ingen post i karantene med nummer {record_id}")
        source = session.get(Source, row.source_id)
        if raw_out:
            sys.stdout.buffer.write(row.raw)
            return
        click.echo(f"Post:      #{row.id}")
        click.echo(f"Kilde:     {source.name if source else row.source_id}")
        click.echo(f"Referanse: {row.record_ref or '-'}")
        click.echo(f"Kjøring:   {row.run_id or '-'}")
        click.echo(f"Tidspunkt: {row.created_at}")
        click.echo(f"Årsak:     {row.reason}")
        click.echo(f"Bytes:     {len(row.raw)}")
        click.echo("")
        click.echo(row.raw.decode("utf-8", "replace")[:4000])


COMMANDS = (sync_command, import_command, quarantine_group)
