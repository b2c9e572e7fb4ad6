"""`bokflyt users`: staff accounts for the web app (add, passwd, list).

Passwords come from a hidden prompt (asked twice) or, for scripts, from the first line of
standard input with `--password-stdin`; never from an option, which would end up in shell
history and `ps`. Messages are bokmål from `bokflyt.messages`.
"""

from __future__ import annotations

import json
import sys

import click

from bokflyt.auth import (
    AuthError,
    Role,
    count_sessions,
    create_user,
    find_user,
    list_users,
    set_password,
)
from bokflyt.commands import CommandFailed
from bokflyt.context import AppContext
from bokflyt.messages import t

ROLES = [role.value for role in Role]


def _fail(exc: AuthError) -> CommandFailed:
    return CommandFailed(t(exc.message_id, detail=str(exc), **exc.params))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise CommandFailed(t("users.stdin_empty"))
        return line
    value: str = click.prompt(
        t("users.password_prompt"),
        hide_input=True,
        confirmation_prompt=t("users.password_repeat"),
    )
    return value


@click.group()
def users() -> None:
    """Ansattkontoer i webappen: librarian (bibliotekar), logistics (logistikk) eller admin."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="Hva brukeren har lov til.")
@click.option("--name", "display_name", default=None, help="Fullt navn som vises i webappen.")
@click.option("--site", "site_code", default=None, help="Stedskoden til brukerens eget bibliotek.")
@click.option("--password-stdin", is_flag=True, help="Les passordet fra standard inn.")
@click.option("--sso-only", is_flag=True, help="Uten passord: brukeren logger bare inn med SSO.")
@click.pass_obj
def add(
    app: AppContext,
    username: str,
    role: str,
    display_name: str | None,
    site_code: str | None,
    password_stdin: bool,
    sso_only: bool,
) -> None:
    """Opprett en konto (databasen må være opprettet: `bokflyt init`)."""
    if site_code is not None and all(site.code != site_code for site in app.settings().sites):
        raise click.BadParameter(
            f"no site with code {site_code!r} in the configuration", param_hint="--site"
        )
    password = None if sso_only else _read_password(password_stdin)
    try:
        with app.sessions().begin() as session:
            user = create_user(session, username, role, password, display_name, site_code)
            name, role_value = user.username, user.role
    except AuthError as exc:
        raise _fail(exc) from None
    click.echo(t("users.added", username=name, role=t(f"role.{role_value}")))


@users.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Les passordet fra standard inn.")
@click.pass_obj
def passwd(app: AppContext, username: str, password_stdin: bool) -> None:
    """Sett nytt passord; brukeren logges ut av alle økter."""
    password = _read_password(password_stdin)
    try:
        with app.sessions().begin() as session:
            before = find_user(session, username)
            ended = count_sessions(session, before) if before is not None else 0
            user = set_password(session, username, password)
            name = user.username
    except AuthError as exc:
        raise _fail(exc) from None
    click.echo(t("users.password_set", username=name, sessions=ended))


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Maskinlesbart svar (JSON).")
@click.pass_obj
def list_(app: AppContext, as_json: bool) -> None:
    """Alle kontoer med rolle, sted og siste innlogging."""
    with app.sessions()() as session:
        rows = [
            {
                "username": user.username,
                "display_name": user.display_name,
                "role": user.role,
                "site": user.site_code,
                "active": user.active,
                "password": user.password_hash is not None,
                "last_login": user.last_login_at.isoformat() if user.last_login_at else None,
            }
            for user in list_users(session)
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo(t("users.none"))
    for row in rows:
        flags = []
        if not row["password"]:
            flags.append(t("users.sso_only"))
        if not row["active"]:
            flags.append(t("users.disabled"))
        click.echo(
            f"{row['username']:<20} {row['role']:<10} {row['site'] or '-':<6} "
            f"{row['display_name']} {' '.join(flags)}".rstrip()
        )
