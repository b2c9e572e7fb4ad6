"""MARC record → BibRecord: the bibliographic fields matching and search need, as catalogued.

Values are taken as the cataloguer typed them, only stripped of the ISBD punctuation that MARC
puts at the end of subfields (" /", " :", " ;", ","), because matching must be able to explain
itself in terms of the record. Normalisation (ISBN-10 → 13, case folding) is the catalogue's job.

The mapping reads `adapters.marc.MarcData` (plain tuples straight from the XML); a
`pymarc.Record` (ISO 2709, tests) is accepted and converted once at the boundary.

A record without a control number (001) or without a title (245) is not a bibliographic record
bokflyt can keep: `to_bib` raises `NotBibliographic` and the caller quarantines it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pymarc

from adapters.marc import DataField, MarcData, as_data
from catalog.records import BibRecord, Item

_TRAILING = re.compile(r"[\s/:;,=]+$")
_YEAR = re.compile(r"(1[0-9]{3}|20[0-9]{2})")


class NotBibliographic(ValueError):
    """The record lacks what every bibliographic record has (001, 245)."""


_NEEDS_WORK = frozenset("/:;,=.")  # the last characters after which `_clean` has anything to do


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not text or text[-1] not in _NEEDS_WORK:
        return text or None  # most values: nothing to strip (checked before the regex, for speed)
    text = _TRAILING.sub("", text)
    if text.endswith(".") and not text.endswith(("..", " .")) and len(text) > 2:
        # a closing period is punctuation unless it ends an abbreviation like "red." or "utg."
        last_word = text.rsplit(" ", 1)[-1]
        if len(last_word) > 4:
            text = text[:-1]
    return text or None


def _first(record: MarcData, tag: str, code: str) -> str | None:
    for field in record.data.get(tag, ()):
        for sub_code, value in field.subfields:
            if sub_code == code:
                cleaned = _clean(value)
                if cleaned:
                    return cleaned
    return None


def _firsts(record: MarcData, tag: str, codes: frozenset[str]) -> dict[str, str]:
    """`_first` for several codes of one tag in one pass over its subfields (245 needs five)."""
    found: dict[str, str] = {}
    for field in record.data.get(tag, ()):
        for code, value in field.subfields:
            if code in codes and code not in found:
                cleaned = _clean(value)
                if cleaned:
                    found[code] = cleaned
    return found


_TITLE_CODES = frozenset("abnpc")


def _all(record: MarcData, tags: Iterable[str], code: str) -> tuple[str, ...]:
    values: list[str] = []
    data = record.data
    for tag in tags:
        for field in data.get(tag, ()):
            for sub_code, value in field.subfields:
                if sub_code == code:
                    cleaned = _clean(value)
                    if cleaned and cleaned not in values:
                        values.append(cleaned)
    return tuple(values)


def _joined(field: DataField, codes: str) -> str | None:
    parts = [value.strip() for code, value in field.subfields if code in codes and value]
    return _clean(" ".join(parts)) if parts else None


def _name(field: DataField) -> str | None:
    codes = "abcdq" if field.tag.endswith("00") else "abcdn"
    return _joined(field, codes)


def _isbn(value: str) -> str | None:
    """The ISBN part of 020 $a, which often carries a qualifier: "82-05-12345-6 (ib.)"."""
    token = value.strip().split(" ", 1)[0].rstrip(":;,.")
    return token or None


def _year(record: MarcData, fixed: str | None) -> int | None:
    if fixed and len(fixed) >= 11 and fixed[7:11].isdigit():
        return int(fixed[7:11])
    for field in record.get_fields("264", "260"):
        for value in field.values("c"):
            match = _YEAR.search(value)
            if match:
                return int(match.group(1))
    return None


def _language(fixed: str | None, record: MarcData) -> str | None:
    if fixed and len(fixed) >= 38:
        code = fixed[35:38].strip().lower()
        if code and code not in ("|||", "und", "   ") and code.isalpha():
            return code
    value = _first(record, "041", "a")
    return value[:3].lower() if value else None


def _types(record: MarcData, tag: str) -> tuple[str, ...]:
    values: list[str] = []
    for field in record.data.get(tag, ()):
        names = field.values("a") or field.values("b")
        for value in names:
            cleaned = _clean(value)
            if cleaned and cleaned not in values:
                values.append(cleaned)
    return tuple(values)


def _publication(record: MarcData) -> tuple[str | None, str | None]:
    """Publisher and place, preferring 264 with indicator 2 = 1 (publication) over 260."""
    fields = [f for f in record.get_fields("264") if f.ind2 == "1"]
    fields += record.get_fields("260")
    for field in fields:
        publisher = next((c for v in field.values("b") if (c := _clean(v))), None)
        place = next((c for v in field.values("a") if (c := _clean(v))), None)
        if publisher or place:
            return publisher, place
    return None, None


def _subjects(record: MarcData) -> tuple[str, ...]:
    """6XX headings, tags in ascending order, fields in record order within a tag."""
    tags = sorted(tag for tag in record.data if tag[:1] == "6")
    return tuple(
        s for tag in tags for f in record.data[tag] if (s := _joined(f, "abvxyz")) is not None
    )


_MAIN_TAGS = ("100", "110", "111")
_ADDED_TAGS = ("700", "710", "711")


def to_bib(marc: MarcData | pymarc.Record, source: str, items: tuple[Item, ...] = ()) -> BibRecord:
    """Map one MARC 21 / NORMARC record onto `BibRecord`; raises `NotBibliographic`."""
    record = as_data(marc)
    record_id = (record.control("001") or "").strip()
    if not record_id:
        raise NotBibliographic("posten mangler kontrollnummer (001)")
    title_parts = _firsts(record, "245", _TITLE_CODES)
    title = title_parts.get("a")
    if title is None:
        raise NotBibliographic("posten mangler tittel (245 $a)")
    fixed = record.control("008")
    data = record.data
    main = next((f for tag in _MAIN_TAGS for f in data.get(tag, ())), None)
    others = tuple(
        [n for tag in _ADDED_TAGS for f in data.get(tag, ()) if (n := _name(f)) is not None]
    )
    isbns = tuple(i for v in _all(record, ("020",), "a") if (i := _isbn(v)) is not None)
    other_ids = tuple(
        f"{(f.get('2') or f.ind1).strip()}:{a}"
        for f in record.get_fields("024")
        for a in f.values("a")
        if a.strip()
    )
    publisher, place = _publication(record)
    modified = record.control("005")
    leader = record.leader
    return BibRecord(
        source=source,
        record_id=record_id[:64],
        title=title,
        subtitle=title_parts.get("b"),
        part_number=title_parts.get("n"),
        part_name=title_parts.get("p"),
        responsibility=title_parts.get("c"),
        main_author=_name(main) if main is not None else None,
        other_authors=others,
        isbns=isbns,
        issns=_all(record, ("022",), "a"),
        other_identifiers=other_ids,
        edition=_first(record, "250", "a"),
        publisher=publisher,
        place=place,
        year=_year(record, fixed),
        extent=_first(record, "300", "a"),
        language=_language(fixed, record),
        record_type=leader[6] if len(leader) > 6 else "a",
        bib_level=leader[7] if len(leader) > 7 else "m",
        physical=tuple(v for v in record.controls.get("007", ()) if v),
        content_types=_types(record, "336"),
        media_types=_types(record, "337"),
        carrier_types=_types(record, "338"),
        fixed_008=fixed,
        series=_all(record, ("490", "830", "440"), "a"),
        subjects=_subjects(record),
        modified=modified.strip() if modified else None,
        items=items,
    )
