"""SRU client: explain and searchRetrieve over HTTP GET, streamed page by page.

Speaks SRU 1.1, 1.2 and 2.0 (both response namespaces) and hands on each record as the server
sent it: an `SruRecord` (its SRU position and the payload element, MARC 21 slim or MarcXchange)
or a `Quarantined` value when the server sent a diagnostic or no usable payload instead.
Reading MARC into typed records is not the protocol's business: `read_records` does it for the
harvest pipeline (`bokflyt.sync`) with `adapters.marc`, after the client, so the client can be
measured and reasoned about as the protocol alone. What the client guarantees, and why:

* Paging derives the next `startRecord` from the records actually received, because Zebra and
  Koha never send `nextRecordPosition`; a page that brings nothing while the server still
  claims more ends the harvest with `SruProtocolError` instead of looping forever. A server
  that caps the page size is simply followed (fewer records → smaller step).
* Diagnostics arrive with HTTP 200; a response with a diagnostic and no records raises
  `SruDiagnostic` naming the diagnostic URI, message, server and query. A per-record
  (surrogate) diagnostic becomes a `Quarantined` record, and so does a record whose
  recordData is empty or a string (recordPacking=string).
* The network is injected: the caller passes a `requests.Session` (see `make_session`: urllib3
  `Retry` with backoff on 5xx and connection errors, one pooled connection per host, kept
  alive). Requests are spaced by `requests_per_second`; each has a connect/read timeout and a
  wall-clock deadline so a server trickling bytes cannot hang a nightly job.
* Memory is bounded by a few pages: a page body is read whole (capped at `max_page_bytes`,
  within a wall-clock deadline) and parsed in one go (one tree per page, which lives as long as
  the caller holds a record of that page), while the next page is already being downloaded on
  a background thread over the same connection (`harvest` prefetches at the offset a full page
  implies and throws the guess away when the page was short). Holding the page means
  a body cut off mid-record is fetched again whole, never handed on half.
* XML is parsed with entities unresolved and no network (`adapters.xmlsafe`).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import requests
from lxml import etree
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from adapters.errors import SruDiagnostic, SruError, SruProtocolError, SruTransportError
from adapters.marc import Quarantined, ReadResult, read_element
from adapters.xmlsafe import has_entity_declarations, parse_bytes, prolog_declares_entities

log = logging.getLogger(__name__)

SRU1_NS = "http://www.loc.gov/zing/srw/"
SRU2_NS = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAG1_NS = "http://www.loc.gov/zing/srw/diagnostic/"
DIAG2_NS = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
ZEEREX_NS = "http://explain.z3950.org/dtd/2.0/"
RESPONSE_NAMESPACES = (SRU1_NS, SRU2_NS)
DIAGNOSTIC_NAMESPACES = (DIAG1_NS, DIAG2_NS)
DIAGNOSTIC_SCHEMAS = ("info:srw/schema/1/diagnostics-v1.1", "info:srw/schema/1/diagnostic-v1.1")

_ENVELOPE = {
    f"{{{ns}}}{name}": name
    for ns in RESPONSE_NAMESPACES
    for name in ("numberOfRecords", "records", "diagnostics")
}
_DIAGNOSTIC_TAGS = frozenset(f"{{{ns}}}diagnostic" for ns in DIAGNOSTIC_NAMESPACES)
_WRAPPER_TAGS = {  # a record wrapper's tag -> its recordSchema, recordPosition, recordData tags
    f"{{{ns}}}record": (f"{{{ns}}}recordSchema", f"{{{ns}}}recordPosition", f"{{{ns}}}recordData")
    for ns in RESPONSE_NAMESPACES
}
XML_CONTENT_TYPES = ("text/xml", "application/xml", "application/sru+xml")

SruVersion = Literal["1.1", "1.2", "2.0"]


@dataclass(frozen=True, slots=True)
class SruConfig:
    """One SRU server and how to talk to it."""

    url: str
    version: SruVersion = "1.2"
    record_schema: str = "marcxml"
    page_size: int = 100
    timeout: float = 30.0
    requests_per_second: float = 5.0
    page_attempts: int = 3
    deadline_factor: float = 4.0
    max_page_bytes: int = 256 << 20
    prefetch: bool = True

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"SRU URL must be http(s), got {self.url!r}")
        if self.page_size < 1:
            raise ValueError("page_size must be at least 1")
        if self.timeout <= 0 or self.requests_per_second <= 0:
            raise ValueError("timeout and requests_per_second must be positive")
        if self.page_attempts < 1:
            raise ValueError("page_attempts must be at least 1")


@dataclass(frozen=True, slots=True)
class ExplainInfo:
    """What the server says about itself; `max_records` caps the page size when given."""

    title: str | None
    database: str | None
    max_records: int | None
    default_records: int | None
    schemas: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SruRecord:
    """One record as the server sent it: its SRU position, schema and payload element.

    `element` is the first element inside recordData (a MARCXML `record` for the default
    schema), still part of its page's tree: holding it holds that page's tree, so callers read
    it (`read_records`, or `raw` for the bytes) and let it go with the page.
    """

    position: int
    schema: str | None
    element: etree._Element

    @property
    def raw(self) -> bytes:
        """The payload serialised on its own (UTF-8), as it would be stored."""
        return etree.tostring(self.element, encoding="utf-8")


SruResult = SruRecord | Quarantined


@dataclass(frozen=True, slots=True)
class Page:
    """One searchRetrieve response: records in order, the server's total, where to go next."""

    start: int
    total: int
    results: tuple[SruResult, ...]
    next_start: int | None


def read_records(results: Iterable[SruResult]) -> Iterator[ReadResult]:
    """The MARC side of a harvest: each `SruRecord` read into a typed `MarcRecord`.

    A payload that is not a MARC record (no leader, a bad tag...) becomes `Quarantined`, with
    its bytes, like any bad record; values the client already quarantined pass through.
    """
    for result in results:
        if isinstance(result, SruRecord):
            yield read_element(result.element, result.position)
        else:
            yield result


@dataclass(slots=True)
class _ParsedResponse:
    total: int | None = None
    results: list[SruResult] = field(default_factory=list)
    diagnostics: list[tuple[str, str, str | None]] = field(default_factory=list)
    surrogates: list[tuple[str, str, str | None]] = field(default_factory=list)


def make_session(
    retries: int = 3, backoff: float = 0.5, user_agent: str = "bokflyt"
) -> requests.Session:
    """A session with urllib3 retries (5xx, 429, connection errors) and one connection per host."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_connections=1, pool_maxsize=1, pool_block=True)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    return session


class RateLimiter:
    """Spaces calls at least 1/rate seconds apart (clock and sleep injectable for tests)."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._last: float | None = None

    def wait(self) -> None:
        now = self._clock()
        if self._last is not None:
            delay = self._last + self._interval - now
            if delay > 0:
                self._sleep(delay)
                now = self._clock()
        self._last = now


def _local(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text[text.rfind("}") + 1 :]


def _child_text(element: etree._Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip() or None
    return None


class SruClient:
    """Talks SRU to one server through an injected `requests.Session`."""

    def __init__(
        self,
        config: SruConfig,
        session: requests.Session,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._session = session
        self._clock = clock
        self._limiter = RateLimiter(config.requests_per_second, clock, sleep)
        self.server_cap: int | None = None

    # -- requests -------------------------------------------------------------------------------

    def _params(self, operation: str, extra: dict[str, str]) -> dict[str, str]:
        params = {"operation": operation, "version": self.config.version}
        params.update(extra)
        return params

    def _get(self, params: dict[str, str], query: str | None) -> requests.Response:
        self._limiter.wait()
        timeout = self.config.timeout
        try:
            response = self._session.get(
                self.config.url, params=params, stream=True, timeout=(min(timeout, 10.0), timeout)
            )
        except requests.exceptions.RetryError as exc:
            raise SruTransportError(
                f"serveren svarte med feil etter gjentatte forsøk: {exc}",
                url=self.config.url,
                query=query,
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise SruTransportError(
                f"tidsavbrudd etter {timeout:g} s", url=self.config.url, query=query
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise SruTransportError(
                f"ingen forbindelse: {exc}", url=self.config.url, query=query
            ) from exc
        log.info(
            "SRU %s %s start=%s -> HTTP %s",
            params.get("operation"),
            self.config.url,
            params.get("startRecord", "-"),
            response.status_code,
        )
        if response.status_code >= 400:
            response.close()
            raise SruTransportError(
                f"HTTP {response.status_code} {response.reason}", url=self.config.url, query=query
            )
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type and not (
            content_type in XML_CONTENT_TYPES or content_type.endswith("+xml")
        ):
            response.close()
            raise SruProtocolError(
                f"svaret er ikke XML (Content-Type {content_type!r})",
                url=self.config.url,
                query=query,
            )
        return response

    # -- explain --------------------------------------------------------------------------------

    def explain(self) -> ExplainInfo:
        """Ask the server what it offers (title, database, page-size cap, record schemas)."""
        response = self._get(self._params("explain", {}), None)
        with response:
            data = response.raw.read(1 << 20, decode_content=True)
        try:
            root = parse_bytes(data)
        except etree.XMLSyntaxError as exc:
            raise SruProtocolError(
                f"explain-svaret er ikke gyldig XML: {exc.msg}", url=self.config.url
            ) from exc
        self._raise_diagnostics(root, None)
        zr = f"{{{ZEEREX_NS}}}"
        title = root.findtext(f".//{zr}databaseInfo/{zr}title")
        database = root.findtext(f".//{zr}serverInfo/{zr}database")
        max_records = default_records = None
        for setting in root.iter(f"{zr}setting", f"{zr}default"):
            kind = setting.get("type")
            text = (setting.text or "").strip()
            if not text.isdigit():
                continue
            if kind == "maximumRecords" and _local(setting.tag) == "setting":
                max_records = int(text)
            elif kind == "numberOfRecords" and _local(setting.tag) == "default":
                default_records = int(text)
        schemas = tuple(
            name for s in root.iter(f"{zr}schema") if (name := s.get("name")) is not None
        )
        return ExplainInfo(title, database, max_records, default_records, schemas)

    def _raise_diagnostics(self, root: etree._Element, query: str | None) -> None:
        for ns in DIAGNOSTIC_NAMESPACES:
            for diag in root.iter(f"{{{ns}}}diagnostic"):
                uri = _child_text(diag, "uri") or "?"
                raise SruDiagnostic(
                    uri,
                    _child_text(diag, "message") or "(ingen melding)",
                    _child_text(diag, "details"),
                    url=self.config.url,
                    query=query,
                )

    # -- searchRetrieve -------------------------------------------------------------------------

    def page_size(self) -> int:
        size = self.config.page_size
        return min(size, self.server_cap) if self.server_cap else size

    def search_page(
        self, query: str, start: int, maximum: int | None = None, attempts: int | None = None
    ) -> Page:
        """Fetch one page from `start`; a body that breaks off mid-page is fetched again."""
        maximum = maximum or self.page_size()
        last_error: SruError | None = None
        for attempt in range(1, (attempts or self.config.page_attempts) + 1):
            try:
                body = self._download(query, start, maximum)
                return self._parse_page(self._tree(body, query), query, start, maximum)
            except _BrokenStream as exc:
                # urllib3 already retried the request; a body that broke off is retried here
                last_error = SruTransportError(str(exc), url=self.config.url, query=query)
                log.warning("SRU page at %d broke off (attempt %d): %s", start, attempt, exc)
        assert last_error is not None
        raise last_error

    def _download(self, query: str, start: int, maximum: int) -> bytes:
        """One searchRetrieve body, read completely within the deadline and the size cap."""
        escaping = (
            {"recordXMLEscaping": "xml"}
            if self.config.version == "2.0"
            else {"recordPacking": "xml"}
        )
        params = self._params(
            "searchRetrieve",
            {
                "query": query,
                "startRecord": str(start),
                "maximumRecords": str(maximum),
                "recordSchema": self.config.record_schema,
                **escaping,
            },
        )
        response = self._get(params, query)
        deadline = self._clock() + self.config.timeout * self.config.deadline_factor
        chunks: list[bytes] = []
        size = 0
        with response:
            try:
                for chunk in response.iter_content(1 << 16):
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > self.config.max_page_bytes:
                        raise SruProtocolError(
                            f"siden er større enn {self.config.max_page_bytes} byte",
                            url=self.config.url,
                            query=query,
                        )
                    if self._clock() > deadline:
                        raise _BrokenStream("svaret tok lengre tid enn tillatt")
            except requests.exceptions.RequestException as exc:
                raise _BrokenStream(f"forbindelsen brøt under lesing: {exc}") from exc
        return b"".join(chunks)

    def _tree(self, body: bytes, query: str) -> etree._Element:
        """One page's body parsed into a tree, checked for entity declarations."""
        try:
            root = parse_bytes(body)
        except etree.XMLSyntaxError as exc:
            if prolog_declares_entities(body):
                raise self._entities_refused(query) from exc
            raise _BrokenStream(f"svaret er ufullstendig eller ikke gyldig XML: {exc.msg}") from exc
        if has_entity_declarations(root):
            raise self._entities_refused(query)
        return root

    def _parse_page(self, root: etree._Element, query: str, start: int, maximum: int) -> Page:
        parsed = self._parse(root, query, start)
        if parsed.diagnostics and not parsed.results:
            uri, message, details = parsed.diagnostics[0]
            raise SruDiagnostic(uri, message, details, url=self.config.url, query=query)
        if parsed.surrogates and len(parsed.surrogates) == len(parsed.results):
            # every record on the page is a diagnostic (unknown schema...): a request problem,
            # not bad records; quarantining a whole catalogue would hide it
            uri, message, details = parsed.surrogates[0]
            raise SruDiagnostic(uri, message, details, url=self.config.url, query=query)
        if parsed.total is None:
            raise SruProtocolError(
                "svaret mangler numberOfRecords", url=self.config.url, query=query
            )
        received = len(parsed.results)
        if received == 0 and start <= parsed.total:
            raise SruProtocolError(
                f"siden fra startRecord={start} ga ingen poster, men serveren oppgir "
                f"{parsed.total} treff; høstingen stoppes for ikke å gå i ring",
                url=self.config.url,
                query=query,
            )
        capped = 0 < received < maximum and start + received <= parsed.total
        if capped and (self.server_cap is None or received < self.server_cap):
            log.info("server caps pages at %d records", received)
            self.server_cap = received
        next_start = start + received
        return Page(
            start=start,
            total=parsed.total,
            results=tuple(parsed.results),
            next_start=next_start if next_start <= parsed.total else None,
        )

    def _parse(self, root: etree._Element, query: str, start: int) -> _ParsedResponse:
        """Walk a page's envelope (see `_tree`) once, its records in document order.

        The body is held whole anyway (see `_download`), and a tree of one page (a few times
        its bytes, freed with it) is far cheaper per record than `iterparse` events. Only the
        envelope is walked (numberOfRecords, records/record, diagnostics/diagnostic are
        children of the response element in every SRU version), never the records' fields.
        """
        parsed = _ParsedResponse()
        position = start - 1
        for child in root:
            name = _ENVELOPE.get(child.tag)
            if name == "numberOfRecords":
                text = (child.text or "").strip()
                if not text.isdigit():
                    raise SruProtocolError(
                        f"ugyldig numberOfRecords {text!r}", url=self.config.url, query=query
                    )
                parsed.total = int(text)
            elif name == "diagnostics":
                parsed.diagnostics.extend(
                    (
                        _child_text(element, "uri") or "?",
                        _child_text(element, "message") or "(ingen melding)",
                        _child_text(element, "details"),
                    )
                    for element in child
                    if element.tag in _DIAGNOSTIC_TAGS
                )
            elif name == "records":
                for wrapper in child:
                    tags = _WRAPPER_TAGS.get(wrapper.tag)
                    if tags is not None:
                        position += 1
                        parsed.results.append(self._record(wrapper, tags, position, parsed))
        return parsed

    def _entities_refused(self, query: str) -> SruProtocolError:
        return SruProtocolError(
            "svaret inneholder entitetsdeklarasjoner (DTD); avvist av sikkerhetshensyn",
            url=self.config.url,
            query=query,
        )

    def _record(
        self,
        wrapper: etree._Element,
        tags: tuple[str, str, str],
        position: int,
        parsed: _ParsedResponse,
    ) -> SruResult:
        schema_tag, position_tag, data_tag = tags
        schema = None
        data = None
        for child in wrapper:
            tag = child.tag
            if tag == data_tag:
                data = child
            elif tag == schema_tag:
                schema = (child.text or "").strip()
            elif tag == position_tag and (child.text or "").strip().isdigit():
                position = int((child.text or "").strip())
        if data is None:
            return Quarantined(
                "SRU-post uten recordData", etree.tostring(wrapper), f"#{position}", position
            )
        payload = next((c for c in data if isinstance(c.tag, str)), None)
        if schema in DIAGNOSTIC_SCHEMAS or (
            payload is not None and _local(payload.tag) == "diagnostic"
        ):
            message = _child_text(payload, "message") if payload is not None else None
            uri = _child_text(payload, "uri") if payload is not None else None
            details = _child_text(payload, "details") if payload is not None else None
            parsed.surrogates.append((uri or "?", message or "(ingen melding)", details))
            return Quarantined(
                f"serveren sendte diagnostikk i stedet for posten: {uri} {message or ''}".strip(),
                etree.tostring(wrapper),
                f"#{position}",
                position,
            )
        if payload is None:
            text = (data.text or "").strip()
            reason = (
                "recordData er tekst, ikke XML (recordPacking=string?)"
                if text
                else "tom recordData"
            )
            return Quarantined(reason, text.encode("utf-8"), f"#{position}", position)
        return SruRecord(position, schema, payload)

    def harvest(self, query: str, start: int = 1) -> Generator[Page, None, None]:
        """Every page of `query` from `start` on; each page's `next_start` is the checkpoint.

        A background thread only downloads (`_download`), on the same kept-alive connection:
        the request for the next page, at the offset a full page implies, goes out as soon as
        a body has arrived, and the server works on it while this thread parses and checks the
        page and the caller works on its records (reads them, stores them). Parsing on the
        download thread instead put the parse between one response and the next request, on
        the server's critical path. When the page turns out short (a server cap, the end),
        the guess is thrown away and the right page fetched, so the offset is still derived
        from the records received. Closing the generator early cancels the downloads not yet
        begun and waits for the one under way (it holds the connection).
        """
        if not self.config.prefetch:
            current: int | None = start
            while current is not None:
                page = self.search_page(query, current)
                yield page
                current = page.next_start
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sru-prefetch") as pool:
            downloads = _Downloads(pool, lambda at, size: self._download(query, at, size))
            total: int | None = None
            try:
                while True:
                    maximum = self.page_size()
                    if not downloads.next_is(start, maximum):
                        downloads.discard()  # a guess that turned out wrong (short page, cap)
                        downloads.top_up(start, maximum, total, 1)
                    try:
                        body = downloads.pop().result()
                        # queued before this page is parsed, so the server is already busy
                        downloads.top_up(
                            start + maximum, maximum, total, _AHEAD if total is not None else 1
                        )
                        page = self._parse_page(self._tree(body, query), query, start, maximum)
                        del body  # from here on only the page's records hold its tree
                    except _BrokenStream as exc:
                        downloads.discard()
                        if self.config.page_attempts == 1:
                            raise SruTransportError(
                                str(exc), url=self.config.url, query=query
                            ) from exc
                        log.warning("SRU page at %d broke off: %s; fetching it again", start, exc)
                        page = self.search_page(
                            query, start, maximum, self.config.page_attempts - 1
                        )
                    total = page.total
                    yield page
                    if page.next_start is None:
                        return
                    start = page.next_start
            finally:
                downloads.discard()


_AHEAD = 2
"""Page downloads queued beyond the page being parsed once the server's total is known.

Two, so that the download thread goes from one response straight to the next request without
waiting for this thread to take the page and ask for another: the server's idle time between
pages is then the reading of one body, as in a plain loop. Memory: a few pages at most.
"""


class _Downloads:
    """Page downloads queued on the single download thread, in the order they are asked for."""

    def __init__(self, pool: ThreadPoolExecutor, download: Callable[[int, int], bytes]) -> None:
        self._pool = pool
        self._download = download
        self._queue: deque[tuple[int, int, Future[bytes]]] = deque()

    def next_is(self, start: int, maximum: int) -> bool:
        """Whether the first queued download is exactly this page."""
        return bool(self._queue) and self._queue[0][:2] == (start, maximum)

    def pop(self) -> Future[bytes]:
        return self._queue.popleft()[2]

    def top_up(self, first: int, maximum: int, total: int | None, depth: int) -> None:
        """Queue downloads at the offsets full pages imply (after the last queued one, else at
        `first`) until `depth` are queued, never past the server's `total` when it is known."""
        offset = self._queue[-1][0] + maximum if self._queue else first
        while len(self._queue) < depth and (total is None or offset <= total):
            self._queue.append(
                (offset, maximum, self._pool.submit(self._download, offset, maximum))
            )
            offset += maximum

    def discard(self) -> None:
        """Drop every queued download: cancelled if not begun, else waited for (it holds the
        connection) and its outcome ignored."""
        while self._queue:
            future = self._queue.popleft()[2]
            if future.cancel():
                continue
            try:
                future.result()
            except Exception as exc:  # the page was a guess; its failure is no one's concern
                log.debug("discarded prefetch: %s", exc)


class _BrokenStream(Exception):
    """A response stopped or went bad after its headers: worth fetching the page again."""
