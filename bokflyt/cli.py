"""The `bokflyt` command line: thin commands over the domain packages.

Exit codes: 0 done, 1 failed (a clear message on stderr, never a traceback for expected
failures), 2 usage error (click's own). Logs go to stderr; `-v` for INFO, `-vv` for DEBUG.
Capabilities register their command groups from `bokflyt.commands`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click

from bokflyt import __version__
from bokflyt.bootstrap import mirror_configuration
from bokflyt.commands import CommandFailed
from bokflyt.context import AppContext
from bokflyt.db import upgrade
from bokflyt.messages import t
from bokflyt.settings import SettingsError
from catalog.stats import catalogue_stats

log = logging.getLogger(__name__)


def configure_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class BokflytGroup(click.Group):
    """Turns configuration errors anywhere below into exit code 1 with the validator's message."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            raise CommandFailed(str(exc)) from None


@click.group(cls=BokflytGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", prog_name="bokflyt", help="Vis versjonen og avslutt."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Konfigurasjonsfil (standard: $BOKFLYT_CONFIG, ellers ./bokflyt.toml).",
)
@click.option("-v", "--verbose", count=True, help="Mer logg på stderr (-v INFO, -vv DEBUG).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int) -> None:
    """bokflyt: én katalog og én bokbil for folke- og skolebibliotekene."""
    configure_logging(verbose)
    app = AppContext(config_path=config_path, verbose=verbose)
    ctx.obj = app
    ctx.call_on_close(app.close)


@cli.command()
@click.pass_obj
def init(app: AppContext) -> None:
    """Opprett eller oppgrader databasen og les inn steder og kilder fra konfigurasjonen."""
    settings = app.settings()
    upgrade(app.engine())
    with app.sessions().begin() as session:
        sites, sources = mirror_configuration(session, settings)
    click.echo(f"Database ready at {app.engine().url.render_as_string(hide_password=True)}")
    click.echo(f"{sites} sites and {sources} sources from {settings.source_file}")


@cli.group()
def db() -> None:
    """Vedlikehold av databaseskjemaet."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(app: AppContext) -> None:
    """Kjør alle ventende migreringer (trygt å kjøre flere ganger)."""
    upgrade(app.engine())
    click.echo("Database schema is up to date.")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Maskinlesbart svar (JSON).")
@click.pass_obj
def stats(app: AppContext, as_json: bool) -> None:
    """Poster per kilde, eksemplarer per sted, klynger og verk."""
    with app.sessions()() as session:
        figures = catalogue_stats(session)
    if as_json:
        click.echo(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    click.echo(f"Poster: {figures['records']}  Eksemplarer: {figures['items']}")
    click.echo(f"Klynger: {figures['clusters']}  Verk: {figures['works']}")
    for name, counts in figures["sources"].items():
        click.echo(f"  kilde {name}: {counts['records']} poster")
    for code, counts in figures["sites"].items():
        click.echo(f"  sted {code}: {counts['items']} eksemplarer")
    if figures["items_without_site"]:
        click.echo(f"  uten kjent sted: {figures['items_without_site']} eksemplarer")


# Capabilities: each module in bokflyt.commands provides its commands.
from bokflyt.commands.crates import crates  # noqa: E402
from bokflyt.commands.deviations import deviations  # noqa: E402
from bokflyt.commands.items import items  # noqa: E402
from bokflyt.commands.merge import clusters, merge  # noqa: E402
from bokflyt.commands.routes import routes  # noqa: E402
from bokflyt.commands.routes_print import print_cmd  # noqa: E402
from bokflyt.commands.search import reindex_command, search_command  # noqa: E402
from bokflyt.commands.sheets import sheets  # noqa: E402
from bokflyt.commands.slips import slips  # noqa: E402
from bokflyt.commands.sync import import_command, quarantine_group, sync_command  # noqa: E402
from bokflyt.commands.transfers import transfers  # noqa: E402
from bokflyt.commands.users import users  # noqa: E402

routes.add_command(print_cmd)
for _command in (
    sync_command,
    import_command,
    quarantine_group,
    merge,
    clusters,
    search_command,
    reindex_command,
    transfers,
    routes,
    crates,
    items,
    slips,
    deviations,
    sheets,
    users,
):
    cli.add_command(_command)


def main() -> None:
    """Console entry point; maps unexpected database errors to exit code 1 with a message."""
    from sqlalchemy.exc import OperationalError

    try:
        cli.main(prog_name="bokflyt", standalone_mode=True)
    except OperationalError as exc:
        click.echo(t("cli.error", message=f"databasen er utilgjengelig: {exc.orig}"), err=True)
        sys.exit(1)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Adressen å lytte på.")
@click.option("--port", default=8000, show_default=True, type=int, help="Porten å lytte på.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Antall serverprosesser (standard: [web] workers, ellers 1). Flere enn én krever "
    "[web] secret_key.",
)
@click.pass_obj
def serve(app: AppContext, host: str, port: int, workers: int | None) -> None:
    """Start webappen og JSON-API-et (OpenAPI-skjema på /openapi.json)."""
    import uvicorn

    from bokflyt.serving import serve_workers
    from bokflyt.settings import resolve_config_path
    from bokflyt.web import create_app

    settings = app.settings()
    workers = workers or settings.web.workers
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
        return
    if not settings.web.secret_key:
        raise click.UsageError(
            "--workers > 1 needs [web] secret_key in the configuration: every worker must sign "
            "forms with the same key"
        )
    config = resolve_config_path(app.config_path)
    if config is not None:  # each worker process loads the same file
        os.environ["BOKFLYT_CONFIG"] = str(config.resolve())
    serve_workers("bokflyt.web:app_from_environment", host, port, workers)
