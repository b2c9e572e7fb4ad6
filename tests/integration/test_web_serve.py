"""`bokflyt serve` as IT runs it: a real process, one or several workers, on a loopback port.

Several workers share nothing in memory, so these tests prove that what a user needs across
requests (session, CSRF token, throttling) lives where every worker sees it; and that a sync
started beside the server yields the processor to it (`[sync] nice`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.auth import create_user
from bokflyt.bootstrap import mirror_configuration
from bokflyt.cli import cli
from bokflyt.settings import load_settings

sys.path.insert(0, str(Path(__file__).resolve().parent))  # helpers beside this file
from web_forms import form_token  # noqa: E402

PASSWORD = "serve-test-passord"
SECRET = "s" * 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    """Direct child processes of `pid`, read from /proc (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.fixture
def served_config(
    config_file: Path, engine: Engine, session_factory: sessionmaker[Session]
) -> Path:
    """The test configuration with a session secret; its sites and a librarian in its database."""
    with config_file.open("a", encoding="utf-8") as out:
        out.write(f'\n[web]\nsecret_key = "{SECRET}"\ncookie_secure = false\n')
    with session_factory.begin() as session:
        mirror_configuration(session, load_settings(config_file))
        create_user(session, "bibliotekar", "librarian", PASSWORD, site_code="SAN")
    return config_file


@pytest.fixture
def two_workers(served_config: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bokflyt", "--config", str(served_config), "serve"]
        + ["--port", str(port), "--workers", "2"],
        env={**os.environ, "BOKFLYT_ENV": "production"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"serve did not start: {process.stderr.read()!r}")  # type: ignore[union-attr]
            time.sleep(0.2)
        yield process, base
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_several_workers_share_logins_and_forms(
    two_workers: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, base = two_workers
    deadline = time.monotonic() + 20
    while len(children(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(children(process.pid)) >= 2, "uvicorn did not start two workers"

    login_page = httpx.get(f"{base}/login")
    token = form_token(login_page.text)
    # A new connection per request: the kernel hands each to whichever worker accepts first.
    answer = httpx.post(
        f"{base}/login",
        data={"username": "bibliotekar", "password": PASSWORD, "csrf_token": token},
        cookies=login_page.cookies,
    )
    assert answer.status_code == 303, answer.text[:300]
    cookies = httpx.Cookies(login_page.cookies)
    cookies.update(answer.cookies)
    for _ in range(20):
        page = httpx.get(f"{base}/sok", params={"q": "bok"}, cookies=cookies)
        assert page.status_code == 200, page.text[:2000]
        assert "bibliotekar" in page.text  # logged in, whichever worker answered


def test_several_workers_need_a_configured_secret(config_file: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--config", str(config_file), "serve", "--workers", "2", "--port", "1"]
    )
    assert result.exit_code == 2
    assert "secret_key" in result.output


@pytest.mark.parametrize("level", [0, 7])
def test_a_sync_runs_at_the_configured_niceness(level: int) -> None:
    """A level, not an increment: asking twice leaves the process at `level` (or where it was)."""
    script = (
        "import os\n"
        "from bokflyt.commands.sync import yield_processor\n"
        "start = os.nice(0)\n"
        f"yield_processor({level}); yield_processor({level})\n"
        "print(start, os.nice(0))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    start, after = int(out[0]), int(out[1])
    assert after == max(start, level)
