"""Search keys: folding keeps æ/ø/å, stemming conflates bokmål forms, ISBNs in every form."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import ean
from stdnum import isbn as stdnum_isbn

from catalog.folding import (
    _compact,
    _ean13_check,
    _fold_char,
    _isbn10_check,
    fold,
    index_terms,
    index_text,
    isbn_forms,
    isbn_key,
    looks_like_isbn,
    words,
)


def test_fold_strips_accents_and_case_but_keeps_norwegian_letters() -> None:
    """é, ü and capitals fold; æ, ø and å stay themselves."""
    assert fold("Café Müller ÆØÅ æøå") == "cafe muller æøå æøå"


def test_swedish_and_german_umlauts_file_as_norwegian_letters() -> None:
    """ä and ö are alphabetised as æ and ø in Norwegian catalogues."""
    assert fold("Söderberg Hägg") == "søderberg hægg"


def test_words_split_on_punctuation_and_drop_underscores() -> None:
    """Hyphens, colons and underscores separate words."""
    assert words("Sult: roman_e-post") == ["sult", "roman", "e", "post"]


@pytest.mark.parametrize(("form", "stem"), [("bøker", "bok"), ("bøkene", "bok"), ("boka", "bok")])
def test_book_forms_share_the_stem_of_bok(form: str, stem: str) -> None:
    """Umlaut plurals reach the singular's stem, which Snowball alone would not."""
    assert index_terms(form) == index_terms("bok") == [stem]


def test_o_and_ø_stay_different_words_after_stemming() -> None:
    """ "sor" and "sør" never become the same token."""
    assert index_terms("sør") != index_terms("sor")


@pytest.mark.parametrize(
    "typed", ["978-82-03-19353-8", "9788203193538", "82-03-19353-6", "8203193536", "82 03 19353 6"]
)
def test_an_isbn_typed_any_way_has_one_key(typed: str) -> None:
    """10 or 13 digits, hyphens or spaces: the same ISBN-13 key."""
    assert looks_like_isbn(typed)
    assert isbn_key(typed) == "9788203193538"


def test_invalid_isbn_has_no_key_but_is_still_indexed_as_catalogued() -> None:
    """A wrong check digit gives no key; the catalogued digits are still indexed."""
    assert isbn_key("9788203193539") is None
    assert isbn_forms("9788203193539 (ib.)") == ["9788203193539"]


def test_isbn_forms_include_both_lengths() -> None:
    """A catalogued ISBN-10 is indexed as ISBN-13 and ISBN-10."""
    assert isbn_forms("82-03-19353-6 (h.)") == ["9788203193538", "8203193536"]


@settings(max_examples=300)
@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.sampled_from(["978", "979"]))
def test_isbn_key_agrees_with_python_stdnum(body: str, prefix: str) -> None:
    """Our fast path gives python-stdnum's verdict and ISBN-13 for valid and corrupted ISBNs."""
    isbn13 = stdnum_isbn.to_isbn13(prefix + body + ean.calc_check_digit(prefix + body))
    compact = isbn13.replace("-", "")
    assert isbn_key(compact) == compact
    if prefix == "978":
        assert isbn_key(stdnum_isbn.to_isbn10(compact)) == compact
    corrupted = compact[:-1] + str((int(compact[-1]) + 1) % 10)
    assert isbn_key(corrupted) is None and not stdnum_isbn.is_valid(corrupted)


@settings(max_examples=300)
@given(st.text())
def test_fold_is_the_character_by_character_fold(text: str) -> None:
    """The translate table folds exactly as `_fold_char` does, one character at a time."""
    assert fold(text) == "".join(_fold_char(c) for c in text.casefold())
    assert index_text(text) == " ".join(index_terms(text))


@settings(max_examples=300)
@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_ean13_check_digit_agrees_with_python_stdnum(body: str) -> None:
    """Our EAN-13 check digit is python-stdnum's."""
    assert _ean13_check(body) == ean.calc_check_digit(body)


@settings(max_examples=300)
@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_isbn10_check_digit_agrees_with_python_stdnum(body: str) -> None:
    """Our ISBN-10 check character is the one python-stdnum accepts, and the only one."""
    check = _isbn10_check(body)
    assert stdnum_isbn.is_valid(body + check)
    assert not any(stdnum_isbn.is_valid(body + c) for c in "0123456789X" if c != check)


@pytest.mark.parametrize("typed", ["٨٢٠٣١٩٣٥٣٦", "82-03-19353-6²", "978 82 03 19353 8 (ib.)"])
def test_isbn_cleaning_keeps_any_unicode_digit(typed: str) -> None:
    """Non-ASCII digits count as digits (`str.isdigit`), as they always did."""
    assert _compact(typed) == "".join(c for c in typed if c.isdigit() or c in "Xx").upper()
