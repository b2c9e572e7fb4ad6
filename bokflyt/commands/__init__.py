"""Command groups of the `bokflyt` CLI, one module per capability; `bokflyt.cli` registers them."""

from __future__ import annotations

from typing import Any

import click

from bokflyt.messages import t


class CommandFailed(click.ClickException):
    """An expected failure or refusal: one bokmål line on stderr ("bokflyt: feil: ..."), exit
    code 1, no traceback. click's own ClickException would print an English "Error:"."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(t("cli.error", message=self.format_message()), err=True)
