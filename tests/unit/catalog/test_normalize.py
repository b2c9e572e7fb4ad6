"""Tests for catalog.normalize: letters, titles, names, identifiers, editions, formats."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import ean, isbn

from catalog.match import names_compatible
from catalog.normalize import (
    Format,
    derive_format,
    fold,
    normalize_author,
    normalize_ean,
    normalize_edition,
    normalize_isbn,
    normalize_issn,
    normalize_part,
    normalize_publisher,
    normalize_text,
    pages,
    split_part_from_title,
    split_title,
)

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@given(texts)
def test_normalize_text_is_idempotent(s: str) -> None:
    """Normalising twice gives the same as normalising once."""
    once = normalize_text(s)
    assert normalize_text(once) == once


@given(texts)
def test_normalize_text_ignores_case(s: str) -> None:
    """Upper- and lower-case spellings normalise alike."""
    assert (
        normalize_text(s.upper()) == normalize_text(s.lower())
        or "ß" in s.lower()
        or any(len(c.upper()) != 1 or len(c.lower()) != 1 for c in s)
    )


@given(st.sampled_from(["å", "ø", "æ", "Å", "Ø", "Æ"]), st.text("abcdefg ", max_size=8))
def test_norwegian_letters_survive(letter: str, rest: str) -> None:
    """å, ø and æ stay letters of their own after normalisation (never a, o, ae)."""
    out = normalize_text(rest + letter + rest)
    assert letter.lower() in out


@pytest.mark.parametrize(
    ("a", "b"),
    [("Bår", "Bar"), ("Sør", "Sor"), ("Ærlig", "Aerlig"), ("Blåbær", "Blabaer"), ("ål", "al")],
)
def test_norwegian_letters_stay_distinct(a: str, b: str) -> None:
    """Words that differ only in å/ø/æ versus a/o/ae normalise differently."""
    assert normalize_text(a) != normalize_text(b)


def test_accents_fold_but_ring_stays() -> None:
    """Accents are removed (é → e), ä/ö fold to æ/ø, decomposed å stays å."""
    assert fold("Café") == "cafe"
    assert fold("Björn") == fold("Bjørn")
    assert fold("a\u030a") == "å"
    assert normalize_text("ＳＵＬＴ!") == "sult"


@pytest.mark.parametrize(
    ("title", "subtitle", "expected"),
    [
        ("Sult", "roman", ("sult", "roman")),
        ("Sult : roman", None, ("sult", "roman")),
        ("SULT : ROMAN /", None, ("sult", "roman")),
        ("Sult [Lydopptak]", None, ("sult", "")),
        ("Sult", None, ("sult", "")),
    ],
)
def test_split_title_treats_subtitle_in_b_and_in_a_alike(
    title: str, subtitle: str | None, expected: tuple[str, str]
) -> None:
    """A subtitle in $b and one keyed into $a after " : " give the same (main, sub)."""
    assert split_title(title, subtitle) == expected


@pytest.mark.parametrize(
    ("raw", "title", "part"),
    [
        ("Isfolket. Bd. 3", "Isfolket", "3"),
        ("Isfolket, del 2", "Isfolket", "2"),
        ("Isfolket. III", "Isfolket", "3"),
        ("Catch-22", "Catch-22", None),
        ("Sult", "Sult", None),
    ],
)
def test_part_keyed_into_title_is_split_off(raw: str, title: str, part: str | None) -> None:
    """A volume number typed into the title is recognised; a number that is the title is not."""
    assert split_part_from_title(raw) == (title, part)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Bd. 2", "2"), ("2", "2"), ("II", "2"), ("Andre del", "2"), ("Del 10", "10"), (None, None)],
)
def test_normalize_part(raw: str | None, expected: str | None) -> None:
    """Part numbers in digits, roman numerals or words compare equal."""
    assert normalize_part(raw) == expected


isbn_bodies = st.integers(min_value=0, max_value=99_999_999).map(lambda n: f"9788{n:08d}")


@given(isbn_bodies, st.sampled_from(["", " (ib.)", " (h.)", " ib.", " (pbk.)"]))
def test_isbn_10_and_13_forms_meet(body: str, qualifier: str) -> None:
    """ISBN-10 and ISBN-13, with or without hyphens and qualifiers, normalise to one value."""
    isbn13 = body + ean.calc_check_digit(body)
    isbn10 = isbn.to_isbn10(isbn13)
    forms = [isbn13, isbn.format(isbn13), isbn10, isbn.format(isbn10)]
    assert {normalize_isbn(f + qualifier) for f in forms} == {isbn13}


@given(isbn_bodies)
def test_isbn_with_wrong_check_digit_is_dropped(body: str) -> None:
    """A mistyped check digit makes the ISBN unusable rather than guessed at."""
    good = ean.calc_check_digit(body)
    bad = str((int(good) + 1) % 10)
    assert normalize_isbn(body + bad) is None


def test_issn_and_ean() -> None:
    """ISSN and EAN/ISMN are validated by python-stdnum and typed."""
    assert normalize_issn("ISSN 0378-5955") == "03785955"
    assert normalize_issn("0378-5956") is None
    assert normalize_ean("4006381333931") == "ean:4006381333931"
    assert normalize_ean("M-2600-0043-8") == normalize_ean("979-0-2600-0043-8")


surnames = st.sampled_from(
    ["Nesbø", "Ragde", "Ørstavik", "Åsheim", "Kjærstad", "Saabye Christensen"]
)
forenames = st.sampled_from(["Jo", "Anne B.", "Hanne", "Lars", "Åse Marie"])


@given(surnames, forenames, st.integers(1900, 2000))
def test_author_forms_meet(surname: str, given_name: str, born: int) -> None:
    """Inverted, with dates in any style, upper case and direct order name the same person."""
    forms = [
        f"{surname}, {given_name}",
        f"{surname}, {given_name}, {born}-",
        f"{surname.upper()}, {given_name.upper()} ({born}-)",
        f"{surname}, {given_name}, f. {born}",
        f"{given_name} {surname}",
    ]
    names = [normalize_author(f) for f in forms]
    assert all(n is not None for n in names)
    for a in names:
        for b in names:
            assert names_compatible(a, b)  # type: ignore[arg-type]
    assert {n.born for n in names[1:4]} == {born}  # type: ignore[union-attr]


@given(surnames, forenames, st.integers(1900, 1990), st.integers(1, 30))
def test_homonyms_told_apart_by_birth_year(
    surname: str, given_name: str, born: int, gap: int
) -> None:
    """One name with two different birth years is two people."""
    a = normalize_author(f"{surname}, {given_name}, {born}-")
    b = normalize_author(f"{surname}, {given_name}, {born + gap}-")
    assert a is not None and b is not None and not names_compatible(a, b)


def test_author_relator_terms_dropped() -> None:
    """Relator terms after the name are not part of it."""
    assert normalize_author("Nesbø, Jo, 1960-, forfatter") == normalize_author("Nesbø, Jo, 1960-")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2. utg.", "2"),
        ("2nd ed.", "2"),
        ("Andre utgave", "2"),
        ("2. utgave", "2"),
        ("3. utg., 2. oppl.", "3"),
        ("1. utg.", "1"),
        ("Revidert utg.", "revidert"),
        (None, None),
    ],
)
def test_normalize_edition(raw: str | None, expected: str | None) -> None:
    """Edition statements in numbers, ordinals and English meet; printings are ignored."""
    assert normalize_edition(raw) == expected


def test_publisher_noise_removed() -> None:
    """Forms of one publisher's name reduce to its distinctive words."""
    assert normalize_publisher("Gyldendal Norsk Forlag AS") == normalize_publisher("Gyldendal")


def test_pages() -> None:
    """The page count is read from common extent forms."""
    assert pages("XII, 315 s. : ill.") == 315
    assert pages("[315] s.") == 315
    assert pages("1 online ressurs (315 sider)") == 315
    assert pages("9 CD (11 t.)") is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("a", "m", (), (), (), (), None), Format.BOOK),
        (("a", "m", ("tb",), (), (), (), None), Format.LARGE_PRINT),
        (("a", "m", (), (), (), (), "d"), Format.LARGE_PRINT),
        (("a", "m", ("cr",), ("tekst",), ("datamaskin",), ("online ressurs",), "o"), Format.EBOOK),
        (("i", "m", ("sd f",), ("talt ord",), ("audio",), ("lydplate",), None), Format.AUDIOBOOK),
        (
            ("i", "m", ("cr",), ("talt ord",), (), ("online ressurs",), None),
            Format.AUDIOBOOK_ONLINE,
        ),
        (("j", "m", ("sd",), (), (), (), None), Format.MUSIC),
        (("g", "m", ("vd",), (), (), (), None), Format.FILM),
        (("a", "s", (), (), (), (), None), Format.SERIAL),
    ],
)
def test_derive_format(args: tuple, expected: Format) -> None:  # type: ignore[type-arg]
    """Leader/06, 007, 336-338 and 008/23 give the format."""
    assert derive_format(*args) is expected


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Saabye Christensen, Lars, 1953-", ("saabye christensen", ("lars",), 1953)),
        ("Nesbø, Jo (1960-), forfatter", ("nesbø", ("jo",), 1960)),
        ("Ragde, Anne B., f. 1957", ("ragde", ("anne", "b"), 1957)),
        ("Anne-Cath. Vestly", ("vestly", ("anne", "cath"), None)),
        ("Ibsen, Henrik, 1828-1906, Johan", ("ibsen", ("henrik", "johan"), 1828)),
    ],
)
def test_author_segments_normalised_one_at_a_time(
    heading: str, expected: tuple[str, tuple[str, ...], int | None]
) -> None:
    """Normalising each name segment on its own gives the tokens the joined heading gave."""
    assert tuple(normalize_author(heading) or ()) == expected
