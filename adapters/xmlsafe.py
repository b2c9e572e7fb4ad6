"""The only way bokflyt parses XML from outside: no entity expansion, no network, no huge trees.

A record or SRU response is data from another system; it must never make the parser fetch a
URL, read a local file through an external entity, or expand a "billion laughs" entity bomb.
lxml with `resolve_entities=False`, `no_network=True`, `load_dtd=False` and `huge_tree=False`
gives exactly that; every parser in the adapters comes from here so the flags live in one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from lxml import etree

SAFE_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


class ByteSource(Protocol):
    """Anything with `read(size)` returning bytes (a file, a socket stream, a buffer)."""

    def read(self, size: int = ..., /) -> bytes: ...


def safe_parser() -> etree.XMLParser:
    """A fresh tree parser with the safe options (parsers are not thread-safe, so no singleton)."""
    return etree.XMLParser(**SAFE_OPTIONS)


def parse_bytes(data: bytes) -> etree._Element:
    """Parse a small document (a test fixture, an explain response) safely."""
    return etree.fromstring(data, parser=safe_parser())


def iterparse_safe(
    source: ByteSource, tags: Iterable[str], events: tuple[str, ...] = ("end",)
) -> Iterator[tuple[str, etree._Element]]:
    """Stream `(event, element)` pairs for `tags` from a byte stream with the safe options."""
    return iter(
        etree.iterparse(
            source,
            events=events,
            tag=list(tags),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
    )


def release(element: etree._Element) -> None:
    """Free an element and the siblings before it, so a streamed document never accumulates."""
    element.clear()
    parent = element.getparent()
    if parent is None:
        return
    while element.getprevious() is not None:
        del parent[0]


def has_entity_declarations(element: etree._Element) -> bool:
    """True when the document carries a DTD with entity declarations (never legitimate here)."""
    docinfo = element.getroottree().docinfo
    dtd = docinfo.internalDTD
    if dtd is None:
        return False
    return any(True for _ in dtd.iterentities())  # type: ignore[attr-defined]


_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")


def prolog_declares_entities(data: bytes) -> bool:
    """True when the document's prolog (before its root element) declares entities.

    For a document the parser refused: a bomb can fail on amplification limits before any
    tree exists for `has_entity_declarations` to look at, and it must be reported as an
    attack, not retried as a page that broke off.
    """
    root = _FIRST_ELEMENT.search(data)
    prolog = data[: root.start()] if root else data
    return b"<!DOCTYPE" in prolog and b"<!ENTITY" in prolog
