"""OAI-PMH 2.0 client: ListRecords with resumption tokens, for incremental harvests with deletions.

Koha and Bibliofil offer OAI-PMH beside SRU. What it adds to a CQL date clause: a record
deleted at the source arrives as a header with `status="deleted"`, so an incremental harvest
can withdraw it the same night instead of waiting for the next full harvest. What it
guarantees, and why:

* Paging follows the server's `resumptionToken`; a token the client has already been given
  ends the harvest with `OaiProtocolError` instead of looping. An empty token ends the list.
* OAI errors arrive with HTTP 200: `noRecordsMatch` is an empty result (an incremental night
  with no changes), every other code raises `OaiError` naming the code, message and request.
* A deleted record carries no metadata, only its OAI identifier: `record_id_pattern` (a
  regular expression whose first group is the source's record id, by default what follows
  the identifier's last colon: `oai:koha:123` -> `123`) links it to the record in the
  catalogue, whose id is the MARC 001.
* The network is the same as SRU's (`adapters.sru.make_session`: urllib3 Retry with backoff,
  one kept-alive connection) and the XML is parsed by `adapters.xmlsafe` (no entities, no
  network). Memory holds one page: pages are yielded as they come.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import requests
from lxml import etree

from adapters.errors import OaiError, OaiProtocolError
from adapters.marc import Quarantined, ReadResult, read_element
from adapters.sru import RateLimiter
from adapters.xmlsafe import has_entity_declarations, parse_bytes, prolog_declares_entities

log = logging.getLogger(__name__)

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
_NS = {"o": OAI_NS}
MAX_PAGE_BYTES = 256 << 20

Granularity = Literal["YYYY-MM-DD", "YYYY-MM-DDThh:mm:ssZ"]


@dataclass(frozen=True, slots=True)
class OaiConfig:
    """One OAI-PMH repository and what to ask it for."""

    url: str
    metadata_prefix: str = "marcxml"
    set_spec: str | None = None
    timeout: float = 30.0
    requests_per_second: float = 5.0
    record_id_pattern: str = r"([^:]+)$"

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"OAI-PMH URL must be http(s), got {self.url!r}")
        if re.compile(self.record_id_pattern).groups < 1:
            raise ValueError("record_id_pattern needs a group for the record id")


@dataclass(frozen=True, slots=True)
class Identify:
    """What the repository says about itself: the datestamp granularity decides how `from`
    is written, and `deleted_record` ("no", "transient", "persistent") whether deletions
    can be trusted to arrive at all."""

    name: str
    granularity: Granularity
    earliest: str | None
    deleted_record: str


@dataclass(frozen=True, slots=True)
class Deleted:
    """A record the repository reports deleted: withdraw it with its items."""

    identifier: str
    record_id: str
    datestamp: str


OaiResult = ReadResult | Deleted


@dataclass(frozen=True, slots=True)
class OaiPage:
    """One ListRecords response, in order; `size` is the completeListSize when given."""

    results: tuple[OaiResult, ...]
    token: str | None
    size: int | None


def format_datestamp(moment: date | datetime, granularity: Granularity) -> str:
    """`from`/`until` as the repository's granularity wants it (UTC for datetimes)."""
    if granularity == "YYYY-MM-DD" or not isinstance(moment, datetime):
        return f"{moment:%Y-%m-%d}"
    return f"{moment:%Y-%m-%dT%H:%M:%SZ}"


class OaiClient:
    """Talks OAI-PMH to one repository through an injected `requests.Session`."""

    def __init__(
        self,
        config: OaiConfig,
        session: requests.Session,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._session = session
        self._limiter = RateLimiter(config.requests_per_second, clock, sleep)
        self._id_pattern = re.compile(config.record_id_pattern)

    def _get(self, params: dict[str, str]) -> etree._Element:
        """One request, answered by its `<OAI-PMH>` root or an exception (OAI errors too)."""
        request = "&".join(f"{k}={v}" for k, v in params.items())
        self._limiter.wait()
        try:
            response = self._session.get(
                self.config.url,
                params=params,
                timeout=(min(self.config.timeout, 10.0), self.config.timeout),
            )
        except requests.RequestException as exc:
            raise OaiProtocolError(f"ingen svar fra {self.config.url} ({request}): {exc}") from exc
        if response.status_code != 200:
            raise OaiProtocolError(f"HTTP {response.status_code} fra {self.config.url} ({request})")
        body = response.content
        if len(body) > MAX_PAGE_BYTES:
            raise OaiProtocolError(f"svaret er større enn {MAX_PAGE_BYTES} byte ({request})")
        if prolog_declares_entities(body):
            raise OaiProtocolError(
                f"svaret inneholder entitetsdeklarasjoner (DTD); avvist ({request})"
            )
        try:
            root = parse_bytes(body)
        except etree.XMLSyntaxError as exc:
            raise OaiProtocolError(f"svaret er ikke gyldig XML ({request}): {exc}") from exc
        if root.tag != f"{{{OAI_NS}}}OAI-PMH" or has_entity_declarations(root):
            raise OaiProtocolError(f"svaret er ikke et OAI-PMH-dokument ({request})")
        error = root.find("o:error", _NS)
        if error is not None:
            code = error.get("code", "?")
            if code == "noRecordsMatch":
                return root
            raise OaiError(code, (error.text or "").strip(), url=self.config.url, request=request)
        return root

    def identify(self) -> Identify:
        root = self._get({"verb": "Identify"})
        node = root.find("o:Identify", _NS)
        if node is None:
            raise OaiProtocolError(f"Identify uten svar fra {self.config.url}")
        granularity = node.findtext("o:granularity", "YYYY-MM-DD", _NS).strip()
        return Identify(
            name=node.findtext("o:repositoryName", "", _NS).strip(),
            granularity=(
                "YYYY-MM-DDThh:mm:ssZ" if granularity == "YYYY-MM-DDThh:mm:ssZ" else "YYYY-MM-DD"
            ),
            earliest=(node.findtext("o:earliestDatestamp", "", _NS).strip() or None),
            deleted_record=node.findtext("o:deletedRecord", "no", _NS).strip(),
        )

    def list_records(
        self, since: date | datetime | None = None, granularity: Granularity = "YYYY-MM-DD"
    ) -> Iterator[OaiPage]:
        """Every page of ListRecords (changed `since`, when given), following the tokens."""
        params = {"verb": "ListRecords", "metadataPrefix": self.config.metadata_prefix}
        if self.config.set_spec:
            params["set"] = self.config.set_spec
        if since is not None:
            params["from"] = format_datestamp(since, granularity)
        seen: set[str] = set()
        position = 0
        while True:
            root = self._get(params)
            node = root.find("o:ListRecords", _NS)
            if node is None:
                if root.find("o:error", _NS) is not None:  # noRecordsMatch
                    return
                raise OaiProtocolError(f"svaret mangler ListRecords ({self.config.url})")
            results = []
            for record in node.iterfind("o:record", _NS):
                position += 1
                results.append(self._result(record, position))
            token_node = node.find("o:resumptionToken", _NS)
            token = (token_node.text or "").strip() if token_node is not None else ""
            size = token_node.get("completeListSize") if token_node is not None else None
            yield OaiPage(
                tuple(results), token or None, int(size) if size and size.isdigit() else None
            )
            if not token:
                return
            if token in seen:
                raise OaiProtocolError(
                    f"serveren ga samme resumptionToken to ganger ({token!r}); høstingen stoppes"
                )
            seen.add(token)
            params = {"verb": "ListRecords", "resumptionToken": token}

    def _result(self, record: etree._Element, position: int) -> OaiResult:
        header = record.find("o:header", _NS)
        identifier = header.findtext("o:identifier", "", _NS).strip() if header is not None else ""
        stamp = header.findtext("o:datestamp", "", _NS).strip() if header is not None else ""
        ref = identifier or f"#{position}"
        if header is not None and header.get("status") == "deleted":
            found = self._id_pattern.search(identifier)
            if found is None or not found.group(1):
                return Quarantined(
                    f"slettet post med identifikator som ikke gir post-ID: {identifier!r}",
                    etree.tostring(record),
                    ref,
                    position,
                )
            return Deleted(identifier, found.group(1), stamp)
        metadata = record.find("o:metadata", _NS)
        payload = (
            next((c for c in metadata if isinstance(c.tag, str)), None)
            if metadata is not None
            else None
        )
        if payload is None:
            return Quarantined("OAI-post uten metadata", etree.tostring(record), ref, position)
        return read_element(payload, position)
