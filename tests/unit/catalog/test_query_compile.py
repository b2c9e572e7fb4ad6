"""Queries compiled for the engines: FTS5 accepts every MATCH expression the parser can yield."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.query import QueryError, parse
from catalog.search import Filters, fts5_match, pg_tsquery, search_sql


@pytest.fixture(scope="module")
def fts5() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5(title, authors, subjects, other,"
        " tokenize = 'unicode61 remove_diacritics 0')"
    )
    connection.execute(
        "INSERT INTO search_fts VALUES ('sult', 'hamsun knut', 'roman', '9788203193538')"
    )
    yield connection
    connection.close()


def test_fielded_phrase_prefix_and_negation_in_fts5() -> None:
    """Fields become column filters, words are stemmed and quoted, NOT is binary."""
    query = parse('au:hamsun "Sult roman" -bøker ti:sul')
    assert query.text is not None
    assert fts5_match(query.text) == (
        '((authors : "hamsun" AND "sult roman" AND title : "sul" *) NOT "bok")'
    )


def test_fielded_phrase_prefix_and_negation_in_tsquery() -> None:
    """Fields become weights, phrases use <->, PostgreSQL stems the quoted words."""
    query = parse('au:hamsun "Sult roman" -bøker ti:sul')
    assert query.text is not None
    assert pg_tsquery(query.text) == (
        "(('hamsun':B) & ('sult' <-> 'roman') & !('bok') & ('sul':*A))"
    )


def test_isbn_hits_and_exact_titles_rank_first_in_the_sql() -> None:
    """The ORDER BY starts with the ISBN/title tier, then my site, then the score."""
    compiled = search_sql(parse("9788203193538 sult"), Filters(site_id=3), "sqlite")
    assert "ORDER BY tier, local DESC, score DESC, d.id" in compiled.page_sql
    assert compiled.params["isbn0"] == " 9788203193538 "
    assert compiled.params["site"] == " 3 "


def test_filters_only_query_does_not_touch_the_full_text_index() -> None:
    """`år:2010-` alone filters documents without a MATCH."""
    compiled = search_sql(parse("år:2010-"), Filters(), "postgresql")
    assert "fts" not in compiled.page_sql and compiled.params["year_low"] == 2010


_PIECES = st.sampled_from(
    [
        '"',
        "(",
        ")",
        "AND",
        "OR",
        "NOT",
        "-",
        "*",
        "ti:",
        "au:",
        "emne:",
        "isbn:",
        "år:2000",
        "978-82-03-19353-8",
        "bøker",
        "sult",
        "NEAR",
        "^",
        "{",
        "}",
        "e-post",
        "'",
        "\\",
        "é",
        "x",
    ]
)


@settings(max_examples=500, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_PIECES, max_size=10).map(" ".join) | st.text(max_size=80))
def test_fts5_accepts_every_compiled_query(fts5: sqlite3.Connection, text: str) -> None:
    """Whatever parses compiles to an expression FTS5 runs without a syntax error."""
    try:
        query = parse(text)
    except QueryError:
        return
    if query.text is not None:
        fts5.execute(
            "SELECT rowid FROM search_fts WHERE search_fts MATCH ?", (fts5_match(query.text),)
        )
        assert pg_tsquery(query.text)
