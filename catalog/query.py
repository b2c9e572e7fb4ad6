"""The librarians' query language, parsed into a small AST without touching a database.

    harry potter              all words (AND), the last one typed matched as a prefix
    "de gales hus"            a phrase
    ti:sult  au:hamsun        fields: ti/tittel/title, au/forfatter/author, emne/subject
    isbn:978-82-03-19353-8    an ISBN any way it is typed (bare ISBNs work too)
    år:1890  year:2010-2015   a year or a range (år:-1950, år:2020-)
    krig OR fred  krig NOT fred  -fred  (a OR b) c   also OG / ELLER / IKKE

Errors form one tree: `QueryError(reason)`, raised for every input the parser refuses; the
reason is bokmål for the librarian and never contains SQL. Anything else escaping `parse`
is a bug (a property test feeds it arbitrary text).

Year filters narrow the result set rather than match text, so they may only stand beside the
rest of the query (joined by AND), not inside OR or NOT.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from catalog.folding import isbn_key, looks_like_isbn, words

MAX_LENGTH = 1000
MAX_TERMS = 40
YEAR_MIN, YEAR_MAX = 1000, 2999


class QueryError(ValueError):
    """The query cannot be run; `reason` says why, in bokmål, fit to show the librarian."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Field(enum.StrEnum):
    """Which part of the record a term must match; None on a term means anywhere."""

    TITLE = "title"
    AUTHOR = "author"
    SUBJECT = "subject"


FIELD_NAMES: dict[str, Field | str] = {
    "ti": Field.TITLE,
    "tittel": Field.TITLE,
    "title": Field.TITLE,
    "au": Field.AUTHOR,
    "forfatter": Field.AUTHOR,
    "author": Field.AUTHOR,
    "emne": Field.SUBJECT,
    "subject": Field.SUBJECT,
    "isbn": "isbn",
    "år": "year",
    "aar": "year",
    "year": "year",
}


@dataclass(frozen=True, slots=True)
class Term:
    """Folded words that must occur together; several words form a phrase."""

    words: tuple[str, ...]
    field: Field | None = None
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Isbn:
    """An ISBN-13 key (digits only)."""

    key: str


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


Node = Term | Isbn | And | Or | Not


@dataclass(frozen=True, slots=True)
class YearRange:
    """Inclusive bounds; None is open."""

    low: int | None
    high: int | None


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: the text part (None when only filters were given) and the year filter."""

    text: Node | None
    years: YearRange | None = None

    @property
    def isbn_keys(self) -> tuple[str, ...]:
        """ISBNs asked for anywhere in the query (their hits rank first)."""
        return tuple(_collect_isbns(self.text)) if self.text else ()

    @property
    def title_probe(self) -> str | None:
        """The words of a plain query (only unfielded or title terms, ANDed), for exact
        title matches; None for queries with operators, ISBNs or other fields."""
        node = self.text
        items = node.items if isinstance(node, And) else (node,) if node else ()
        if not items or not all(
            isinstance(i, Term) and i.field in (None, Field.TITLE) for i in items
        ):
            return None
        return " ".join(w for i in items for w in i.words)  # type: ignore[union-attr]


def _collect_isbns(node: Node) -> list[str]:
    if isinstance(node, Isbn):
        return [node.key]
    if isinstance(node, And | Or):
        return [k for item in node.items for k in _collect_isbns(item)]
    return []  # Terms have none; an ISBN under NOT is not a hit


# ---- lexing -------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_OPERATORS = {"AND": "AND", "OG": "AND", "OR": "OR", "ELLER": "OR", "NOT": "NOT", "IKKE": "NOT"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "WORD", "PHRASE"
    text: str = ""
    field: str | None = None
    last: bool = False  # the last thing typed, with nothing after it: prefix-match it


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if char in "()":
            tokens.append(_Token(char))
            i += 1
            continue
        field: str | None = None
        negate = False
        if char == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != "-":
            negate, i = True, i + 1
        match = re.match(r"([^\W\d_]+):", text[i:])
        if match and match.group(1).casefold() in FIELD_NAMES:
            field = match.group(1).casefold()
            i += match.end()
            if i >= n or text[i].isspace() or text[i] == ")":
                raise QueryError(f"«{match.group(1)}:» mangler et søkeord etter kolon.")
        if negate:
            tokens.append(_Token("NOT"))
        if text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError("Et anførselstegn er ikke lukket.")
            tokens.append(_Token("PHRASE", text[i + 1 : end], field))
            i = end + 1
            continue
        if text[i] == "(" and field:
            raise QueryError(
                "Et felt (som ti:) må stå foran et ord eller en frase, ikke en parentes."
            )
        start = i
        while i < n and not text[i].isspace() and text[i] not in '()"':
            i += 1
        word = text[start:i]
        if field is None and not negate and word in _OPERATORS:
            tokens.append(_Token(_OPERATORS[word]))
        else:
            tokens.append(_Token("WORD", word, field, last=i == n))
    return tokens


# ---- parsing ------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.years: list[YearRange] = []

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> Node | None:
        node = self.or_expr()
        token = self.peek()
        if token is not None:
            raise QueryError("En sluttparentes «)» mangler en startparentes.")
        return node

    def or_expr(self) -> Node | None:
        items = [self.and_expr()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            if self.peek() is None or self.peek().kind in (")", "OR", "AND"):  # type: ignore[union-attr]
                raise QueryError("OR/ELLER mangler et søkeord etter seg.")
            items.append(self.and_expr())
        kept = [i for i in items if i is not None]
        if len(kept) < len(items) and len(items) > 1:
            raise QueryError("OR/ELLER kan ikke kombineres med årstall; bruk år: som filter.")
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Or(tuple(kept))

    def and_expr(self) -> Node | None:
        token = self.peek()
        if token is None or token.kind in (")", "OR", "AND"):
            if token is not None and token.kind == ")":
                raise QueryError("Parentesen er tom.")
            name = "OR/ELLER" if token and token.kind == "OR" else "AND/OG"
            raise QueryError(f"{name} mangler et søkeord foran seg.")
        items: list[Node | None] = [self.unary()]
        while (token := self.peek()) is not None and token.kind not in (")", "OR"):
            if token.kind == "AND":
                self.take()
                nxt = self.peek()
                if nxt is None or nxt.kind in (")", "OR", "AND"):
                    raise QueryError("AND/OG mangler et søkeord etter seg.")
            items.append(self.unary())
        kept = [i for i in items if i is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else And(tuple(kept))

    def unary(self) -> Node | None:
        token = self.take()
        if token.kind == "NOT":
            nxt = self.peek()
            if nxt is None or nxt.kind in (")", "OR", "AND", "NOT"):
                raise QueryError("NOT/IKKE mangler et søkeord etter seg.")
            item = self.unary()
            if item is None:
                raise QueryError("År kan ikke utelukkes med NOT; bruk et årsintervall.")
            return Not(item)
        if token.kind == "(":
            if self.peek() is None:
                raise QueryError("En parentes er ikke lukket.")
            depth_years = len(self.years)
            node = self.or_expr()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise QueryError("En parentes er ikke lukket.")
            self.take()
            if len(self.years) != depth_years and node is not None:
                raise QueryError("år: kan ikke stå inne i en parentes med andre søkeord.")
            return node
        if token.kind == ")":
            raise QueryError("En sluttparentes «)» mangler en startparentes.")
        return self.term(token)

    def term(self, token: _Token) -> Node | None:
        field = FIELD_NAMES.get(token.field) if token.field else None
        if field == "year":
            self.years.append(_year_range(token.text))
            return None
        if field == "isbn" or (
            field is None and token.kind == "WORD" and looks_like_isbn(token.text)
        ):
            key = isbn_key(token.text)
            if key is None:
                if field == "isbn":
                    raise QueryError(f"«{token.text}» er ikke et gyldig ISBN.")
            else:
                return Isbn(key)
        text = token.text
        prefix = token.kind == "WORD" and (token.last or text.endswith("*"))
        found = tuple(words(text))
        if not found:
            return _EMPTY
        return Term(found, field if isinstance(field, Field) else None, prefix)


_EMPTY = Term(())  # a term with no words (punctuation only); dropped after parsing

_YEAR = re.compile(r"^(\d{4})?\s*(?:(-|\.\.)\s*(\d{4})?)?$")


def _year_range(text: str) -> YearRange:
    cleaned = text.strip().replace("–", "-")
    match = _YEAR.match(cleaned)
    if not match or not (match.group(1) or match.group(3)):
        raise QueryError(f"«{text}» er ikke et årstall eller et intervall som 1990-1999.")
    low = int(match.group(1)) if match.group(1) else None
    high = int(match.group(3)) if match.group(3) else None
    if not match.group(2):
        high = low
    for year in (low, high):
        if year is not None and not YEAR_MIN <= year <= YEAR_MAX:
            raise QueryError(f"Årstallet {year} er utenfor {YEAR_MIN}–{YEAR_MAX}.")
    if low is not None and high is not None and low > high:
        raise QueryError(f"Årsintervallet {low}–{high} går baklengs.")
    return YearRange(low, high)


def _drop_empty(node: Node | None) -> Node | None:
    """Remove punctuation-only terms, collapsing operators left with one operand."""
    if node is None or node == _EMPTY:
        return None
    if isinstance(node, Not):
        inner = _drop_empty(node.item)
        return Not(inner) if inner is not None else None
    if isinstance(node, And | Or):
        kept = [k for k in (_drop_empty(i) for i in node.items) if k is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else type(node)(tuple(kept))
    return node


def _check_negation(node: Node) -> None:
    """Engines can only subtract from something: every NOT needs a positive sibling in an AND."""
    if isinstance(node, Not):
        raise QueryError("NOT/IKKE må stå sammen med minst ett søkeord som ikke er utelukket.")
    if isinstance(node, And):
        if all(isinstance(i, Not) for i in node.items):
            raise QueryError("NOT/IKKE må stå sammen med minst ett søkeord som ikke er utelukket.")
        for item in node.items:
            _check_negation(item.item if isinstance(item, Not) else item)
    elif isinstance(node, Or):
        for item in node.items:
            _check_negation(item)


def _intersect(ranges: list[YearRange]) -> YearRange | None:
    if not ranges:
        return None
    lows = [r.low for r in ranges if r.low is not None]
    highs = [r.high for r in ranges if r.high is not None]
    result = YearRange(max(lows) if lows else None, min(highs) if highs else None)
    if result.low is not None and result.high is not None and result.low > result.high:
        raise QueryError("Årsfiltrene utelukker hverandre.")
    return result


def _count_terms(node: Node | None) -> int:
    if node is None:
        return 0
    if isinstance(node, Term):
        return max(1, len(node.words))
    if isinstance(node, Isbn):
        return 1
    if isinstance(node, Not):
        return _count_terms(node.item)
    return sum(_count_terms(i) for i in node.items)


def parse(text: str) -> Query:
    """Parse `text` into a `Query`; raises `QueryError` with a reason for anything else."""
    if not isinstance(text, str):
        raise QueryError("Søket må være tekst.")
    if len(text) > MAX_LENGTH:
        raise QueryError(f"Søket er for langt ({len(text)} tegn; høyst {MAX_LENGTH}).")
    cleaned = _CONTROL.sub(" ", text).translate(_QUOTES)
    tokens = _lex(cleaned)
    if not tokens:
        raise QueryError("Skriv minst ett søkeord.")
    parser = _Parser(tokens)
    node = _drop_empty(parser.parse())
    years = _intersect(parser.years)
    if node is None and years is None:
        raise QueryError("Søket inneholder ingen ord det går an å søke på.")
    if _count_terms(node) > MAX_TERMS:
        raise QueryError(f"Søket har for mange ord (høyst {MAX_TERMS}).")
    if node is not None:
        _check_negation(node)
    return Query(node, years)
