"""An OAI-PMH 2.0 repository on a loopback port, served by pyoai's data-provider implementation.

No Koha or Bibliofil runs here, so the protocol side (verbs, argument checks, error codes,
resumption tokens, deleted headers) comes from pyoai, an OAI-PMH implementation nobody here
wrote; the tests only supply the records: MARCXML elements with an identifier, a datestamp and
a deleted flag, which they change between harvests.

pyoai 2.5 (the last release) decodes resumption tokens with `cgi.parse_qs`, which Python 3.8
removed; `urllib.parse.parse_qs` is the same function under its current name, so it is put
back where pyoai looks for it. pyoai imports `cgi`, which Python 3.13 removed: there the OAI
tests are skipped with that reason.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from lxml import etree

oaipmh = pytest.importorskip("oaipmh.server", reason="pyoai needs the cgi module (Python < 3.13)")
from oaipmh import common, error, metadata, server  # noqa: E402

if not hasattr(server.cgi, "parse_qs"):
    server.cgi.parse_qs = parse_qs  # see the module docstring


@dataclass
class Entry:
    identifier: str
    datestamp: datetime
    marc: etree._Element | None  # None: deleted


class _Repository:
    """pyoai's IOAI interface over a dict of entries (the tests edit `entries`)."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}

    def identify(self) -> common.Identify:
        return common.Identify(
            repositoryName="bokflyt testrepo",
            baseURL="http://127.0.0.1/oai",
            protocolVersion="2.0",
            adminEmails=["it@example.invalid"],
            earliestDatestamp=datetime(2020, 1, 1),
            deletedRecord="persistent",
            granularity="YYYY-MM-DDThh:mm:ssZ",
            compression=["identity"],
            toolkit_description=False,
        )

    def listMetadataFormats(self, identifier: str | None = None) -> list[tuple[str, str, str]]:  # noqa: N802
        return [
            (
                "marcxml",
                "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
                "http://www.loc.gov/MARC21/slim",
            )
        ]

    def listSets(self) -> list[Any]:  # noqa: N802
        raise error.NoSetHierarchyError("no sets")

    def _selected(self, from_: datetime | None, until: datetime | None) -> list[Entry]:
        chosen = [
            e
            for e in self.entries.values()
            if (from_ is None or e.datestamp >= from_) and (until is None or e.datestamp <= until)
        ]
        if not chosen:
            raise error.NoRecordsMatchError("no records")
        return sorted(chosen, key=lambda e: e.identifier)

    def _header(self, entry: Entry) -> common.Header:
        return common.Header(None, entry.identifier, entry.datestamp, [], entry.marc is None)

    def listRecords(  # noqa: N802
        self,
        metadataPrefix: str,  # noqa: N803
        set: str | None = None,  # noqa: A002
        from_: datetime | None = None,
        until: datetime | None = None,
    ) -> list[tuple[common.Header, Any, None]]:
        if metadataPrefix != "marcxml":
            raise error.CannotDisseminateFormatError(metadataPrefix)
        return [(self._header(e), e.marc, None) for e in self._selected(from_, until)]

    def listIdentifiers(  # noqa: N802
        self,
        metadataPrefix: str,  # noqa: N803
        set: str | None = None,  # noqa: A002
        from_: datetime | None = None,
        until: datetime | None = None,
    ) -> list[common.Header]:
        return [self._header(e) for e in self._selected(from_, until)]

    def getRecord(self, metadataPrefix: str, identifier: str) -> tuple[Any, ...]:  # noqa: N802, N803
        entry = self.entries.get(identifier)
        if entry is None:
            raise error.IdDoesNotExistError(identifier)
        return self._header(entry), entry.marc, None


def _write_marc(element: etree._Element, record: etree._Element) -> None:
    element.append(copy.deepcopy(record))


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class OaiRepository:
    """The running repository: `url`, `entries` to edit, `requests` received, `add`/`delete`."""

    def __init__(self, batch_size: int) -> None:
        self.repository = _Repository()
        registry = metadata.MetadataRegistry()
        registry.registerWriter("marcxml", _write_marc)
        self.provider = server.Server(self.repository, registry, resumption_batch_size=batch_size)
        self.requests: list[dict[str, str]] = []
        self.httpd: WSGIServer = make_server("127.0.0.1", 0, self._app, handler_class=_Quiet)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/oai"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        params = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        self.requests.append(params)
        body = self.provider.handleRequest(params)
        start_response("200 OK", [("Content-Type", "text/xml; charset=UTF-8")])
        return [body]

    def add(self, identifier: str, marc_xml: str, when: datetime) -> None:
        element = etree.fromstring(marc_xml.encode("utf-8"))
        self.repository.entries[identifier] = Entry(identifier, when, element)

    def delete(self, identifier: str, when: datetime) -> None:
        self.repository.entries[identifier] = Entry(identifier, when, None)


@contextmanager
def oai_repository(batch_size: int = 10) -> Iterator[OaiRepository]:
    repo = OaiRepository(batch_size)
    repo.thread.start()
    try:
        yield repo
    finally:
        repo.httpd.shutdown()
        repo.httpd.server_close()


def utc(*parts: int) -> datetime:
    """A naive UTC datetime, as pyoai compares them."""
    return datetime(*parts, tzinfo=UTC).replace(tzinfo=None)  # type: ignore[misc]
