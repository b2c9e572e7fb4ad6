"""Search documents built from member records: pure, no database (they sit beside the index)."""

from __future__ import annotations

from datetime import date

import pytest

from catalog.records import BibRecord, ItemStatus
from catalog.search_index import (
    ItemState,
    build_document,
    call_number_audience,
    facet_key,
    record_audience,
    record_format,
    summarise,
    year_bucket,
)


def _bib(**fields: object) -> BibRecord:
    return BibRecord(source="public", record_id="1", title="Sult", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "book"),
        ({"physical": ("cr",)}, "ebook"),
        ({"carrier_types": ("online ressurs",)}, "ebook"),
        ({"record_type": "i"}, "audiobook"),
        ({"record_type": "g"}, "film"),
        ({"record_type": "e"}, "map"),
        ({"record_type": "p"}, "other"),
    ],
)
def test_format_from_leader_007_and_338(fields: dict[str, object], expected: str) -> None:
    """Leader/06, 007 and carrier type decide the format facet."""
    assert record_format(_bib(**fields)) == expected


def test_audience_prefers_008_over_call_numbers() -> None:
    """008/22 'j' is children even on an adult shelf; 'd' is young adults."""
    assert record_audience(_bib(fixed_008=" " * 22 + "j"), ["839.82 Ham"]) == "children"
    assert record_audience(_bib(fixed_008=" " * 22 + "d")) == "young"


def test_audience_from_call_numbers_when_008_is_blank() -> None:
    """Without a coded audience the shelving prefix decides; no clue means unknown."""
    assert (
        record_audience(_bib(fixed_008=" " * 40), ["B 839 Ham", "B 839 Ham", "839"]) == "children"
    )
    assert record_audience(_bib()) == "unknown"
    assert call_number_audience("Ungdom 839.82") == "young"
    assert call_number_audience("Bok 839") is None


def test_summarise_counts_per_site_and_drops_lost_copies() -> None:
    """Shelf, loan (earliest due date), transit per site; lost and unknown-site copies vanish."""
    copies = summarise(
        [
            ItemState(1, ItemStatus.ON_SHELF),
            ItemState(1, ItemStatus.ON_LOAN, date(2026, 12, 9)),
            ItemState(1, ItemStatus.ON_LOAN, date(2026, 12, 3)),
            ItemState(2, ItemStatus.AWAITING_TRANSFER),
            ItemState(2, ItemStatus.LOST),
            ItemState(None, ItemStatus.ON_SHELF),
        ]
    )
    assert [
        (a.site_id, a.copies, a.on_shelf, a.on_loan, a.in_transit, a.next_due) for a in copies
    ] == [
        (1, 3, 1, 2, 0, date(2026, 12, 3)),
        (2, 1, 0, 0, 1, None),
    ]


def test_document_merges_members() -> None:
    """Names, ISBNs (both lengths) and titles of all members; the richest member leads."""
    plain = _bib(main_author="Hamsun, Knut", isbns=("82-03-19353-6",))
    rich = BibRecord(
        source="school",
        record_id="9",
        title="Sult",
        subtitle="roman",
        main_author="Knut Hamsun",
        isbns=("9788203193538",),
        year=1890,
    )
    doc = build_document("c1", [plain, rich], [])
    assert doc.display["subtitle"] == "roman" and doc.year == 1890
    assert doc.isbn_keys == ("9788203193538",)
    assert "8203193536" in doc.other and "9788203193538" in doc.other
    assert doc.display["authors"] == ["Knut Hamsun"]
    assert doc.title_key == "sult"


def test_document_needs_a_member() -> None:
    """A cluster without live members has no document (refresh deletes it instead)."""
    with pytest.raises(ValueError):
        build_document("c1", [], [])


@pytest.mark.parametrize(
    ("year", "bucket"),
    [
        (None, ""),
        (1066, "-1899"),
        (1899, "-1899"),
        (1900, "1900-1949"),
        (2009, "2000-2009"),
        (2019, "2010-2019"),
        (2020, "2020-"),
        (2031, "2020-"),
    ],
)
def test_year_buckets_cover_every_year(year: int | None, bucket: str) -> None:
    """Bucket edges are inclusive, the ends are open, an unknown year has no bucket."""
    assert year_bucket(year) == bucket


def test_facet_key_keeps_a_strange_language_code_whole() -> None:
    """The language comes last in the key, so even a code with "|" in it splits back intact."""
    key = facet_key("book", "adult", 1890, "n|b")
    assert key == "book|adult|-1899|n|b"
    assert key.split("|", 3) == ["book", "adult", "-1899", "n|b"]
    assert facet_key("film", "unknown", None, None) == "film|unknown||"


def test_audience_tie_goes_to_the_first_seen() -> None:
    """Equal votes: the audience whose call number came first wins (as Counter.most_common)."""
    assert record_audience(_bib(), ["U 839", "B 839", "B 840", "U 841"]) == "young"
    assert record_audience(_bib(), ["839", "B 839", "U 841", "U 842"]) == "young"


def test_document_writes_a_name_once_whatever_its_spelling() -> None:
    """Names and titles that differ only in case, spacing or inversion are written once, the
    first spelling kept; blank values are left out."""
    record = _bib(
        subtitle="roman",
        main_author="Hamsun, Knut",
        other_authors=("Knut  Hamsun", " ", "hamsun, knut", "Ibsen, Henrik"),
        subjects=("Sult", " sult ", "Norge"),
    )
    doc = build_document("c1", [record], [])
    assert doc.title == "Sult roman"
    assert doc.display["authors"] == ["Hamsun, Knut", "Ibsen, Henrik"]
    assert doc.display["subjects"] == ["Sult", "Norge"]
    twice = build_document("c1", [record, record], [])
    assert (twice.title, twice.authors, twice.subjects) == (doc.title, doc.authors, doc.subjects)
