"""`bokflyt sync` against a real Zebra it did not write: full, incremental, withdrawal, failure.

The Zebra is started per test (the test changes its records); the database is SQLite and
PostgreSQL in turn. Afterwards `bokflyt stats --json` must agree with what the server holds.
"""

from __future__ import annotations

import io
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from adapters.marc import MarcRecord, read_marcxml
from bokflyt.cli import cli
from bokflyt.commands.sync import COMMANDS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from fake_sru import diagnostic_xml, fake_sru, good, send  # noqa: E402
from zebra_server import ZebraServer, load_generator, zebra_missing  # noqa: E402

pytestmark = [
    pytest.mark.zebra,
    pytest.mark.skipif(zebra_missing() is not None, reason=zebra_missing() or ""),
]

RECORDS = 120
BRANCHES = ("SAN", "BEK", "HOV", "EIK", "RYK", "FOR")

CONFIG = """
[database]
url = "{db_url}"

{sites}

[sources.koha]
kind = "sru"
url = "{url}"
holdings = "koha-952"
page_size = 50
requests_per_second = 1000
timeout = 5
retries = 1
incremental_query = "rec.lastModificationDate >= {{since}}"
"""


def _sites() -> str:
    return "\n".join(
        f'[[sites]]\ncode = "{code}"\nname = "{code} bibliotek"\nkind = "branch"\n'
        "lat = 59.9\nlon = 10.5\n"
        for code in BRANCHES
    )


@pytest.fixture(autouse=True, scope="module")
def registered() -> None:
    """The sync commands on the root group (until bokflyt.cli registers them itself)."""
    for command in COMMANDS:
        if command.name not in cli.commands:
            cli.add_command(command)


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Spools of failed runs go to the test's directory, not the user's home."""
    path = tmp_path / "state"
    monkeypatch.setenv("BOKFLYT_STATE_DIR", str(path))
    return path


@pytest.fixture
def zebra(tmp_path: Path) -> Iterator[ZebraServer]:
    server = ZebraServer(tmp_path / "zebra")
    gen = load_generator()
    server.index("koha.xml", "".join(gen.public_collection(11, RECORDS, broken=False)))
    server.index("broken.xml", gen.HEADER + "".join(gen.broken_records()[:2]) + gen.FOOTER)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def invoke(config: Path, *args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def _collection(gen, records: list[str]) -> str:
    return gen.HEADER + "".join(records) + gen.FOOTER


def _server_state(gen, changed: dict[int, str], deleted: set[int]) -> tuple[int, Counter[str]]:
    """Records and items per branch the server holds, computed from what was indexed."""
    items: Counter[str] = Counter()
    count = 0
    for xml in _indexed(gen, changed, deleted).values():
        (result,) = list(read_marcxml(io.BytesIO(_collection(gen, [xml]).encode())))
        assert isinstance(result, MarcRecord)
        count += 1
        for field in result.record.get_fields("952"):
            items[field.get("b") or ""] += 1
    return count, items


_ORIGINAL: dict[int, str] = {}


def _indexed(gen, changed: dict[int, str], deleted: set[int]) -> dict[int, str]:
    if not _ORIGINAL:
        chunks = list(gen.public_collection(11, RECORDS, broken=False))[1:-1]
        _ORIGINAL.update({n + 1: xml for n, xml in enumerate(chunks)})
    current = {**_ORIGINAL, **changed}
    return {n: xml for n, xml in current.items() if n not in deleted}


def test_full_then_incremental_then_withdrawal(
    zebra: ZebraServer, db_url: str, tmp_path: Path
) -> None:
    """Every record and item per site arrives; changes come incrementally; deletions withdraw."""
    gen = load_generator()
    config = tmp_path / "bokflyt.toml"
    config.write_text(CONFIG.format(db_url=db_url, sites=_sites(), url=zebra.url), encoding="utf-8")

    full = invoke(config, "sync")
    assert full.exit_code == 0, full.output
    assert f"koha (full): lest {RECORDS + 2}, nye {RECORDS}," in full.output
    assert "avvist 2" in full.output
    _check_stats(config, gen, {}, set())

    # five records change on the server today: new 005 and two copies each
    changed = {}
    for n in (3, 17, 40, 77, 119):
        book = gen.make_book(random.Random(11 * 1_000_003 + n), n)
        xml = gen.public_record(random.Random(n), book, items=2)
        xml = re.sub(r'(<controlfield tag="005">)[^<]*', r"\g<1>20261126120000.0", xml, count=1)
        changed[n] = xml
    zebra.index("changed.xml", _collection(gen, list(changed.values())))
    incremental = invoke(config, "sync", "koha")
    assert incremental.exit_code == 0, incremental.output
    assert (
        "koha (incremental): lest 5, nye 0, endret 5, uendret 0, trukket tilbake 0"
        in incremental.output
    )
    _check_stats(config, gen, changed, set())

    # three records are deleted on the server: only a full harvest can notice
    deleted = {5, 6, 7}
    zebra.delete("gone.xml", _collection(gen, [_ORIGINAL[n] for n in deleted]))
    again = invoke(config, "sync", "--full")
    assert again.exit_code == 0, again.output
    assert (
        f"lest {RECORDS + 2 - 3}, nye 0, endret 0, uendret {RECORDS - 3}, trukket tilbake 3"
        in again.output
    )
    _check_stats(config, gen, changed, deleted)

    status = invoke(config, "sync", "--status")
    assert [line.split()[4] for line in status.output.splitlines() if line.startswith("#")] == [
        "full",
        "incremental",
        "full",
    ]


def _check_stats(config: Path, gen, changed: dict[int, str], deleted: set[int]) -> None:
    records, items = _server_state(gen, changed, deleted)
    stats = json.loads(invoke(config, "stats", "--json").output)
    assert stats["sources"]["koha"]["records"] == records
    assert {code: v["items"] for code, v in stats["sites"].items()} == {
        b: items[b] for b in BRANCHES
    }
    assert stats["items_without_site"] == 0


def test_server_failing_mid_harvest_leaves_catalogue_unchanged(db_url: str, tmp_path: Path) -> None:
    """A diagnostic on page 2 fails the sync (exit 1) and the catalogue keeps its old state."""

    def diagnostic(params: dict[str, str], handler) -> None:
        send(handler, diagnostic_xml("info:srw/diagnostic/1/1", "General system error"))

    config = tmp_path / "bokflyt.toml"
    with fake_sru(good(30)) as server:
        config.write_text(
            CONFIG.format(db_url=db_url, sites=_sites(), url=server.url), encoding="utf-8"
        )
        assert invoke(config, "sync", "--full").exit_code == 0
    before = json.loads(invoke(config, "stats", "--json").output)
    with fake_sru(good(60), diagnostic) as server:
        config.write_text(
            CONFIG.format(db_url=db_url, sites=_sites(), url=server.url), encoding="utf-8"
        )
        result = invoke(config, "sync", "--full")
    assert result.exit_code == 1
    assert "General system error" in result.output and "katalogen er uendret" in result.output
    assert json.loads(invoke(config, "stats", "--json").output) == before
    status = invoke(config, "sync", "--status").output
    assert "failed" in status and "General system error" in status


def test_second_sync_while_one_runs_is_refused(db_url: str, tmp_path: Path) -> None:
    """A sync of a source that has a running run exits 1 saying so, and touches nothing."""
    from bokflyt.db import make_engine, make_session_factory
    from catalog.ingest import begin_run

    config = tmp_path / "bokflyt.toml"
    with fake_sru(good(5)) as server:
        config.write_text(
            CONFIG.format(db_url=db_url, sites=_sites(), url=server.url), encoding="utf-8"
        )
        assert invoke(config, "sync").exit_code == 0
        engine = make_engine(db_url)
        begin_run(make_session_factory(engine), "koha", "full")  # another process, mid-run
        engine.dispose()
        result = invoke(config, "sync", "koha")
    assert result.exit_code == 1
    assert "synkroniseres allerede" in result.output


def test_resume_continues_from_the_checkpoint(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a failure on page 3, --resume replays pages 1-2 from the spool and fetches on."""
    monkeypatch.setenv("BOKFLYT_STATE_DIR", str(tmp_path / "state"))

    def diagnostic(params: dict[str, str], handler) -> None:
        send(handler, diagnostic_xml("info:srw/diagnostic/1/1", "General system error"))

    config = tmp_path / "bokflyt.toml"

    def configure(url: str) -> None:
        text = CONFIG.format(db_url=db_url, sites=_sites(), url=url)
        text = text.replace("page_size = 50", "page_size = 10")
        config.write_text(text, encoding="utf-8")

    # requests in order: explain, page 1, page 2, page 3 (fails)
    with fake_sru(good(45), good(45), good(45), diagnostic) as server:
        configure(server.url)
        assert invoke(config, "sync").exit_code == 1
    assert len(list((tmp_path / "state" / "spool").iterdir())) == 1
    with fake_sru(good(45)) as server:
        configure(server.url)
        resumed = invoke(config, "sync", "--resume")
        starts = [r["startRecord"] for r in server.searches()]
    assert resumed.exit_code == 0, resumed.output
    assert "koha (full): lest 45, nye 45" in resumed.output
    assert starts[0] == "21"  # pages 1-2 came from the spool
    assert json.loads(invoke(config, "stats", "--json").output)["sources"]["koha"]["records"] == 45
    assert list((tmp_path / "state" / "spool").iterdir()) == []


def test_resume_refused_when_the_server_changed(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the server's total changed since the failure, resuming is refused: offsets moved."""
    monkeypatch.setenv("BOKFLYT_STATE_DIR", str(tmp_path / "state"))

    def diagnostic(params: dict[str, str], handler) -> None:
        send(handler, diagnostic_xml("info:srw/diagnostic/1/1", "General system error"))

    config = tmp_path / "bokflyt.toml"
    with fake_sru(good(120), good(120), diagnostic) as server:
        config.write_text(
            CONFIG.format(db_url=db_url, sites=_sites(), url=server.url), encoding="utf-8"
        )
        assert invoke(config, "sync").exit_code == 1
    with fake_sru(good(119)) as server:
        config.write_text(
            CONFIG.format(db_url=db_url, sites=_sites(), url=server.url), encoding="utf-8"
        )
        result = invoke(config, "sync", "--resume")
    assert result.exit_code == 1 and "sync --full" in result.output
    assert json.loads(invoke(config, "stats", "--json").output)["sources"]["koha"]["records"] == 0
