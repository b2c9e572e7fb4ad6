"""A harvest's records spooled to disk page by page, so a failed SRU harvest can resume.

A sync applies a harvest in one transaction, so a server that fails mid-harvest leaves the
catalogue untouched — and without a spool, everything fetched so far would be fetched again.
The spool keeps every page's results (records as their raw MARCXML, quarantined values with
their reason) in a length-prefixed file, flushed after each page; `--resume` replays it and
continues from the checkpoint offset.

Frame: one kind byte (`R` record, `Q` quarantined), a 4-byte big-endian header length, the
UTF-8 JSON header (position, and ref/reason for `Q`), an 8-byte payload length, the payload.
A frame cut short by a crash is ignored (the page it belonged to is fetched again).
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from adapters.marc import MarcRecord, Quarantined, ReadResult, read_element
from adapters.xmlsafe import parse_bytes

log = logging.getLogger(__name__)

_HEAD = struct.Struct(">cI")
_SIZE = struct.Struct(">Q")


class SpoolWriter:
    """Appends pages to a spool file; `close` keeps it, `discard` deletes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO = path.open("ab")

    def write_page(self, results: Iterable[ReadResult]) -> None:
        for result in results:
            header: dict[str, object]
            if isinstance(result, MarcRecord):
                kind, header = b"R", {"position": result.position}
            else:
                kind = b"Q"
                header = {"position": result.position, "ref": result.ref, "reason": result.reason}
            encoded = json.dumps(header, ensure_ascii=False).encode("utf-8")
            self._file.write(_HEAD.pack(kind, len(encoded)) + encoded)
            self._file.write(_SIZE.pack(len(result.raw)) + result.raw)
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def discard(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


def replay(path: Path) -> Iterator[ReadResult]:
    """The results spooled in `path`, in order; a torn last frame is dropped."""
    with path.open("rb") as handle:
        while True:
            head = handle.read(_HEAD.size)
            if len(head) < _HEAD.size:
                return
            kind, length = _HEAD.unpack(head)
            header_bytes = handle.read(length)
            size_bytes = handle.read(_SIZE.size)
            if len(header_bytes) < length or len(size_bytes) < _SIZE.size:
                return
            (size,) = _SIZE.unpack(size_bytes)
            raw = handle.read(size)
            if len(raw) < size:
                log.warning("spool %s ends in a torn frame; ignoring it", path)
                return
            header = json.loads(header_bytes)
            position = int(header["position"])
            if kind == b"Q":
                yield Quarantined(header["reason"], raw, header.get("ref"), position)
                continue
            try:
                element = parse_bytes(raw)
            except etree.XMLSyntaxError as exc:
                yield Quarantined(f"spoolet post kunne ikke leses: {exc.msg}", raw, None, position)
                continue
            yield read_element(element, position)
