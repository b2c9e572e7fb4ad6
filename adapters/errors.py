"""Errors raised by the adapters, one tree so callers can catch at the level they care about.

    AdapterError                      anything the outside world did wrong
    ├── SruError                      an SRU exchange failed (carries url and query)
    │   ├── SruDiagnostic             the server answered with an SRU diagnostic (uri, message)
    │   ├── SruProtocolError          the answer was not a usable SRU response (XML, type, paging)
    │   └── SruTransportError         no answer: timeout, connection, HTTP error after retries
    ├── OaiError                      an OAI-PMH repository answered with an error code
    ├── OaiProtocolError              an OAI-PMH answer was unusable (XML, HTTP, a repeated token)
    └── MarcError                     a MARC file could not be read at all (not one bad record)

A single bad record is never an exception: readers yield a `Quarantined` value and go on.
"""

from __future__ import annotations


class AdapterError(Exception):
    """Base of every error the adapters raise."""


class SruError(AdapterError):
    """An SRU request failed; `url` is the base URL, `query` the CQL query (if any)."""

    def __init__(self, message: str, *, url: str, query: str | None = None) -> None:
        self.url = url
        self.query = query
        where = f" (server {url}" + (f", spørring {query!r})" if query else ")")
        super().__init__(message + where)


class SruDiagnostic(SruError):
    """The server answered with a diagnostic instead of records (HTTP 200, SRU error)."""

    def __init__(
        self, uri: str, message: str, details: str | None, *, url: str, query: str | None
    ) -> None:
        self.uri = uri
        self.diagnostic_message = message
        self.details = details
        text = f"SRU-diagnostikk {uri}: {message}" + (f" ({details})" if details else "")
        super().__init__(text, url=url, query=query)


class SruProtocolError(SruError):
    """The response could not be used: not XML, wrong content type, a page that did not advance."""


class SruTransportError(SruError):
    """The server did not answer usefully: timeout, refused connection, HTTP error after retries."""


class OaiError(AdapterError):
    """The repository answered with an OAI-PMH error (HTTP 200, `<error code=...>`)."""

    def __init__(self, code: str, message: str, *, url: str, request: str) -> None:
        self.code = code
        self.oai_message = message
        super().__init__(f"OAI-PMH-feil {code}: {message} (server {url}, forespørsel {request})")


class OaiProtocolError(AdapterError):
    """The answer was not usable OAI-PMH: not XML, no ListRecords, a token repeated, HTTP error."""


class MarcError(AdapterError):
    """A MARC file as a whole cannot be read (not MARC at all, unreadable file)."""
