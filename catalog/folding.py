"""Search keys: Norwegian-aware folding, bokmål stemming and ISBN forms, as pure functions.

Both engines see the same words: the index and the query are folded here in Python before
either engine stems them, so SQLite (FTS5 fed with Snowball-stemmed tokens) and PostgreSQL
(`to_tsvector` with the Norwegian Snowball stemmer) agree on what a word is.

Folding lowercases and strips accents (é→e, ü→u) but keeps æ, ø and å as letters of their own:
"sør" and "sor" are different words to a Norwegian reader. Swedish/German ä and ö are filed as
æ and ø, as Norwegian catalogues alphabetise them. The Snowball stemmer does not know umlaut
plurals ("bøker" stems to "bøk", "bok" to "bok"), so a small table maps those irregular forms
to their singular before stemming.
"""

from __future__ import annotations

import functools
import operator
import re
import unicodedata
from typing import Any

import snowballstemmer

_KEEP = {"æ": "æ", "ø": "ø", "å": "å", "ä": "æ", "ö": "ø"}
_WORD = re.compile(r"[^\W_]+")
_ISBN10_WEIGHTS = range(10, 1, -1)
_NOT_ISBN_CHAR = re.compile(r"[^0-9Xx]")
_ISBN_SHAPE = re.compile(r"^(?:97[89][- ]?)?(?:\d[- ]?){9}[\dXx]$")

# Bokmål nouns whose plural changes the vowel; Snowball strips endings but cannot undo umlaut.
IRREGULAR: dict[str, str] = {
    "bøker": "bok",
    "bøkene": "bok",
    "menn": "mann",
    "mennene": "mann",
    "føtter": "fot",
    "føttene": "fot",
    "hender": "hånd",
    "hendene": "hånd",
    "netter": "natt",
    "nettene": "natt",
    "tenner": "tann",
    "tennene": "tann",
    "bønder": "bonde",
    "bøndene": "bonde",
    "brødre": "bror",
    "brødrene": "bror",
    "døtre": "datter",
    "døtrene": "datter",
    "mødre": "mor",
    "mødrene": "mor",
    "fedre": "far",
    "fedrene": "far",
    "søstre": "søster",
    "søstrene": "søster",
    "strender": "strand",
    "strendene": "strand",
    "tær": "tå",
    "tærne": "tå",
    "røtter": "rot",
    "røttene": "rot",
    "stenger": "stang",
    "stengene": "stang",
    "render": "rand",
    "kyr": "ku",
    "kyrne": "ku",
    "gjess": "gås",
}


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in _KEEP:
        return _KEEP[char]
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _FoldTable(dict[int, str]):
    """`str.translate` table of `_fold_char`, filled as characters are first met: one C call
    per text instead of a generator calling `_fold_char` per character (over half of the
    benchmark catalogue's texts have a non-ASCII letter). Bounded like `_fold_char`'s cache."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(self) < 65_536:
            self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """`text` lowercased with accents removed, æ/ø/å kept (and ä/ö filed as æ/ø)."""
    lowered = text.casefold()
    if lowered.isascii():
        return lowered
    return lowered.translate(_FOLD_TABLE)


def words(text: str) -> list[str]:
    """The folded words of `text`, irregular plurals mapped to their singular, unstemmed."""
    irregular = IRREGULAR.get
    return [irregular(w, w) for w in _WORD.findall(fold(text))]


@functools.cache
def _stemmer() -> Any:
    """Snowball Norwegian (PyStemmer's C implementation when installed), made on first use."""
    return snowballstemmer.stemmer("norwegian")


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball Norwegian stem of one folded word (as PostgreSQL's `norwegian` makes it)."""
    return str(_stemmer().stemWord(word))


def index_terms(text: str) -> list[str]:
    """Folded, stemmed tokens of `text`: what SQLite's FTS5 indexes and matches."""
    irregular = IRREGULAR.get
    return [stem(irregular(w, w)) for w in _WORD.findall(fold(text))]


@functools.lru_cache(maxsize=65_536)
def index_text(text: str) -> str:
    """`index_terms(text)` joined by spaces, remembered: for fields whose values recur from
    record to record (authors, subject headings), where most calls are repeats."""
    return " ".join(index_terms(text))


def folded_text(text: str) -> str:
    """`words(text)` joined by spaces: what PostgreSQL's `to_tsvector` is fed."""
    return " ".join(words(text))


def looks_like_isbn(text: str) -> bool:
    """True for 10 or 13 digits (last may be X), with or without hyphens or spaces."""
    return bool(_ISBN_SHAPE.match(text.strip()))


def _isbn10_check(body: str) -> str:
    """The ISBN-10 check character of nine digits (weights 10..2, modulo 11)."""
    remainder = (11 - sum(map(operator.mul, _ISBN10_WEIGHTS, map(int, body))) % 11) % 11
    return "X" if remainder == 10 else str(remainder)


def _ean13_check(body: str) -> str:
    """The EAN-13 check digit of twelve digits (weights 1, 3, 1, ...; python-stdnum's
    `ean.calc_check_digit`, which the unit tests compare it with, without its generator)."""
    total = sum(map(int, body[0::2])) + 3 * sum(map(int, body[1::2]))
    return str((10 - total) % 10)


def _compact(text: str) -> str:
    """The digits and X's of `text`, upper case (any Unicode digit, as `str.isdigit` says)."""
    if text.isascii():
        return _NOT_ISBN_CHAR.sub("", text).upper()
    return "".join(c for c in text if c.isdigit() or c in "Xx").upper()


@functools.lru_cache(maxsize=65_536)
def isbn_key(text: str) -> str | None:
    """The search key of an ISBN typed any way: ISBN-13 digits when valid, else None.

    Cleaning and both check digits are done here because stdnum's general-purpose
    `compact`/`validate` dominated the cost of indexing a million records, and then its
    `calc_check_digit` still cost about 5 % of a search refresh (python-stdnum checks these
    functions in the unit tests).
    """
    digits = _compact(text) if text else ""
    if len(digits) == 10 and digits[:9].isdigit():
        if _isbn10_check(digits[:9]) != digits[9]:
            return None
        body = "978" + digits[:9]
        return body + _ean13_check(body)
    if len(digits) == 13 and digits.isdigit() and digits[:3] in ("978", "979"):
        return digits if _ean13_check(digits[:12]) == digits[12] else None
    return None


def isbn_forms(raw: str) -> list[str]:
    """Every form of a catalogued ISBN worth indexing: ISBN-13, ISBN-10 and as catalogued.

    Catalogued values carry qualifiers ("82-03-19353-9 (ib.)") and sometimes a bad check
    digit; the compact digits are indexed either way so a copy-typed ISBN still finds it.
    """
    stripped = raw.strip()
    compact = _compact(stripped.split(" ")[0]).lower() if stripped else ""
    forms: list[str] = []
    key = isbn_key(compact)
    if key:
        forms.append(key)
        if key.startswith("978"):
            body = key[3:12]
            forms.append((body + _isbn10_check(body)).lower())
    if len(compact) in (10, 13) and compact not in forms:
        forms.append(compact)
    return forms
