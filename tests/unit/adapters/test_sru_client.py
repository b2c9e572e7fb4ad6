"""SRU client pieces that need no server: configuration, the rate limit, reading records as MARC."""

from __future__ import annotations

import pytest
from requests.adapters import HTTPAdapter

from adapters.marc import MarcRecord, Quarantined
from adapters.sru import RateLimiter, SruConfig, SruRecord, make_session, read_records
from adapters.xmlsafe import parse_bytes


def test_rate_limiter_spaces_requests() -> None:
    """At 4 requests/s consecutive requests start at least 0.25 s apart (fake clock)."""
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(4.0, clock=lambda: now[0], sleep=sleep)
    limiter.wait()
    now[0] += 0.05
    limiter.wait()
    limiter.wait()
    assert slept == pytest.approx([0.20, 0.25])


def test_rate_limiter_does_not_sleep_when_slow_enough() -> None:
    """Requests already further apart than the interval are not delayed."""
    now = [0.0]
    limiter = RateLimiter(2.0, clock=lambda: now[0], sleep=lambda s: pytest.fail("slept"))
    limiter.wait()
    now[0] += 1.0
    limiter.wait()


@pytest.mark.parametrize(
    "options",
    [{"url": "ftp://x"}, {"url": "http://x", "page_size": 0}, {"url": "http://x", "timeout": 0}],
)
def test_config_refuses_nonsense(options: dict[str, object]) -> None:
    """A non-HTTP URL, an empty page or a zero timeout is refused at construction."""
    with pytest.raises(ValueError):
        SruConfig(**options)  # type: ignore[arg-type]


def test_session_retries_5xx_on_one_pooled_connection() -> None:
    """The session retries GETs on 5xx/429 with backoff and keeps one connection per host."""
    adapter = make_session(retries=4, backoff=0.2).get_adapter("http://example.org/")
    assert isinstance(adapter, HTTPAdapter)
    retry = adapter.max_retries
    assert retry.total == 4 and retry.backoff_factor == 0.2
    assert {500, 502, 503, 504, 429} <= set(retry.status_forcelist or ())
    assert adapter._pool_maxsize == 1 and adapter._pool_block is True  # type: ignore[attr-defined]


def test_prolog_entity_check_looks_only_before_the_root() -> None:
    """A refused body is called an entity attack only when its prolog declares entities."""
    from adapters.xmlsafe import prolog_declares_entities

    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
    assert prolog_declares_entities(bomb)
    assert not prolog_declares_entities(b"<x>&lt;!DOCTYPE y [&lt;!ENTITY a 'b'&gt;]&gt;</x")
    assert not prolog_declares_entities(b"<x><y>cut off")


def _sru_record(position: int, leader: str) -> SruRecord:
    element = parse_bytes(
        b'<r:x xmlns:r="http://www.loc.gov/zing/srw/"><record xmlns="http://www.loc.gov/MARC21/slim">'
        + f'<leader>{leader}</leader><controlfield tag="001">N{position}</controlfield>'.encode()
        + b"</record></r:x>"
    )[0]
    return SruRecord(position, "marcxml", element)


def test_read_records_reads_marc_and_quarantines_what_is_not() -> None:
    """Good payloads become MarcRecords with their bytes; a bad leader and the client's own
    quarantined values come out as Quarantined, in order, positions kept."""
    surrogate = Quarantined("serveren sendte diagnostikk", b"<x/>", "#2", 2)
    good, bad = _sru_record(1, "00000cam a2200000 i 4500"), _sru_record(3, "kort")
    results = list(read_records([good, surrogate, bad]))
    assert [r.position for r in results] == [1, 2, 3]
    assert isinstance(results[0], MarcRecord) and results[0].control_number == "N1"
    assert results[0].raw == good.raw and b"<r:x" not in good.raw
    assert results[1] is surrogate
    assert isinstance(results[2], Quarantined) and "leader" in results[2].reason
