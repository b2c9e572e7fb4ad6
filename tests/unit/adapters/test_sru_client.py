"""SRU client pieces that need no server: configuration checks and the request rate limit."""

from __future__ import annotations

import pytest
from requests.adapters import HTTPAdapter

from adapters.sru import RateLimiter, SruConfig, make_session


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
