"""A scripted, misbehaving SRU server on a loopback port, for the client's fault tests.

Each request is answered by the next function in `script` (the last one repeats); a function
receives the parsed query parameters and the request handler and writes whatever it likes —
a good page, a 500, a hang, half a response, HTML, an XML bomb.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SRU1 = "http://www.loc.gov/zing/srw/"
SRU2 = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAG1 = "http://www.loc.gov/zing/srw/diagnostic/"

Behaviour = Callable[[dict[str, str], BaseHTTPRequestHandler], None]


def marc_record(n: int) -> str:
    return (
        '<record xmlns="http://www.loc.gov/MARC21/slim">'
        "<leader>00000cam a2200000 i 4500</leader>"
        f'<controlfield tag="001">R{n:05d}</controlfield>'
        '<datafield tag="245" ind1="1" ind2="0">'
        f'<subfield code="a">Tittel nummer {n} på øya</subfield></datafield>'
        '<datafield tag="952" ind1=" " ind2=" "><subfield code="a">SAN</subfield>'
        f'<subfield code="b">SAN</subfield><subfield code="p">B{n:05d}</subfield></datafield>'
        "</record>"
    )


def page_xml(start: int, count: int, total: int, ns: str = SRU1) -> str:
    """A searchRetrieveResponse with records start..start+count-1 of `total`."""
    last = min(start + count - 1, total)
    records = "".join(
        f"<zs:record><zs:recordSchema>marcxml</zs:recordSchema>"
        f"<zs:recordPacking>xml</zs:recordPacking><zs:recordData>{marc_record(n)}</zs:recordData>"
        f"<zs:recordPosition>{n}</zs:recordPosition></zs:record>"
        for n in range(start, last + 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><zs:searchRetrieveResponse xmlns:zs="{ns}">'
        f"<zs:version>1.2</zs:version><zs:numberOfRecords>{total}</zs:numberOfRecords>"
        f"<zs:records>{records}</zs:records></zs:searchRetrieveResponse>"
    )


def diagnostic_xml(uri: str, message: str) -> str:
    return (
        f'<?xml version="1.0"?><zs:searchRetrieveResponse xmlns:zs="{SRU1}">'
        "<zs:version>1.2</zs:version><zs:numberOfRecords>0</zs:numberOfRecords>"
        f'<zs:diagnostics><diag:diagnostic xmlns:diag="{DIAG1}"><diag:uri>{uri}</diag:uri>'
        f"<diag:message>{message}</diag:message></diag:diagnostic></zs:diagnostics>"
        "</zs:searchRetrieveResponse>"
    )


def send(
    handler: BaseHTTPRequestHandler,
    body: str | bytes,
    status: int = 200,
    content_type: str = "text/xml; charset=UTF-8",
) -> None:
    data = body.encode("utf-8") if isinstance(body, str) else body
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def good(total: int, cap: int | None = None) -> Behaviour:
    """Serve pages of a `total`-record result, at most `cap` records per page."""

    def behave(params: dict[str, str], handler: BaseHTTPRequestHandler) -> None:
        start = int(params.get("startRecord", "1"))
        count = int(params.get("maximumRecords", "10"))
        if cap is not None:
            count = min(count, cap)
        send(handler, page_xml(start, count, total))

    return behave


class FakeSru:
    """The running server: `url`, and `requests` (the parameters of every request received)."""

    def __init__(self, script: Sequence[Behaviour]) -> None:
        self.script = list(script)
        self.requests: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                params = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                fake.requests.append(params)
                index = min(len(fake.requests) - 1, len(fake.script) - 1)
                fake.script[index](params, self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sru"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def searches(self) -> list[dict[str, str]]:
        return [r for r in self.requests if r.get("operation") == "searchRetrieve"]


@contextmanager
def fake_sru(*script: Behaviour) -> Iterator[FakeSru]:
    server = FakeSru(script)
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
