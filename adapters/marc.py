"""Streaming MARC readers: MARCXML / MarcXchange and ISO 2709 (UTF-8 or MARC-8 by leader/09).

Every reader yields, one at a time, either a `MarcRecord` (the record's fields as `MarcData`
plus the exact bytes it came from) or a `Quarantined` value saying why a record could not be
read. A bad record never stops the reader: it is handed on with its raw bytes so nothing is
lost, and the next record is read. Only a file that is not MARC at all, or XML broken beyond
the current record, ends the stream (with one final `Quarantined` value describing where).

MARCXML goes straight from the lxml element to `MarcData` (plain tuples); building pymarc
objects on that path cost as much as parsing the XML. ISO 2709 (and MARC-8) is decoded by pymarc
and converted. `MarcRecord.record` still offers a `pymarc.Record` for tools and tests.

Memory stays flat: XML is read with `iterparse` and every finished element is released;
ISO 2709 is split on the record terminator from fixed-size chunks.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, NamedTuple

import pymarc
from lxml import etree
from pymarc import Field, Indicators, Subfield

from adapters.xmlsafe import ByteSource, iterparse_safe, release

log = logging.getLogger(__name__)

MARC21_NS = "http://www.loc.gov/MARC21/slim"
MARCXCHANGE_NS = "info:lc/xmlns/marcxchange-v1"
MARCXCHANGE2_NS = "info:lc/xmlns/marcxchange-v2"
RECORD_NAMESPACES = (MARC21_NS, MARCXCHANGE_NS, MARCXCHANGE2_NS)
RECORD_TAGS = tuple(f"{{{ns}}}record" for ns in RECORD_NAMESPACES) + ("record",)

RECORD_TERMINATOR = b"\x1d"
RawFormat = Literal["marcxml", "iso2709"]


class ControlField(NamedTuple):
    """A control field (00X): tag and value as the record has them."""

    tag: str
    value: str


class DataField(NamedTuple):
    """A data field as plain values: what `adapters.bib` and `adapters.holdings` read.

    Built straight from the XML element on the MARCXML path, because going through
    `pymarc.Field` objects cost as much per record as the parse itself.
    """

    tag: str
    ind1: str
    ind2: str
    subfields: tuple[tuple[str, str], ...]

    def get(self, code: str) -> str | None:
        """The first value of subfield `code` (pymarc's `Field.get`)."""
        for sub_code, value in self.subfields:
            if sub_code == code:
                return value
        return None

    def values(self, code: str) -> list[str]:
        """Every value of subfield `code`, in order (pymarc's `get_subfields`)."""
        return [value for sub_code, value in self.subfields if sub_code == code]


@dataclass(frozen=True, slots=True)
class MarcData:
    """One MARC record as plain values, fields in record order and indexed by tag.

    The reading side of every harvest: cheap to build from lxml or from a `pymarc.Record`
    (ISO 2709, MARC-8), and free of pymarc so the mapping code does not pay for its objects.
    """

    leader: str
    fields: tuple[ControlField | DataField, ...]
    controls: dict[str, list[str]]
    data: dict[str, list[DataField]]

    def control(self, tag: str) -> str | None:
        """The first value of control field `tag`, if the record has it."""
        found = self.controls.get(tag)
        return found[0] if found else None

    def get_fields(self, *tags: str) -> list[DataField]:
        """The data fields with these tags, grouped by tag in the order asked."""
        if len(tags) == 1:
            return self.data.get(tags[0], [])
        return [f for tag in tags for f in self.data.get(tag, [])]

    def to_pymarc(self, force_utf8: bool = True) -> pymarc.Record:
        """The same record as a `pymarc.Record` (for callers that want pymarc's API).

        `force_utf8` sets leader/09 to "a", as pymarc does for XML input; a record decoded
        from ISO 2709 keeps the leader it was read with.
        """
        record = pymarc.Record(leader=self.leader, force_utf8=force_utf8)
        record.fields = [
            Field(f.tag, data=f.value)
            if isinstance(f, ControlField)
            else _data_field(
                f.tag, Indicators(f.ind1, f.ind2), [Subfield(c, v) for c, v in f.subfields]
            )
            for f in self.fields
        ]
        return record


def from_fields(leader: str, fields: list[ControlField | DataField]) -> MarcData:
    """Index `fields` by tag into a `MarcData`."""
    controls: dict[str, list[str]] = {}
    data: dict[str, list[DataField]] = {}
    for f in fields:
        if isinstance(f, ControlField):
            controls.setdefault(f.tag, []).append(f.value)
        else:
            data.setdefault(f.tag, []).append(f)
    return MarcData(leader, tuple(fields), controls, data)


def from_pymarc(record: pymarc.Record) -> MarcData:
    """A `pymarc.Record` (ISO 2709, MARC-8, a test's record) as `MarcData`."""
    fields: list[ControlField | DataField] = []
    for f in record.fields:
        if f.is_control_field():
            fields.append(ControlField(f.tag, f.data or ""))
        else:
            fields.append(
                DataField(
                    f.tag,
                    f.indicator1 or " ",
                    f.indicator2 or " ",
                    tuple((s.code, s.value) for s in f.subfields),
                )
            )
    return from_fields(str(record.leader), fields)


def as_data(record: pymarc.Record | MarcData) -> MarcData:
    """Accept either form at the mapping boundary; pymarc records are converted once."""
    return record if isinstance(record, MarcData) else from_pymarc(record)


@dataclass(frozen=True, slots=True)
class MarcRecord:
    """A record that parsed: its fields and the bytes it was read from (kept verbatim)."""

    data: MarcData
    raw: bytes
    raw_format: RawFormat
    position: int

    @property
    def record(self) -> pymarc.Record:
        """The record as `pymarc.Record`, built on each access (tests, tools; not the hot path)."""
        return self.data.to_pymarc(force_utf8=self.raw_format == "marcxml")

    @property
    def control_number(self) -> str | None:
        value = (self.data.control("001") or "").strip()
        return value or None


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record (or the rest of a file) that could not be read; `reason` is for IT to read."""

    reason: str
    raw: bytes
    ref: str | None
    position: int

    def __post_init__(self) -> None:
        if not self.reason:
            raise ValueError("a quarantined record needs a reason")


ReadResult = MarcRecord | Quarantined


class RecordShapeError(ValueError):
    """An XML element is not a MARC record (no leader, bad tag...)."""


def _local(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text[text.rfind("}") + 1 :]


def _data_field(tag: str, indicators: Indicators, subfields: list[Subfield]) -> Field:
    """A data field without `Field.__init__`'s argument juggling (the hot path of every harvest).

    Sets exactly the slots `Field.__init__` sets for a data field; `test_marc` checks the result
    equals a normally constructed field, so a pymarc upgrade that changes them fails a test.
    """
    field = _new_field(Field)
    field.tag = tag
    field._indicators = indicators
    field.subfields = subfields
    field.data = None
    field.control_field = False
    return field


_new_field = object.__new__


def element_to_data(element: etree._Element) -> MarcData:
    """Read a MARCXML/MarcXchange `record` element (any namespace) into `MarcData`.

    Hot path of every harvest (about as costly as the parse itself): tags are compared as
    whole strings in the record's own namespace instead of splitting each child's name,
    subfields are read by walking the children once (a tag-filtered iterator per field cost
    more than the filter), and the tuples are made with `tuple.__new__` to skip the
    NamedTuple constructor's Python frame.
    """
    tag = element.tag if isinstance(element.tag, str) else ""
    ns = tag[: tag.rfind("}") + 1]
    leader_tag, control_tag, data_tag, sub_tag = (
        ns + "leader",
        ns + "controlfield",
        ns + "datafield",
        ns + "subfield",
    )
    leader: str | None = None
    fields: list[ControlField | DataField] = []
    controls: dict[str, list[str]] = {}
    data: dict[str, list[DataField]] = {}
    for child in element:
        name = child.tag
        if name == data_tag:
            get = child.get
            field_tag = get("tag", "")
            if len(field_tag) != 3 or not field_tag.isalnum():
                raise RecordShapeError(f"ugyldig feltnummer {field_tag!r} i datafelt")
            subfields = []
            for sub in child:
                if sub.tag == sub_tag:
                    subfields.append((sub.get("code") or " ", sub.text or ""))
            field = _make(
                DataField,
                (
                    field_tag,
                    (get("ind1") or " ")[:1],
                    (get("ind2") or " ")[:1],
                    tuple(subfields),
                ),
            )
            fields.append(field)
            found = data.get(field_tag)
            if found is None:
                data[field_tag] = [field]
            else:
                found.append(field)
        elif name == control_tag:
            field_tag = child.get("tag", "")
            if len(field_tag) != 3 or not field_tag.isalnum():
                raise RecordShapeError(f"ugyldig feltnummer {field_tag!r} i kontrollfelt")
            value = child.text or ""
            fields.append(_make(ControlField, (field_tag, value)))
            values = controls.get(field_tag)
            if values is None:
                controls[field_tag] = [value]
            else:
                values.append(value)
        elif name == leader_tag:
            leader = child.text or ""
    if leader is None:
        raise RecordShapeError("posten mangler leader")
    if len(leader) != 24:
        raise RecordShapeError(f"leader har {len(leader)} tegn, ikke 24")
    if not fields:
        raise RecordShapeError("posten har ingen felt")
    return MarcData(leader, tuple(fields), controls, data)


_make = tuple.__new__


def read_element(element: etree._Element, position: int) -> ReadResult:
    """Turn one record element into a `MarcRecord`, or a `Quarantined` value with the reason."""
    raw = etree.tostring(element, encoding="utf-8")
    try:
        data = element_to_data(element)
    except RecordShapeError as exc:
        return Quarantined(
            reason=str(exc), raw=raw, ref=_xml_ref(element, position), position=position
        )
    return MarcRecord(data=data, raw=raw, raw_format="marcxml", position=position)


def _xml_ref(element: etree._Element, position: int) -> str:
    for child in element:
        if _local(child.tag) == "controlfield" and child.get("tag") == "001" and child.text:
            return child.text.strip()
    return f"#{position}"


def read_marcxml(stream: ByteSource) -> Iterator[ReadResult]:
    """Stream records from a MARCXML or MarcXchange document (`collection` or a single record)."""
    position = 0
    try:
        for _event, element in iterparse_safe(stream, RECORD_TAGS):
            position += 1
            yield read_element(element, position)
            release(element)
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        yield Quarantined(
            reason=f"ødelagt XML etter post {position} (linje {line}): {exc.msg}",
            raw=b"",
            ref=f"#{position + 1}",
            position=position + 1,
        )


def decode_iso2709(chunk: bytes, position: int) -> ReadResult:
    """Decode one ISO 2709 record (terminator included); leader/09 picks UTF-8 or MARC-8."""
    ref = _iso_ref(chunk, position)
    if len(chunk) < 25 or not chunk[:5].isdigit():
        return Quarantined("ugyldig postlengde i leader", chunk, ref, position)
    declared = int(chunk[:5])
    if declared != len(chunk):
        return Quarantined(
            f"leader oppgir {declared} byte, posten har {len(chunk)}", chunk, ref, position
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            record = pymarc.Record(data=chunk, to_unicode=True, utf8_handling="strict")
    except UnicodeDecodeError as exc:
        return Quarantined(f"ugyldig UTF-8 (leader/09 = a): {exc.reason}", chunk, ref, position)
    except (pymarc.exceptions.PymarcException, ValueError, IndexError) as exc:
        reason = f"{type(exc).__name__}: {exc}".rstrip(": ")
        return Quarantined(f"ødelagt ISO 2709-post ({reason})", chunk, ref, position)
    return MarcRecord(data=from_pymarc(record), raw=chunk, raw_format="iso2709", position=position)


def _iso_ref(chunk: bytes, position: int) -> str:
    """001 from the directory when it can be found cheaply, else the position in the file."""
    try:
        base = int(chunk[12:17])
        directory = chunk[24 : base - 1]
        for i in range(0, len(directory) - 11, 12):
            if directory[i : i + 3] == b"001":
                length, offset = int(directory[i + 3 : i + 7]), int(directory[i + 7 : i + 12])
                value = chunk[base + offset : base + offset + length - 1].decode("ascii").strip()
                if value:
                    return value
    except (ValueError, UnicodeDecodeError):
        pass
    return f"#{position}"


def read_iso2709(stream: ByteSource, chunk_size: int = 1 << 16) -> Iterator[ReadResult]:
    """Stream ISO 2709 records, split on the record terminator so one bad length cannot derail."""
    buffer = b""
    position = 0
    while True:
        block = stream.read(chunk_size)
        if not block:
            break
        buffer += block
        parts = buffer.split(RECORD_TERMINATOR)
        buffer = parts.pop()
        for part in parts:
            data = part.lstrip(b"\r\n")
            if not data:
                continue
            position += 1
            yield decode_iso2709(data + RECORD_TERMINATOR, position)
    rest = buffer.strip()
    if rest:
        position += 1
        yield Quarantined(
            "avkortet post: filen slutter uten postskilletegn", rest, f"#{position}", position
        )


def sniff(head: bytes) -> RawFormat | None:
    """Guess the format from the first bytes: XML (`<`) or ISO 2709 (five digits)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "marcxml"
    if len(text) >= 24 and text[:5].isdigit():
        return "iso2709"
    return None


def read_marc(stream: ByteSource) -> Iterator[ReadResult]:
    """Read MARCXML or ISO 2709, whichever the content is; raises `MarcError` for neither."""
    from adapters.errors import MarcError

    peekable = _Peek(stream)
    kind = sniff(peekable.head)
    if kind is None:
        raise MarcError("innholdet er verken MARCXML eller ISO 2709")
    log.debug("reading %s", kind)
    if kind == "marcxml":
        return read_marcxml(peekable)
    return read_iso2709(peekable)


class _Peek:
    """A read-only byte stream whose first bytes were already looked at."""

    def __init__(self, stream: ByteSource, size: int = 512) -> None:
        self._stream = stream
        self.head = stream.read(size)
        self._pending = self.head

    def read(self, size: int = -1) -> bytes:
        if self._pending:
            if size < 0:
                data, self._pending = self._pending + self._stream.read(), b""
                return data
            data, self._pending = self._pending[:size], self._pending[size:]
            return data
        return self._stream.read(size)
