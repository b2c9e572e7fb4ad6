"""`bokflyt sync` from an OAI-PMH repository: full, then incremental with changes and deletions.

The repository is pyoai's data provider on a loopback port (tests/integration/oai_server.py),
holding generated Koha records; the database is SQLite and PostgreSQL in turn. After each sync
`bokflyt stats --json` must agree with what the repository holds.
"""

from __future__ import annotations

import io
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from adapters.marc import MarcRecord, read_marcxml
from bokflyt.cli import cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from oai_server import OaiRepository, oai_repository  # noqa: E402
from zebra_server import load_generator  # noqa: E402

RECORDS = 40
BRANCHES = ("SAN", "BEK", "HOV", "EIK", "RYK", "FOR")

CONFIG = """
[database]
url = "{db_url}"

{sites}

[sources.koha]
kind = "oai"
url = "{url}"
holdings = "koha-952"
requests_per_second = 1000
timeout = 5
retries = 1
"""


def _now(hours_ago: float = 0) -> datetime:
    """Naive UTC, as the repository compares datestamps; relative to now because an
    incremental harvest asks for what changed since the last run (less a day)."""
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).replace(tzinfo=None)


def _sites() -> str:
    return "\n".join(
        f'[[sites]]\ncode = "{code}"\nname = "{code} bibliotek"\nkind = "branch"\n'
        "lat = 59.9\nlon = 10.5\n"
        for code in BRANCHES
    )


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOKFLYT_STATE_DIR", str(tmp_path / "state"))


@pytest.fixture
def repository() -> Iterator[tuple[OaiRepository, dict[str, str]]]:
    """The repository with RECORDS generated records; also returns {001: record XML}."""
    gen = load_generator()
    records = list(gen.public_collection(11, RECORDS, broken=False))[1:-1]
    held = {_control_number(xml): xml for xml in records}
    with oai_repository(batch_size=15) as repo:
        for number, xml in held.items():
            repo.add(f"oai:koha.test:{number}", xml, _now(hours_ago=24 * 30))
        yield repo, held


def _control_number(xml: str) -> str:
    found = re.search(r'<controlfield tag="001">([^<]+)<', xml)
    assert found is not None
    return found.group(1)


def invoke(config: Path, *args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def _check_stats(config: Path, held: dict[str, str]) -> None:
    gen = load_generator()
    items: Counter[str] = Counter()
    for xml in held.values():
        (record,) = list(read_marcxml(io.BytesIO((gen.HEADER + xml + gen.FOOTER).encode())))
        assert isinstance(record, MarcRecord)
        for field in record.record.get_fields("952"):
            items[field.get("b") or ""] += 1
    stats = json.loads(invoke(config, "stats", "--json").output)
    assert stats["sources"]["koha"]["records"] == len(held)
    assert {code: v["items"] for code, v in stats["sites"].items()} == {
        b: items[b] for b in BRANCHES
    }


def test_full_then_incremental_with_deletions(
    repository: tuple[OaiRepository, dict[str, str]], db_url: str, tmp_path: Path
) -> None:
    repo, held = repository
    config = tmp_path / "bokflyt.toml"
    config.write_text(CONFIG.format(db_url=db_url, sites=_sites(), url=repo.url), encoding="utf-8")

    full = invoke(config, "sync")
    assert full.exit_code == 0, full.output
    assert f"koha (full): lest {RECORDS}, nye {RECORDS}, endret 0" in full.output
    _check_stats(config, held)

    # tonight: two records change (a third copy each), three are deleted, one is new
    gen = load_generator()
    numbers = sorted(held)
    for number in numbers[:2]:
        xml = held[number].replace("</record>", _copy("SAN", f"X{number}") + "</record>")
        held[number] = xml
        repo.add(f"oai:koha.test:{number}", xml, _now())
    for number in numbers[2:5]:
        del held[number]
        repo.delete(f"oai:koha.test:{number}", _now())
    book = gen.make_book(random.Random(99), RECORDS + 1)
    new = gen.public_record(random.Random(99), book, items=1)
    held[_control_number(new)] = new
    repo.add(f"oai:koha.test:{_control_number(new)}", new, _now())

    incremental = invoke(config, "sync", "koha")
    assert incremental.exit_code == 0, incremental.output
    assert (
        "koha (incremental): lest 6, nye 1, endret 2, uendret 0, trukket tilbake 3"
        in incremental.output
    )
    assert "katalog: 6 endrede poster" in incremental.output  # merged and re-indexed
    assert repo.requests[-1]["verb"] == "ListRecords" and "from" in repo.requests[-1]
    _check_stats(config, held)

    # a full harvest afterwards finds the same catalogue: nothing new, nothing withdrawn
    again = invoke(config, "sync", "--full")
    assert again.exit_code == 0, again.output
    assert f"nye 0, endret 0, uendret {len(held)}, trukket tilbake 0" in again.output
    _check_stats(config, held)


def _copy(branch: str, barcode: str) -> str:
    return (
        '<datafield tag="952" ind1=" " ind2=" ">'
        f'<subfield code="a">{branch}</subfield><subfield code="b">{branch}</subfield>'
        f'<subfield code="p">{barcode}</subfield><subfield code="y">BOK</subfield></datafield>'
    )
