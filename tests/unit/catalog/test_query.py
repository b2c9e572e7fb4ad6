"""The query language parser: what it builds, and that it refuses bad input only by QueryError."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.query import (
    MAX_LENGTH,
    And,
    Field,
    Isbn,
    Not,
    Or,
    Query,
    QueryError,
    Term,
    YearRange,
    parse,
)


def test_words_are_anded_and_the_last_word_typed_is_a_prefix() -> None:
    """ "harry pot" looks for harry and any word starting with pot."""
    assert parse("Harry Pot").text == And((Term(("harry",)), Term(("pot",), prefix=True)))


def test_trailing_space_ends_the_last_word() -> None:
    """Once a space follows the word it is complete and matched whole."""
    assert parse("harry ").text == Term(("harry",))


def test_explicit_star_makes_a_prefix() -> None:
    """`hams* sult` matches words starting with hams."""
    assert parse("hams* sult ").text == And((Term(("hams",), prefix=True), Term(("sult",))))


def test_phrase_keeps_its_words_together_and_is_never_a_prefix() -> None:
    """A quoted phrase is one term with its words in order."""
    assert parse('"De gales hus"').text == Term(("de", "gales", "hus"))


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("ti:sult ", Field.TITLE),
        ("tittel:sult ", Field.TITLE),
        ("au:sult ", Field.AUTHOR),
        ("forfatter:sult ", Field.AUTHOR),
        ("emne:sult ", Field.SUBJECT),
        ("subject:sult ", Field.SUBJECT),
    ],
)
def test_field_prefixes(text: str, field: Field) -> None:
    """Norwegian and English field names select the same field."""
    assert parse(text).text == Term(("sult",), field)


def test_field_on_a_phrase() -> None:
    """`au:"knut hamsun"` is an author phrase."""
    assert parse('au:"Knut Hamsun"').text == Term(("knut", "hamsun"), Field.AUTHOR)


def test_unknown_field_is_plain_text() -> None:
    """A colon after an ordinary word ("Kafka: Prosessen") is punctuation, not a field."""
    assert parse("Kafka: prosessen ").text == And((Term(("kafka",)), Term(("prosessen",))))


@pytest.mark.parametrize("typed", ["978-82-03-19353-8", "8203193536", "isbn:82-03-19353-6"])
def test_isbn_any_form_becomes_the_isbn13_key(typed: str) -> None:
    """Bare or fielded, 10 or 13 digits, hyphens or not."""
    query = parse(typed)
    assert query.text == Isbn("9788203193538")
    assert query.isbn_keys == ("9788203193538",)


def test_fielded_invalid_isbn_is_refused() -> None:
    """`isbn:` with a wrong check digit says so."""
    with pytest.raises(QueryError, match="ISBN"):
        parse("isbn:9788203193539")


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("år:1890", YearRange(1890, 1890)),
        ("year:2010-2015", YearRange(2010, 2015)),
        ("år:2010..2015", YearRange(2010, 2015)),
        ("år:-1950", YearRange(None, 1950)),
        ("år:2020-", YearRange(2020, None)),
    ],
)
def test_year_filters(text: str, years: YearRange) -> None:
    """Single years, closed and open ranges; no text is needed beside them."""
    assert parse(text) == Query(None, years)


def test_year_filters_combine_with_text_and_intersect() -> None:
    """Two year filters narrow each other; the text part is kept."""
    query = parse("sult år:1800-1900 år:1890- ")
    assert query == Query(Term(("sult",)), YearRange(1890, 1900))


def test_boolean_operators_and_precedence() -> None:
    """AND binds tighter than OR; NOT and a leading minus exclude; Norwegian words work."""
    assert parse("a b OR c ").text == Or((And((Term(("a",)), Term(("b",)))), Term(("c",))))
    assert parse("krig IKKE fred ").text == And((Term(("krig",)), Not(Term(("fred",)))))
    assert parse("krig -fred ").text == And((Term(("krig",)), Not(Term(("fred",)))))
    assert parse("(krig ELLER fred) tolstoj ").text == And(
        (Or((Term(("krig",)), Term(("fred",)))), Term(("tolstoj",)))
    )


def test_lowercase_operator_words_are_search_words() -> None:
    """ "og" and "or" in lower case are words of a title ("Krig og fred")."""
    assert parse("krig og fred ").text == And((Term(("krig",)), Term(("og",)), Term(("fred",))))


def test_title_probe_only_for_plain_queries() -> None:
    """Exact-title ranking applies to plain words, not to author or boolean queries."""
    assert parse("Krig og fred").title_probe == "krig og fred"
    assert parse("au:tolstoj").title_probe is None
    assert parse("krig OR fred").title_probe is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('"harry potter', "anførselstegn"),
        ("AND", "AND/OG"),
        ("harry AND", "AND/OG"),
        ("OR potter", "OR/ELLER"),
        ("NOT", "NOT/IKKE"),
        ("NOT potter", "NOT/IKKE"),
        ("(harry", "parentes"),
        ("harry)", "startparentes"),
        ("()", "tom"),
        ("ti:", "mangler et søkeord"),
        ("år:nittitallet", "årstall"),
        ("år:2015-2010", "baklengs"),
        ("sult OR år:2010", "årstall"),
        ("!!! ---", "ingen ord"),
        ("   ", "minst ett"),
        ("x" * (MAX_LENGTH + 1), "for langt"),
        (" ".join(["ord"] * 50), "for mange"),
    ],
)
def test_bad_queries_are_refused_with_a_reason(text: str, reason: str) -> None:
    """Each kind of bad input gets its own bokmål reason."""
    with pytest.raises(QueryError) as error:
        parse(text)
    assert reason.lower() in error.value.reason.lower()


def test_control_characters_are_spaces() -> None:
    """NUL, tabs and other control characters separate words instead of failing."""
    assert parse("harry\x00potter\x1b ").text == And((Term(("harry",)), Term(("potter",))))


def test_sql_and_fts_syntax_are_just_words() -> None:
    """Quotes, semicolons, FTS column filters and NEAR are text, not syntax."""
    query = parse("'; DROP TABLE items; -- title:* NEAR(a b) ")
    assert query.text is not None
    assert "drop" in repr(query.text) and ";" not in repr(query.text)


_SYNTAX = st.sampled_from(
    [
        '"',
        "(",
        ")",
        "AND",
        "OR",
        "NOT",
        "OG",
        "ELLER",
        "IKKE",
        "-",
        "*",
        ":",
        "ti:",
        "au:",
        "isbn:",
        "år:",
        "year:",
        "emne:",
        "1990-2000",
        "978-82-03-19353-8",
        "bøker",
        "sult",
        "'",
        ";",
        "NEAR",
        "^",
        "{title}",
        "\x00",
        "\u202e",
        " ",
        "  ",
        "\t",
        "é",
        "Ø",
    ]
)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_SYNTAX, max_size=12).map("".join) | st.lists(_SYNTAX, max_size=12).map(" ".join))
def test_query_syntax_soup_parses_or_raises_query_error(text: str) -> None:
    """Any mix of operators, fields, quotes and parentheses parses or raises QueryError."""
    _parse_or_reason(text)


@settings(max_examples=400)
@given(st.text(max_size=300))
def test_arbitrary_text_parses_or_raises_query_error(text: str) -> None:
    """Any Unicode text, control characters included, parses or raises QueryError."""
    _parse_or_reason(text)


@settings(max_examples=20)
@given(st.text(min_size=1, max_size=40))
def test_ten_kilobytes_are_refused_as_too_long(chunk: str) -> None:
    """10 kB of any text is refused quickly with the length in the reason."""
    with pytest.raises(QueryError, match="for langt"):
        parse(chunk * (10_240 // len(chunk) + 1))


def _parse_or_reason(text: str) -> None:
    try:
        query = parse(text)
    except QueryError as error:
        assert error.reason and "select" not in error.reason.lower()
        return
    assert query.text is not None or query.years is not None
