"""The CLI as an operator meets it: help everywhere, exit codes, init and stats."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bokflyt.cli import cli


def _walk(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            paths.extend(_walk(sub, (*path, name)))
    return paths


@pytest.mark.parametrize("path", _walk(cli), ids=lambda p: " ".join(p) or "bokflyt")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    """`--help` works on every command and group, and each has a description."""
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    lines = [line for line in result.output.splitlines()[1:] if line.strip()]
    assert lines and not lines[0].strip().startswith("Options:"), f"no description: {path}"


# Words that only an English sentence has; bokmål help uses none of them.
ENGLISH_ONLY = {"the", "and", "of", "with", "from", "which", "when", "only", "write", "each"}


def _help_texts(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(where, text) for a command's description and each of its options' help."""
    where = " ".join(path) or "bokflyt"
    texts = [(where, command.help or "")]
    texts += [
        (f"{where} {param.opts[0]}", param.help or "")
        for param in command.params
        if isinstance(param, click.Option)
    ]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            texts += _help_texts(sub, (*path, name))
    return texts


def test_help_is_in_bokmal() -> None:
    """Logistics staff and librarians read the help: bokmål throughout, no English sentences
    (click's own frame, "Usage:" and "Options:", aside)."""
    english = [
        f"{where}: {text!r}"
        for where, text in _help_texts(cli)
        if ENGLISH_ONLY & set(re.findall(r"[a-z]+", text.lower()))
    ]
    assert not english, "\n".join(english)


def test_usage_error_exits_2() -> None:
    """An unknown option is a usage error: exit code 2."""
    assert CliRunner().invoke(cli, ["--no-such-option"]).exit_code == 2


def test_version() -> None:
    """--version prints the package version."""
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and "bokflyt, version" in result.output


def test_bad_configuration_exits_1_without_traceback(tmp_path: Path) -> None:
    """A wrong file gives exit 1 and the validator's message, not a traceback."""
    path = tmp_path / "bad.toml"
    path.write_text('[[sites]]\ncode = "X"\nname = "x"\nkind = "shop"\nlat = 1\nlon = 1\n')
    result = subprocess.run(
        [sys.executable, "-m", "bokflyt", "--config", str(path), "stats"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{path}: sites[0].kind:" in result.stderr


def test_init_then_stats_json(config_file: Path) -> None:
    """`init` builds the schema and sites; `stats --json` has the keys other tools read."""
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(config_file), "init"])
    assert result.exit_code == 0, result.output
    assert "3 sites and 2 sources" in result.output
    again = runner.invoke(cli, ["--config", str(config_file), "init"])
    assert again.exit_code == 0, again.output
    result = runner.invoke(cli, ["--config", str(config_file), "stats", "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats["sources"] == {"public": {"records": 0}, "school": {"records": 0}}
    assert stats["sites"] == {code: {"items": 0} for code in ("BEK", "SAN", "SKA")}
    for key in ("records", "items", "clusters", "works"):
        assert stats[key] == 0
