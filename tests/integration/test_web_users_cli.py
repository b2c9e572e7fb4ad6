"""`bokflyt users add/passwd/list` on both engines, and that their accounts log in."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.auth import LoginOutcome, authenticate
from bokflyt.commands.users import users
from bokflyt.context import AppContext

Invoke = Callable[..., Result]


@pytest.fixture
def run(config_file: Path, session_factory: sessionmaker[Session]) -> Invoke:
    """Invoke `users ...` against the migrated test database (as `bokflyt` would)."""

    def invoke(*args: str, stdin: str | None = None) -> Result:
        app = AppContext(config_path=config_file)
        try:
            return CliRunner().invoke(users, list(args), obj=app, input=stdin)
        finally:
            app.close()

    return invoke


def test_add_from_stdin_then_log_in(run: Invoke, session_factory: sessionmaker[Session]) -> None:
    """An account added with --password-stdin logs in with that password."""
    result = run(
        "add",
        "Kari",
        "--role",
        "librarian",
        "--site",
        "SKA",
        "--password-stdin",
        stdin="et godt passord\n",
    )
    assert result.exit_code == 0, result.output
    assert "La til kari med rollen bibliotekar." in result.output
    with session_factory.begin() as session:
        assert authenticate(session, "kari", "et godt passord", "::1").outcome is LoginOutcome.OK


def test_add_from_prompt_asks_twice(run: Invoke) -> None:
    """Without --password-stdin the password is prompted for, hidden, and confirmed."""
    result = run("add", "leo", "--role", "logistics", stdin="hemmelig-1234\nhemmelig-1234\n")
    assert result.exit_code == 0, result.output
    assert "Gjenta passordet" in result.output and "hemmelig-1234" not in result.output


def test_refusals_exit_1_with_a_bokmal_message(run: Invoke) -> None:
    """A short password, a taken name, an unknown user for passwd: exit 1, message, no trace."""
    short = run("add", "ola", "--role", "admin", "--password-stdin", stdin="kort\n")
    assert short.exit_code == 1 and "minst 10 tegn" in short.output
    assert run("add", "ola", "--role", "admin", "--sso-only").exit_code == 0
    taken = run("add", "OLA", "--role", "admin", "--sso-only")
    assert taken.exit_code == 1 and "finnes allerede" in taken.output
    missing = run("passwd", "nobody", "--password-stdin", stdin="langt-nok-passord\n")
    assert missing.exit_code == 1 and "Fant ingen bruker nobody" in missing.output
    site = run("add", "per", "--role", "admin", "--site", "XXX", "--sso-only")
    assert site.exit_code == 2 and "XXX" in site.output
    assert "Traceback" not in short.output + taken.output + missing.output


def test_passwd_changes_password(run: Invoke, session_factory: sessionmaker[Session]) -> None:
    """After passwd the new password works and the old one does not."""
    run("add", "ada", "--role", "admin", "--password-stdin", stdin="gammelt-passord\n")
    result = run("passwd", "ada", "--password-stdin", stdin="nytt-passord-99\n")
    assert result.exit_code == 0 and "Passordet til ada er endret" in result.output
    with session_factory.begin() as session:
        assert authenticate(session, "ada", "nytt-passord-99", "::1").outcome is LoginOutcome.OK
        old = authenticate(session, "ada", "gammelt-passord", "::2")
        assert old.outcome is LoginOutcome.BAD_CREDENTIALS


def test_list_shows_roles_and_json(run: Invoke) -> None:
    """`list` prints every account; `--json` gives role, site and whether a password is set."""
    assert "Ingen brukere." in run("list").output
    run("add", "sigrid", "--role", "librarian", "--name", "Sigrid Å", "--sso-only")
    text = run("list").output
    assert "sigrid" in text and "Sigrid Å" in text and "(bare SSO)" in text
    rows = json.loads(run("list", "--json").output)
    assert rows == [
        {
            "username": "sigrid",
            "display_name": "Sigrid Å",
            "role": "librarian",
            "site": None,
            "active": True,
            "password": False,
            "last_login": None,
        }
    ]
