"""Normalisers: turn what a cataloguer typed into values two records can be compared on.

Every function here is pure and total: it takes the raw string from a `BibRecord` (or None) and
returns a normalised value or None, never raises on odd input. Matching (`catalog.match`) only
ever compares the outputs of these functions, so a rule like "æ, ø and å stay letters of their
own" is enforced in exactly one place.

Letters: text is NFKC-normalised and case-folded, then accents are removed *except* that the
Norwegian/Danish letters stay distinct (å ≠ a, ø ≠ o, æ ≠ ae). The Swedish/German spellings ä and
ö are folded to æ and ø, because Nordic catalogues use them interchangeably for the same name.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from functools import lru_cache

from stdnum import ean, isbn, ismn, issn

__all__ = [
    "Format",
    "derive_format",
    "fold",
    "normalize_author",
    "normalize_edition",
    "normalize_ean",
    "normalize_isbn",
    "normalize_issn",
    "normalize_part",
    "normalize_publisher",
    "normalize_text",
    "pages",
    "split_title",
    "AuthorName",
    "clean_title",
    "clear_caches",
    "format_hints",
    "split_part_from_title",
]

# Combining marks we keep: the ring above (U+030A) is what makes "å" out of "a" under NFD.
_RING_ABOVE = "\u030a"
_LETTER_MAP = str.maketrans({"ä": "æ", "ö": "ø", "ß": "ss", "ð": "d", "þ": "th", "ł": "l"})
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_UNDERSCORE = re.compile(r"_+")


@lru_cache(maxsize=50_000)
def fold(text: str) -> str:
    """Case-fold and strip accents, keeping å, ø and æ as letters of their own.

    NFKC first so ligatures and full-width forms compare equal; casefold, not lower, so that
    "STRASSE" and "straße" meet. ä/ö fold to æ/ø (see the module docstring).
    """
    text = unicodedata.normalize("NFKC", text).casefold().translate(_LETTER_MAP)
    if text.isascii():
        return text
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            if ch == _RING_ABOVE and out and out[-1] in "aA":
                out.append(ch)
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def normalize_text(text: str | None) -> str:
    """Folded text with punctuation replaced by single spaces (the comparison form of a string).

    Memoised (through `_normalize_text`): name parts, publishers and series titles repeat
    across a catalogue far more often than they differ.
    """
    if not text:
        return ""
    return _normalize_text(text)


@lru_cache(maxsize=100_000)
def _normalize_text(text: str) -> str:
    return " ".join(_UNDERSCORE.sub(" ", _NON_WORD.sub(" ", fold(text))).split())


# --- titles ---------------------------------------------------------------------------------

# General material designations and similar bracketed additions are not part of the title
# proper ("Sult [Lydopptak]"); ISBD trailing punctuation (" /", " :", " =") is layout, not text.
_BRACKETED = re.compile(r"\[[^\]]*\]")
_TRAILING_ISBD = re.compile(r"[\s/:;=,.]+$")
# " : " is ISBD; "Title: subtitle" is how many cataloguers actually type it. A colon inside a
# word or number ("10:30") is not a separator.
_SUBTITLE_SEP = re.compile(r"\s+:\s*|:\s+")
# Statement of responsibility or parallel title keyed into $a after " / " or " = ".
_RESPONSIBILITY = re.compile(r"\s+[/=]\s+.*$")
# A part designation keyed into the title: "Isfolket. Bd. 3", "Isfolket, del 3", "Isfolket. 3".
# The designation word is optional (and may itself carry a typing slip: "d. 3").
_PART_IN_TITLE = re.compile(
    r"^(?P<title>.+?)\s*[.,:;(]\s*(?:[a-zæøå]{1,7}(?:\.\s*|\s+))?(?P<part>\d{1,3}|[ivx]{1,4})\)?\s*$",
    re.IGNORECASE,
)


def clean_title(raw: str | None) -> str:
    """The title proper as typed: without bracketed designations ("[Lydopptak]"), without a
    statement of responsibility or parallel title keyed in after " / " or " = ", and without
    trailing ISBD punctuation. Punctuation inside the title is kept for `split_part_from_title`.
    """
    text = _RESPONSIBILITY.sub("", _BRACKETED.sub(" ", raw or ""))
    return _TRAILING_ISBD.sub("", " ".join(text.split()))


def split_title(title: str, subtitle: str | None) -> tuple[str, str]:
    """Return (main title, subtitle) normalised; a subtitle keyed into $a after " : " is split off.

    Cataloguers put the other-title information in 245 $b, or type it into $a after " : ", or
    leave it out. Matching treats all three alike by comparing main titles separately.
    """
    raw = clean_title(title)
    sub_raw = clean_title(subtitle) if subtitle else ""
    if not sub_raw.strip():
        parts = _SUBTITLE_SEP.split(raw, maxsplit=1)
        if len(parts) == 2 and parts[0].strip() and parts[1].strip():
            raw, sub_raw = parts[0], parts[1]
    return normalize_text(raw), normalize_text(sub_raw)


def split_part_from_title(raw_title: str) -> tuple[str, str | None]:
    """Split a part designation keyed into a raw title ("Isfolket. Bd. 3") into (title, part).

    Runs on the title as catalogued, before punctuation is normalised away, because the
    separating full stop is what tells "Isfolket. 3" from a title that ends in a number.
    """
    m = _PART_IN_TITLE.match(raw_title)
    if not m:
        return raw_title, None
    return m.group("title").rstrip(" .,:;("), normalize_part(m.group("part"))


_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
_ORDINAL_WORDS = {
    # Norwegian (bokmål/nynorsk) and English ordinals and cardinals up to twelve.
    "første": 1, "fyrste": 1, "first": 1, "en": 1, "ein": 1, "one": 1,
    "andre": 2, "second": 2, "to": 2, "two": 2,
    "tredje": 3, "third": 3, "tre": 3, "three": 3,
    "fjerde": 4, "fourth": 4, "fire": 4, "four": 4,
    "femte": 5, "fifth": 5, "fem": 5, "five": 5,
    "sjette": 6, "sixth": 6, "seks": 6, "six": 6,
    "sjuende": 7, "syvende": 7, "seventh": 7, "sju": 7, "syv": 7, "seven": 7,
    "åttende": 8, "eighth": 8, "åtte": 8, "eight": 8,
    "niende": 9, "ninth": 9, "ni": 9, "nine": 9,
    "tiende": 10, "tenth": 10, "ti": 10, "ten": 10,
    "ellevte": 11, "eleventh": 11, "elleve": 11, "eleven": 11,
    "tolvte": 12, "twelfth": 12, "tolv": 12, "twelve": 12,
}  # fmt: skip


def _roman_to_int(token: str) -> int | None:
    if not token or any(c not in _ROMAN for c in token):
        return None
    total = 0
    for i, c in enumerate(token):
        v = _ROMAN[c]
        total += -v if i + 1 < len(token) and _ROMAN[token[i + 1]] > v else v
    return total or None


@lru_cache(maxsize=20_000)
def normalize_part(part: str | None) -> str | None:
    """Normalise a part number ($n) to a comparable string: "Bd. 2", "2", "II", "Andre del" → "2".

    Anything that is not a recognisable number is kept as normalised text, so two different
    named parts still differ.
    """
    text = normalize_text(part)
    if not text:
        return None
    digits = re.search(r"\d+", text)
    if digits:
        return str(int(digits.group()))
    tokens = text.split()
    for tok in tokens:
        if tok in _ORDINAL_WORDS:
            return str(_ORDINAL_WORDS[tok])
    if len(tokens) <= 2:
        roman = _roman_to_int(tokens[-1])
        if roman is not None:
            return str(roman)
    return text


# --- names ----------------------------------------------------------------------------------

_RELATORS = frozenset(
    [
        "forfatter",
        "author",
        "aut",
        "oversetter",
        "translator",
        "trl",
        "overs",
        "red",
        "redaktør",
        "editor",
        "ed",
        "edt",
        "illustratør",
        "illustrator",
        "ill",
        "innleser",
        "narrator",
        "nrt",
        "komponist",
        "composer",
        "regi",
        "director",
        "sign",
        "tekstforfatter",
    ]
)
_DATE_SEGMENT = re.compile(r"^(?:ca\.?|f\.|d\.|født|død|b\.)?\s*\d{2,4}.*$|^\d", re.IGNORECASE)


class AuthorName(tuple[str, tuple[str, ...], int | None]):
    """A normalised personal name: (surname tokens as one string, forename tokens, birth year).

    Built by `normalize_author`; compare with `catalog.match.names_compatible`, not with ==,
    because "Ragde, A. B." and "Anne B. Ragde" are the same person. The birth year is kept
    (when the heading has one) because it is what tells two people of one name apart.
    """

    __slots__ = ()

    @property
    def surname(self) -> str:
        return self[0]

    @property
    def forenames(self) -> tuple[str, ...]:
        return self[1]

    @property
    def born(self) -> int | None:
        return self[2]

    @property
    def block_key(self) -> str:
        """The last surname token: the same for inverted and direct order."""
        return self[0].rsplit(" ", 1)[-1]


_PARENTHESISED = re.compile(r"\(([^)]*)\)")
_BIRTH = re.compile(r"(?<![\d.])(?:f\.\s*|født\s*|b\.\s*|ca\.?\s*)?(\d{4})(?!\d)", re.IGNORECASE)
_DEATH_ONLY = re.compile(r"^\s*(?:d\.|død|died)", re.IGNORECASE)


def _birth_year(segments: list[str]) -> int | None:
    """The birth year from date segments ("1960-", "f. 1960", "(1960-2020)"), not a death year."""
    for seg in segments:
        if _DEATH_ONLY.match(seg):
            continue
        m = _BIRTH.search(seg)
        if m:
            return int(m.group(1))
    return None


@lru_cache(maxsize=100_000)
def normalize_author(name: str | None) -> AuthorName | None:
    """Normalise "Nesbø, Jo, 1960-", "Jo Nesbø" or "NESBØ, JO (1960-)" to one comparable form.

    Inverted order (with a comma) takes the part before the comma as the surname; direct order
    takes the last word. Dates become the birth year; relator terms and other parenthesised
    qualifiers are dropped.
    """
    if not name:
        return None
    dates: list[str] = []
    if "(" in name:
        dates = _PARENTHESISED.findall(name)
        name = _PARENTHESISED.sub(" ", name)
    # Each comma-separated segment is a date, a relator term, or part of the name; a name
    # segment is normalised once here (normalising the joined segments gives the same tokens).
    kept: list[str] = []
    for seg in name.split(","):
        seg = seg.strip()
        if not seg:
            continue
        if _DATE_SEGMENT.match(seg):
            dates.append(seg)
            continue
        norm = normalize_text(seg)
        if norm not in _RELATORS:
            kept.append(norm)
    if not kept:
        return None
    if len(kept) >= 2:
        surname = kept[0]
        forenames = tuple(" ".join(kept[1:]).split())
    else:
        tokens = [t for t in kept[0].split() if not t.isdigit()]
        if not tokens:
            return None
        surname, forenames = tokens[-1], tuple(tokens[:-1])
    forenames = tuple(t for t in forenames if not t.isdigit() and t not in _RELATORS)
    surname = " ".join(t for t in surname.split() if not t.isdigit())
    if not surname:
        if not forenames:
            return None
        surname, forenames = forenames[-1], forenames[:-1]
    return AuthorName((surname, forenames, _birth_year(dates)))


_PUBLISHER_NOISE = frozenset(
    [
        "as",
        "asa",
        "a",
        "s",
        "forlag",
        "forlaget",
        "publishing",
        "publishers",
        "publisher",
        "press",
        "verlag",
        "ltd",
        "inc",
        "og",
        "and",
        "co",
        "company",
        "norsk",
        "norske",
    ]
)


@lru_cache(maxsize=50_000)
def normalize_publisher(publisher: str | None) -> str:
    """Publisher reduced to its distinctive words: "Gyldendal Norsk Forlag AS" → "gyldendal"."""
    tokens = [t for t in normalize_text(publisher).split() if t not in _PUBLISHER_NOISE]
    return " ".join(tokens)


# --- identifiers ----------------------------------------------------------------------------

_ISBN_CANDIDATE = re.compile(r"(?:97[89][\s-]?)?(?:\d[\s-]?){8}\d[\s-]?[\dXx]")
# Qualifiers naming *another* carrier: the ISBN belongs to a related manifestation, not this one.
_OTHER_FORMAT_QUALIFIERS = re.compile(
    r"\b(trykt|print|printed|papir|paperback edition of|pdf-utg)\b", re.IGNORECASE
)


def normalize_isbn(raw: str | None) -> str | None:
    """ISBN as validated ISBN-13 digits ("82-03-19344-3 (ib.)" → "9788203193443"), else None.

    Validation (and the 10→13 conversion) is python-stdnum's; an ISBN with a wrong check digit
    is dropped rather than guessed at, because a wrong identifier would force a wrong merge.
    """
    if not raw:
        return None
    m = _ISBN_CANDIDATE.search(raw)
    if not m:
        return None
    return _valid_isbn13(m.group().replace("-", "").replace(" ", "").upper())


@lru_cache(maxsize=20_000)
def _valid_isbn13(compact: str) -> str | None:
    # An ISBN-13 is an EAN-13 with a 978/979 prefix: stdnum's EAN check digit is the cheap
    # path for the common case; ISBN-10s go through stdnum's ISBN validation and conversion.
    if len(compact) == 13 and compact.isdigit() and compact[:3] in ("978", "979"):
        return compact if ean.calc_check_digit(compact[:12]) == compact[12] else None
    try:
        return isbn.to_isbn13(isbn.validate(compact))
    except Exception:  # stdnum raises ValidationError subclasses; any failure means "no ISBN"
        return None


def isbn_names_other_format(raw: str) -> bool:
    """True when the qualifier says the ISBN is another carrier's ("(trykt utg.)", "(print)")."""
    return bool(_OTHER_FORMAT_QUALIFIERS.search(raw))


def normalize_issn(raw: str | None) -> str | None:
    """ISSN as eight validated characters ("0378-5955" → "03785955"), else None."""
    if not raw:
        return None
    m = re.search(r"\d{4}\s*-?\s*\d{3}[\dXx]", raw)
    if not m:
        return None
    try:
        return str(issn.validate(m.group()))
    except Exception:
        return None


def normalize_ean(raw: str | None) -> str | None:
    """EAN-13/ISMN (024, other identifiers) as validated digits with a type prefix, else None.

    ISMNs are returned in their 13-digit (979-0) form so an old "M-" ISMN meets its new form.
    """
    if not raw:
        return None
    text = raw.strip()
    m = re.search(r"M[\s-]?(?:\d[\s-]?){8}\d", text, re.IGNORECASE)
    if m:
        try:
            return "ismn:" + ismn.to_ismn13(ismn.validate(m.group()))
        except Exception:
            return None
    m = re.search(r"(?:\d[\s-]?){12}\d", text)
    if not m:
        return None
    digits = re.sub(r"\D", "", m.group())
    try:
        if digits.startswith("9790"):
            return "ismn:" + ismn.validate(digits)
        return "ean:" + ean.validate(digits)
    except Exception:
        return None


# --- editions -------------------------------------------------------------------------------

_PRINTING = re.compile(r"\b\d+\s*(?:\.|th|st|nd|rd)?\s*(?:oppl\w*|oppl|oppdrag|printing|impr\w*)")
_EDITION_NUMBER = re.compile(
    r"(?P<n>\d+)\s*(?:\.|st|nd|rd|th|e|de)?\s*(?:utg|utgåve|utgave|opplag|ed|edition|uppl|udg|aufl)"
)
_EDITION_WORD = re.compile(r"\b(utg|utgave|utgåve|ed|edition|uppl|udg|aufl)\b")


@lru_cache(maxsize=20_000)
def normalize_edition(edition: str | None) -> str | None:
    """Edition statement as a comparable value: "2. utg." / "2nd ed." / "Andre utgave" → "2".

    Printings ("3. oppl.") are not editions and are removed; "1" is returned for explicit first
    editions so callers can treat "no statement" and "first edition" alike. Statements without a
    number ("Revidert utg.") come back as normalised text.
    """
    if not edition:
        return None
    text = fold(edition)
    text = _PRINTING.sub(" ", text)
    m = _EDITION_NUMBER.search(text)
    if m:
        return str(int(m.group("n")))
    norm = normalize_text(text)
    if not norm:
        return None
    tokens = norm.split()
    for tok in tokens:
        if tok in _ORDINAL_WORDS:
            return str(_ORDINAL_WORDS[tok])
    digits = re.search(r"\d+", norm)
    if digits and len(tokens) <= 3:
        return str(int(digits.group()))
    rest = [t for t in tokens if not _EDITION_WORD.fullmatch(t)]
    return " ".join(rest) or None


# --- extent ---------------------------------------------------------------------------------

_PAGES = re.compile(r"(\d+)\s*(?:\]\s*)?(?:s\b|sider|p\b|pages|pp\b|bl\b)")


@lru_cache(maxsize=50_000)
def pages(extent: str | None) -> int | None:
    """The largest page count in an extent statement ("XII, 315 s." → 315), or None."""
    if not extent:
        return None
    found = [int(n) for n in _PAGES.findall(fold(extent))]
    return max(found) if found else None


# --- format ---------------------------------------------------------------------------------


class Format(enum.StrEnum):
    """What kind of thing a manifestation is; records of different formats never merge."""

    BOOK = "book"
    LARGE_PRINT = "large_print"
    BRAILLE = "braille"
    EBOOK = "ebook"
    AUDIOBOOK = "audiobook"
    AUDIOBOOK_ONLINE = "audiobook_online"
    MUSIC = "music"
    SCORE = "score"
    FILM = "film"
    MAP = "map"
    SERIAL = "serial"
    GAME = "game"
    COMPUTER = "computer"
    KIT = "kit"
    OTHER = "other"


_ONLINE_WORDS = ("online", "nettressurs", "cr", "datamaskin", "computer", "elektronisk")
_SPOKEN_WORDS = ("talt ord", "spoken word", "spw", "lydbok")
_LARGE_PRINT_WORDS = ("storskrift", "stor skrift", "large print")


_ONLINE_HINT = re.compile(r"online|nettressurs|elektronisk ressurs|e-bok|ebok|electronic resource")
_AUDIO_HINT = re.compile(r"lydopptak|lydbok|sound recording|audiobook")
_LARGE_PRINT_HINT = re.compile(r"stor ?skrift|large print")


def format_hints(title: str | None, extent: str | None) -> tuple[str, ...]:
    """Carrier words found where older or sparser records put them: a bracketed designation in
    the title ("[Elektronisk ressurs]", "[Lydopptak]") or the extent ("1 online ressurs").

    Returned as extra carrier terms for `derive_format`, so a record without 007/33X still
    gets its format from what the cataloguer did type.
    """
    text = fold(" ".join(_BRACKETED.findall(title or "")) + " " + (extent or ""))
    hints = []
    if _ONLINE_HINT.search(text):
        hints.append("online")
    if _AUDIO_HINT.search(text):
        hints.append("talt ord")
    if _LARGE_PRINT_HINT.search(text):
        hints.append("storskrift")
    return tuple(hints)


@lru_cache(maxsize=5_000)
def derive_format(
    record_type: str,
    bib_level: str,
    physical: tuple[str, ...],
    content_types: tuple[str, ...],
    media_types: tuple[str, ...],
    carrier_types: tuple[str, ...],
    fixed_008_form: str | None,
) -> Format:
    """Format from leader/06-07, 007, 336-338 and 008 form of item (books: 008/23).

    The strongest signal wins: an explicit 007 category, then RDA carrier/content terms, then
    the leader. A text record with 007 "cr" or 338 "online resource" is an e-book; 007/01 "b"
    (text, large print) or 008/23 "d" is large print; leader/06 "i" or 336 "spoken word" is an
    audiobook, online when its carrier or 007 says so.
    """
    rt = (record_type or "a").lower()[:1]
    cats = {p[:1].lower() for p in physical if p}
    carriers = " ".join(fold(c) for c in carrier_types + media_types)
    content = " ".join(fold(c) for c in content_types)
    online = "c" in cats or any(w in carriers.split() or w in carriers for w in _ONLINE_WORDS)
    online = online or fixed_008_form in {"o", "s", "q"}
    if rt == "i" or any(w in content for w in _SPOKEN_WORDS):
        return Format.AUDIOBOOK_ONLINE if online and "s" not in cats else Format.AUDIOBOOK
    if rt == "j":
        return Format.MUSIC
    if rt in {"c", "d"}:
        return Format.SCORE
    if rt == "g" or "v" in cats or "m" in cats:
        return Format.FILM
    if rt in {"e", "f"}:
        return Format.MAP
    if rt == "m":
        return Format.COMPUTER
    if rt == "r":
        return Format.GAME
    if rt in {"o", "p"}:
        return Format.KIT
    if rt in {"a", "t"}:
        if (bib_level or "m")[:1] == "s":
            return Format.SERIAL
        if "f" in cats or fixed_008_form == "f" or "punktskrift" in carriers:
            return Format.BRAILLE
        if online:
            return Format.EBOOK
        large = any(p[:2].lower() == "tb" for p in physical) or fixed_008_form == "d"
        if large or any(w in content or w in carriers for w in _LARGE_PRINT_WORDS):
            return Format.LARGE_PRINT
        return Format.BOOK
    return Format.OTHER


def clear_caches() -> None:
    """Drop the memoised normalisations (call after keying a whole catalogue: on a million
    records they hold a few hundred megabytes the clustering can use instead)."""
    for fn in (fold, _normalize_text, normalize_part, normalize_author, normalize_publisher,
               _valid_isbn13, normalize_edition, pages, derive_format):  # fmt: skip
        fn.cache_clear()
