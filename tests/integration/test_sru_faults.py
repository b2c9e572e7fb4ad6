"""The SRU client against a misbehaving local server: every failure is clear and bounded."""

from __future__ import annotations

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # helpers beside this file
from fake_sru import diagnostic_xml, fake_sru, good, page_xml, send  # noqa: E402

from adapters.errors import SruDiagnostic, SruProtocolError, SruTransportError
from adapters.marc import MarcRecord
from adapters.sru import SruClient, SruConfig, make_session, read_records


def _client(url: str, *, retries: int = 2, timeout: float = 5.0, page_size: int = 10) -> SruClient:
    config = SruConfig(url=url, page_size=page_size, timeout=timeout, requests_per_second=1000)
    return SruClient(config, make_session(retries=retries, backoff=0.01))


def _ids(client: SruClient, query: str = "cql.allRecords=1") -> list[str]:
    return [
        r.control_number or ""
        for page in client.harvest(query)
        for r in read_records(page.results)
        if isinstance(r, MarcRecord)
    ]


def server_error(params: dict[str, str], handler: BaseHTTPRequestHandler) -> None:
    send(handler, "<h1>Internal error</h1>", status=500, content_type="text/html")


def test_500s_then_recovery() -> None:
    """Two 500 answers are retried with backoff and the harvest completes without loss."""
    with fake_sru(server_error, server_error, good(25)) as server:
        ids = _ids(_client(server.url, retries=3))
    assert ids == [f"R{n:05d}" for n in range(1, 26)]
    assert len(server.searches()) == 2 + 3


def test_500s_that_never_end_fail_clearly() -> None:
    """When retries run out the error says HTTP 500 and names the server."""
    with fake_sru(server_error) as server, pytest.raises(SruTransportError) as caught:
        _ids(_client(server.url, retries=2))
    assert server.url in str(caught.value)
    assert len(server.searches()) == 3


def test_hang_past_the_timeout() -> None:
    """A server that never answers is given up on after the timeout, not waited for."""

    def hang(params: dict[str, str], handler: BaseHTTPRequestHandler) -> None:
        time.sleep(3)

    with fake_sru(hang) as server:
        began = time.monotonic()
        with pytest.raises(SruTransportError) as caught:
            _ids(_client(server.url, retries=0, timeout=0.3))
        assert time.monotonic() - began < 2.5
    assert "tidsavbrudd" in str(caught.value) or "timed out" in str(caught.value).lower()


def test_response_cut_mid_record_is_fetched_again() -> None:
    """A page that breaks off mid-record is fetched again; no record is lost or duplicated."""

    def cut(params: dict[str, str], handler: BaseHTTPRequestHandler) -> None:
        body = page_xml(int(params["startRecord"]), 10, 25).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[: len(body) // 2])
        handler.wfile.flush()
        handler.close_connection = True

    with fake_sru(good(25), cut, good(25)) as server:
        ids = _ids(_client(server.url))
    assert ids == [f"R{n:05d}" for n in range(1, 26)]


def test_response_always_cut_fails_after_attempts() -> None:
    """A page that breaks off every time ends the harvest with a transport error."""

    def cut(params: dict[str, str], handler: BaseHTTPRequestHandler) -> None:
        body = page_xml(1, 10, 25).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/xml")
        handler.end_headers()
        handler.wfile.write(body[:400])
        handler.close_connection = True

    with fake_sru(cut) as server, pytest.raises(SruTransportError) as caught:
        _ids(_client(server.url))
    assert "ufullstendig" in str(caught.value) or "brøt" in str(caught.value)
    first_page = [r for r in server.searches() if r["startRecord"] == "1"]
    assert len(first_page) == 3  # page_attempts; a prefetch of page 2 may come on top


def test_diagnostic_mid_harvest() -> None:
    """A diagnostic on page 2 stops the harvest with its URI and message, after page 1."""

    def diagnostic(params: dict[str, str], handler: BaseHTTPRequestHandler) -> None:
        send(handler, diagnostic_xml("info:srw/diagnostic/1/1", "General system error"))

    seen: list[object] = []
    with fake_sru(good(25), diagnostic) as server, pytest.raises(SruDiagnostic) as caught:
        for page in _client(server.url).harvest("cql.allRecords=1"):
            seen.extend(page.results)
    assert len(seen) == 10
    assert caught.value.uri == "info:srw/diagnostic/1/1"
    assert "General system error" in str(caught.value) and "cql.allRecords=1" in str(caught.value)


def test_wrong_content_type() -> None:
    """An HTML answer (a login page, a proxy error) is refused, naming the content type."""

    def html(params: dict[str, str], handler: BaseHTTPRequestHandler) -> None:
        send(handler, "<html><body>Logg inn</body></html>", content_type="text/html")

    with fake_sru(html) as server, pytest.raises(SruProtocolError) as caught:
        _ids(_client(server.url))
    assert "text/html" in str(caught.value)


BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lollollollollollollollollollol">\n'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
    + '<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/">'
    "<zs:numberOfRecords>1</zs:numberOfRecords><zs:records><zs:record><zs:recordData>"
    '<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000cam a2200000 i 4500</leader>'
    '<controlfield tag="001">&lol9;</controlfield></record>'
    "</zs:recordData></zs:record></zs:records></zs:searchRetrieveResponse>"
)

XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    '<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/">'
    "<zs:numberOfRecords>1</zs:numberOfRecords><zs:records><zs:record><zs:recordData>"
    '<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000cam a2200000 i 4500</leader>'
    '<controlfield tag="001">&secret;</controlfield></record>'
    "</zs:recordData></zs:record></zs:records></zs:searchRetrieveResponse>"
)


@pytest.mark.parametrize("body", [BOMB, XXE], ids=["billion-laughs", "external-entity"])
def test_entity_attacks_are_refused_without_expansion(body: str) -> None:
    """A DTD with entities is refused quickly; nothing is expanded or read from disk."""

    def attack(params: dict[str, str], handler: BaseHTTPRequestHandler) -> None:
        send(handler, body)

    with fake_sru(attack) as server:
        began = time.monotonic()
        with pytest.raises(SruProtocolError) as caught:
            _ids(_client(server.url))
        assert time.monotonic() - began < 2
    assert "entitet" in str(caught.value)
    assert "root:" not in str(caught.value)


def test_page_that_does_not_advance_stops_the_harvest() -> None:
    """A server that claims more records but sends none ends the harvest instead of looping."""

    def empty(params: dict[str, str], handler: BaseHTTPRequestHandler) -> None:
        send(handler, page_xml(int(params["startRecord"]), 0, 25))

    with fake_sru(good(25), empty) as server, pytest.raises(SruProtocolError) as caught:
        _ids(_client(server.url))
    assert "startRecord=11" in str(caught.value)
    assert [r["startRecord"] for r in server.searches()][:2] == ["1", "11"]
    assert len(server.searches()) <= 3  # at most one prefetched page beyond, never a loop


def test_server_page_cap_is_followed() -> None:
    """A server that sends at most 4 records per page is followed to the end, nothing skipped."""
    with fake_sru(good(23, cap=4)) as server:
        client = _client(server.url, page_size=10)
        ids = _ids(client)
    assert ids == [f"R{n:05d}" for n in range(1, 24)]
    assert client.server_cap == 4
    asked = [(r["startRecord"], r["maximumRecords"]) for r in server.searches()]
    assert asked[0] == ("1", "10")
    # the prefetch guess at 11 is thrown away (cancelled if it had not gone out yet)
    assert [a for a in asked[1:] if a != ("11", "10")] == [
        ("5", "4"),
        ("9", "4"),
        ("13", "4"),
        ("17", "4"),
        ("21", "4"),
    ]


def test_stopping_early_drops_the_queued_downloads() -> None:
    """A caller that stops after two pages ends the harvest cleanly: at most two pages beyond
    were asked for, in order, and no download thread is left running."""
    with fake_sru(good(100)) as server:
        harvest = _client(server.url).harvest("cql.allRecords=1")
        pages = [next(harvest), next(harvest)]
        harvest.close()
        asked = [int(r["startRecord"]) for r in server.searches()]
    assert [p.start for p in pages] == [1, 11]
    assert asked[:2] == [1, 11] and len(asked) <= 4 and asked == sorted(asked)
    assert not [t for t in threading.enumerate() if t.name.startswith("sru-prefetch")]
