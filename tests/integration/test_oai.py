"""The OAI-PMH client against a real data-provider implementation (pyoai) on a loopback port,
and against a scripted server for what a well-behaved repository never sends."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # helpers beside this file
from fake_sru import fake_sru, marc_record, send  # noqa: E402
from oai_server import OaiRepository, oai_repository, utc  # noqa: E402

from adapters.errors import OaiError, OaiProtocolError
from adapters.marc import MarcRecord, Quarantined
from adapters.oai import Deleted, OaiClient, OaiConfig, OaiResult
from adapters.sru import make_session

OAI = "http://www.openarchives.org/OAI/2.0/"


def client_for(url: str, **options: Any) -> OaiClient:
    config = OaiConfig(url=url, requests_per_second=1000, **options)
    return OaiClient(config, make_session(retries=0))


def harvest(client: OaiClient, since: datetime | None = None) -> list[OaiResult]:
    granularity = client.identify().granularity
    return [r for page in client.list_records(since, granularity) for r in page.results]


@pytest.fixture
def repository() -> Iterator[OaiRepository]:
    with oai_repository(batch_size=10) as repo:
        for n in range(1, 26):
            repo.add(f"oai:koha.test:{n}", marc_record(n), utc(2026, 11, 1, 12))
        yield repo


def test_identify_reads_granularity_and_deletion_policy(repository: OaiRepository) -> None:
    info = client_for(repository.url).identify()
    assert (info.name, info.granularity, info.deleted_record) == (
        "bokflyt testrepo",
        "YYYY-MM-DDThh:mm:ssZ",
        "persistent",
    )


def test_full_harvest_follows_resumption_tokens(repository: OaiRepository) -> None:
    """25 records in pages of 10: three requests, every record once, in order."""
    client = client_for(repository.url)
    pages = list(client.list_records())
    assert [len(p.results) for p in pages] == [10, 10, 5]
    assert [p.token is None for p in pages] == [False, False, True]
    records = [r for p in pages for r in p.results]
    assert all(isinstance(r, MarcRecord) for r in records)
    ids = sorted(r.control_number for r in records if isinstance(r, MarcRecord))
    assert ids == sorted(f"R{n:05d}" for n in range(1, 26))
    listing = [r for r in repository.requests if r.get("verb") == "ListRecords"]
    assert len(listing) == 3 and "resumptionToken" in listing[1]


def test_incremental_harvest_brings_changes_and_deletions(repository: OaiRepository) -> None:
    repository.add(
        "oai:koha.test:3", marc_record(3).replace("Tittel", "Ny tittel"), utc(2026, 11, 20, 8)
    )
    repository.delete("oai:koha.test:7", utc(2026, 11, 20, 9))
    results = harvest(client_for(repository.url), utc(2026, 11, 20))
    assert [r.record_id for r in results if isinstance(r, Deleted)] == ["7"]
    changed = [r for r in results if isinstance(r, MarcRecord)]
    assert [r.control_number for r in changed] == ["R00003"]
    assert repository.requests[-1]["from"] == "2026-11-20T00:00:00Z"


def test_a_night_without_changes_is_an_empty_harvest(repository: OaiRepository) -> None:
    """noRecordsMatch is OAI's answer to an empty selection, not a failure."""
    assert harvest(client_for(repository.url), utc(2026, 11, 25)) == []


def test_unknown_metadata_format_names_the_oai_error(repository: OaiRepository) -> None:
    with pytest.raises(OaiError) as caught:
        list(client_for(repository.url, metadata_prefix="normarc").list_records())
    assert caught.value.code == "cannotDisseminateFormat"
    assert "metadataPrefix=normarc" in str(caught.value)


def test_record_id_pattern_links_a_deletion_to_the_catalogue_id(repository: OaiRepository) -> None:
    repository.delete("oai:bibliofil:obj-000042", utc(2026, 11, 21))
    client = client_for(repository.url, record_id_pattern=r"obj-0*(\d+)$")
    deleted = [r for r in harvest(client, utc(2026, 11, 21)) if isinstance(r, Deleted)]
    assert [(d.identifier, d.record_id) for d in deleted] == [("oai:bibliofil:obj-000042", "42")]


def test_a_deletion_whose_id_cannot_be_read_is_quarantined(repository: OaiRepository) -> None:
    repository.delete("oai:bibliofil:obj-x", utc(2026, 11, 21))
    client = client_for(repository.url, record_id_pattern=r"obj-(\d+)$")
    (result,) = harvest(client, utc(2026, 11, 21))
    assert isinstance(result, Quarantined) and "oai:bibliofil:obj-x" in result.reason


def _list_page(token: str) -> str:
    return (
        f'<?xml version="1.0"?><OAI-PMH xmlns="{OAI}"><responseDate>2026-11-26T00:00:00Z'
        '</responseDate><request verb="ListRecords">x</request><ListRecords><record><header>'
        "<identifier>oai:x:1</identifier><datestamp>2026-11-26</datestamp></header><metadata>"
        f"{marc_record(1)}</metadata></record><resumptionToken>{token}</resumptionToken>"
        "</ListRecords></OAI-PMH>"
    )


def test_a_repeated_token_stops_instead_of_looping() -> None:
    def same_token(_params: dict[str, str], handler: BaseHTTPRequestHandler) -> None:
        send(handler, _list_page("abc"))

    with fake_sru(same_token) as server:
        with pytest.raises(OaiProtocolError, match="samme resumptionToken"):
            list(client_for(server.url).list_records())
        assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("<html><body>Vedlikehold</body></html>", 200, "ikke et OAI-PMH-dokument"),
        ("<OAI-PMH", 200, "ikke gyldig XML"),
        (
            '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
            f'<OAI-PMH xmlns="{OAI}">&b;</OAI-PMH>',
            200,
            "entitetsdeklarasjoner",
        ),
        ("feil", 503, "HTTP 503"),
    ],
    ids=["html", "truncated", "entity-bomb", "http-error"],
)
def test_unusable_answers_are_clear_errors(body: str, status: int, message: str) -> None:
    def answer(_params: dict[str, str], handler: BaseHTTPRequestHandler) -> None:
        send(handler, body, status=status)

    with fake_sru(answer) as server, pytest.raises(OaiProtocolError, match=message):
        list(client_for(server.url).list_records())
