"""`bokflyt transfers` without a database: help everywhere, and no way to name a borrower."""

from __future__ import annotations

import inspect

import click
from click.testing import CliRunner

from bokflyt.commands.transfers import transfers
from transport.requests import request_copy


def _commands(cmd: click.Command) -> list[click.Command]:
    subs = cmd.commands.values() if isinstance(cmd, click.Group) else []
    return [cmd, *(c for s in subs for c in _commands(s))]


def test_every_transfers_command_has_help() -> None:
    """Every command and option of the group carries help text, and --help runs."""
    for cmd in _commands(transfers):
        assert cmd.help, cmd.name
        for param in cmd.params:
            if isinstance(param, click.Option):
                assert param.help, f"{cmd.name} {param.name}"
    for name in ("request", "list", "cancel"):
        res = CliRunner().invoke(transfers, [name, "--help"])
        assert res.exit_code == 0 and "Usage" in res.output


def test_no_borrower_can_be_named() -> None:
    """Neither the command nor `request_copy` has a parameter that could carry a patron."""
    words = ("borrow", "patron", "låner", "laner", "card", "user", "email", "phone")
    names = [p.name or "" for c in _commands(transfers) for p in c.params]
    names += list(inspect.signature(request_copy).parameters)
    assert names and not [n for n in names if any(w in n.lower() for w in words)]
