"""pymarc.Record → BibRecord: the bibliographic fields matching and search need, as catalogued.

Values are taken as the cataloguer typed them, only stripped of the ISBD punctuation that MARC
puts at the end of subfields (" /", " :", " ;", ","), because matching must be able to explain
itself in terms of the record. Normalisation (ISBN-10 → 13, case folding) is the catalogue's job.

A record without a control number (001) or without a title (245) is not a bibliographic record
bokflyt can keep: `to_bib` raises `NotBibliographic` and the caller quarantines it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pymarc

from catalog.records import BibRecord, Item

_TRAILING = re.compile(r"[\s/:;,=]+$")
_YEAR = re.compile(r"(1[0-9]{3}|20[0-9]{2})")


class NotBibliographic(ValueError):
    """The record lacks what every bibliographic record has (001, 245)."""


class _Fields:
    """The record's fields by tag, built once: pymarc's `get_fields` scans every field per call."""

    def __init__(self, record: pymarc.Record) -> None:
        self.by_tag: dict[str, list[pymarc.Field]] = {}
        for fld in record.fields:
            self.by_tag.setdefault(fld.tag, []).append(fld)

    def get_fields(self, *tags: str) -> list[pymarc.Field]:
        if len(tags) == 1:
            return self.by_tag.get(tags[0], [])
        return [f for tag in tags for f in self.by_tag.get(tag, [])]

    def get(self, tag: str) -> pymarc.Field | None:
        found = self.by_tag.get(tag)
        return found[0] if found else None

    def starting_with(self, digit: str) -> list[pymarc.Field]:
        return [f for tag in sorted(self.by_tag) if tag[0] == digit for f in self.by_tag[tag]]


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    text = _TRAILING.sub("", value.strip())
    if text.endswith(".") and not text.endswith(("..", " .")) and len(text) > 2:
        # a closing period is punctuation unless it ends an abbreviation like "red." or "utg."
        last_word = text.rsplit(" ", 1)[-1]
        if len(last_word) > 4:
            text = text[:-1]
    return text or None


def _first(record: _Fields, tag: str, code: str) -> str | None:
    for field in record.get_fields(tag):
        for value in field.get_subfields(code):
            cleaned = _clean(value)
            if cleaned:
                return cleaned
    return None


def _all(record: _Fields, tags: Iterable[str], code: str) -> tuple[str, ...]:
    values: list[str] = []
    for field in record.get_fields(*tags):
        for value in field.get_subfields(code):
            cleaned = _clean(value)
            if cleaned and cleaned not in values:
                values.append(cleaned)
    return tuple(values)


def _joined(field: pymarc.Field, codes: str) -> str | None:
    parts = [v.strip() for sub in field.subfields if sub.code in codes for v in [sub.value] if v]
    return _clean(" ".join(parts)) if parts else None


def _name(field: pymarc.Field) -> str | None:
    codes = "abcdq" if field.tag.endswith("00") else "abcdn"
    return _joined(field, codes)


def _isbn(value: str) -> str | None:
    """The ISBN part of 020 $a, which often carries a qualifier: "82-05-12345-6 (ib.)"."""
    token = value.strip().split(" ", 1)[0].rstrip(":;,.")
    return token or None


def _year(record: _Fields, fixed: str | None) -> int | None:
    if fixed and len(fixed) >= 11 and fixed[7:11].isdigit():
        return int(fixed[7:11])
    for field in record.get_fields("264", "260"):
        for value in field.get_subfields("c"):
            match = _YEAR.search(value)
            if match:
                return int(match.group(1))
    return None


def _language(fixed: str | None, record: _Fields) -> str | None:
    if fixed and len(fixed) >= 38:
        code = fixed[35:38].strip().lower()
        if code and code not in ("|||", "und", "   ") and code.isalpha():
            return code
    value = _first(record, "041", "a")
    return value[:3].lower() if value else None


def _types(record: _Fields, tag: str) -> tuple[str, ...]:
    values: list[str] = []
    for field in record.get_fields(tag):
        names = field.get_subfields("a") or field.get_subfields("b")
        for value in names:
            cleaned = _clean(value)
            if cleaned and cleaned not in values:
                values.append(cleaned)
    return tuple(values)


def _publication(record: _Fields) -> tuple[str | None, str | None]:
    """Publisher and place, preferring 264 with indicator 2 = 1 (publication) over 260."""
    fields = [f for f in record.get_fields("264") if f.indicator2 == "1"]
    fields += record.get_fields("260")
    for field in fields:
        publisher = next((c for v in field.get_subfields("b") if (c := _clean(v))), None)
        place = next((c for v in field.get_subfields("a") if (c := _clean(v))), None)
        if publisher or place:
            return publisher, place
    return None, None


def to_bib(marc: pymarc.Record, source: str, items: tuple[Item, ...] = ()) -> BibRecord:
    """Map one MARC 21 / NORMARC record onto `BibRecord`; raises `NotBibliographic`."""
    record = _Fields(marc)
    control = record.get("001")
    record_id = control.data.strip() if control is not None and control.data else ""
    if not record_id:
        raise NotBibliographic("posten mangler kontrollnummer (001)")
    title_field = record.get("245")
    title = _first(record, "245", "a") if title_field is not None else None
    if title_field is None or title is None:
        raise NotBibliographic("posten mangler tittel (245 $a)")
    fixed_field = record.get("008")
    fixed = fixed_field.data if fixed_field is not None else None
    main = next((f for f in record.get_fields("100", "110", "111")), None)
    others = tuple(n for f in record.get_fields("700", "710", "711") if (n := _name(f)) is not None)
    isbns = tuple(i for v in _all(record, ("020",), "a") if (i := _isbn(v)) is not None)
    other_ids = tuple(
        f"{(f.get('2') or f.indicator1).strip()}:{a}"
        for f in record.get_fields("024")
        for a in f.get_subfields("a")
        if a.strip()
    )
    publisher, place = _publication(record)
    modified = record.get("005")
    leader = str(marc.leader)
    return BibRecord(
        source=source,
        record_id=record_id[:64],
        title=title,
        subtitle=_first(record, "245", "b"),
        part_number=_first(record, "245", "n"),
        part_name=_first(record, "245", "p"),
        responsibility=_first(record, "245", "c"),
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
        physical=tuple(f.data for f in record.get_fields("007") if f.data),
        content_types=_types(record, "336"),
        media_types=_types(record, "337"),
        carrier_types=_types(record, "338"),
        fixed_008=fixed,
        series=_all(record, ("490", "830", "440"), "a"),
        subjects=tuple(
            s for f in record.starting_with("6") if (s := _joined(f, "abvxyz")) is not None
        ),
        modified=modified.data.strip() if modified is not None and modified.data else None,
        items=items,
    )
