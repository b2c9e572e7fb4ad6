"""Search over the merged holdings, on SQLite (FTS5) and PostgreSQL (tsvector) alike.

Every test here runs on both engines: tests that change the catalogue get a fresh one through
conftest's `session_factory`; read-only tests share one catalogue per engine (`shared`), built
the same way. Records are written through the ORM as the ingest writes them (`data` =
`record_to_dict`), then indexed.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.api_search import router
from bokflyt.commands.search import reindex_command, search_command
from bokflyt.context import AppContext
from bokflyt.db import make_engine, make_session_factory, upgrade
from catalog.models import ItemRow, Site, Source, SourceRecord
from catalog.models_search import SearchDoc
from catalog.query import QueryError
from catalog.records import BibRecord, record_to_dict
from catalog.search import SearchCache, SearchRequest, SearchResult, get_cluster, search
from catalog.search_index import facet_key, rebuild, refresh, year_bucket

SULT_ISBN13 = "9788203193538"


@dataclass
class Catalogue:
    sessions: sessionmaker[Session]
    sites: dict[str, int]
    records: dict[str, int]

    def find(self, q: str, **options: Any) -> SearchResult:
        with self.sessions() as session:
            return search(session, SearchRequest(q=q, **options))

    def clusters(self, q: str, **options: Any) -> list[str]:
        return [hit.cluster for hit in self.find(q, **options).hits]

    def set_status(self, barcode: str, status: str, due: date | None = None) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(ItemRow)
                .where(ItemRow.barcode == barcode)
                .values(status=status, due_date=due)
            )


def _record(
    source: Source,
    record_id: str,
    cluster: str | None = None,
    withdrawn_at: datetime | None = None,
    **fields: Any,
) -> SourceRecord:
    bib = BibRecord(source=source.name, record_id=record_id, **fields)
    return SourceRecord(
        source=source,
        record_id=record_id,
        raw=b"<record/>",
        raw_format="marcxml",
        checksum=record_id,
        title=bib.title,
        main_author=bib.main_author,
        year=bib.year,
        data=record_to_dict(bib),
        cluster_id=cluster,
        work_id=cluster,
        withdrawn_at=withdrawn_at,
    )


def _item(record: SourceRecord, barcode: str, site: Site, status: str, **extra: Any) -> ItemRow:
    return ItemRow(
        record=record, barcode=barcode, location_code=site.code, site=site, status=status, **extra
    )


def _populate(session_factory: sessionmaker[Session]) -> Catalogue:
    """Six live clusters (and a withdrawn one) across three sites, indexed."""
    with session_factory.begin() as session:
        san = Site(code="SAN", name="Sandvika bibliotek", kind="branch", lat=59.9, lon=10.5)
        bek = Site(code="BEK", name="Bekkestua bibliotek", kind="branch", lat=59.9, lon=10.6)
        ska = Site(code="SKA", name="Bekkestua skole", kind="school", lat=59.9, lon=10.6)
        public = Source(name="public", kind="file", holdings="koha-952")
        school = Source(name="school", kind="file", holdings="bibliofil-850")
        records = {
            "sult": _record(
                public,
                "1",
                "c-sult",
                title="Sult",
                main_author="Hamsun, Knut",
                isbns=("978-82-03-19353-8 (ib.)",),
                year=1890,
                language="nob",
                subjects=("Romaner",),
                publisher="Gyldendal",
            ),
            "sult-school": _record(
                school,
                "s1",
                "c-sult",
                title="Sult",
                subtitle="roman",
                main_author="Knut Hamsun",
                isbns=("8203193536",),
                year=1890,
                language="nob",
            ),
            "sultens": _record(
                public,
                "2",
                "c-sultens",
                title="Sultens historie",
                subtitle="sult, sult og sult",
                subjects=("Sult", "Hungersnød"),
                year=2001,
                language="nob",
            ),
            "sor": _record(public, "3", "c-sor", title="Sor", year=2012, language="eng"),
            "sør": _record(
                public, "4", "c-sør", title="Sør for grensen", year=2015, language="nob"
            ),
            "bok": _record(
                public,
                "5",
                None,
                title="Boka om alt",
                main_author="Ødegård, Åse",
                year=2020,
                language="nob",
                fixed_008=" " * 22 + "j",
            ),
            "cafe": _record(
                public,
                "6",
                None,
                title="Café Müller",
                main_author="Bausch, Pina",
                year=1978,
                language="ger",
                record_type="g",
            ),
            "gone": _record(
                public,
                "7",
                None,
                title="Trukket tilbake",
                withdrawn_at=datetime.now(UTC),
            ),
        }
        session.add_all([san, bek, ska, public, school, *records.values()])
        session.add_all(
            [
                _item(records["sult"], "S1", san, "on_shelf"),
                _item(records["sult"], "S2", bek, "on_loan", due_date=date(2026, 12, 3)),
                _item(records["sult-school"], "S3", ska, "in_transit"),
                _item(records["sultens"], "H1", bek, "on_shelf"),
                _item(records["sor"], "O1", san, "on_loan", due_date=date(2026, 12, 9)),
                _item(records["sør"], "Ø1", bek, "on_shelf"),
                _item(records["bok"], "B1", ska, "on_shelf", call_number="B 028 Øde"),
                _item(records["bok"], "B2", ska, "lost"),
                _item(records["cafe"], "C1", san, "on_shelf"),
                _item(records["gone"], "G1", san, "on_shelf"),
            ]
        )
    with session_factory.begin() as session:
        rebuild(session)
        sites = dict(session.execute(select(Site.code, Site.id)).all())
        pks = {key: record.id for key, record in records.items()}
    return Catalogue(session_factory, sites, pks)


@pytest.fixture
def catalogue(session_factory: sessionmaker[Session]) -> Catalogue:
    """A fresh catalogue per test, for tests that change items, records or the index."""
    return _populate(session_factory)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Catalogue]:
    """One catalogue per engine for the read-only tests (a fresh PostgreSQL database costs
    seconds); built like `engine` in conftest: migrated by `upgrade`, dropped afterwards."""
    admin: Engine | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'bokflyt.db'}"
    else:
        admin = request.getfixturevalue("postgres_admin")
        name = f"bokflyt_search_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        yield _populate(make_session_factory(engine))
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# ---- matching -----------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["cafe", "CAFÉ", "Cafe muller ", "müller"])
def test_case_and_accents_fold(shared: Catalogue, typed: str) -> None:
    """ "cafe", "CAFÉ" and "muller" find "Café Müller"."""
    assert shared.clusters(typed) == [f"r{shared.records['cafe']}"]


def test_o_and_ø_are_different_letters(shared: Catalogue) -> None:
    """ "sor" finds Sor, "sør" finds Sør, never each other; "odegard" does not find Ødegård."""
    assert shared.clusters("sor ") == ["c-sor"]
    assert shared.clusters("sør ") == ["c-sør"]
    assert shared.clusters("odegard ") == []
    assert shared.clusters("ødegård ") == [f"r{shared.records['bok']}"]


@pytest.mark.parametrize("typed", ["bøker ", "bok ", "boken ", "bøkene "])
def test_bokmål_forms_find_each_other(shared: Catalogue, typed: str) -> None:
    """Stemming: "bøker", "boken" and "bøkene" find "Boka om alt"."""
    assert shared.clusters(typed) == [f"r{shared.records['bok']}"]


@pytest.mark.parametrize(
    "typed",
    ["978-82-03-19353-8", SULT_ISBN13, "82-03-19353-6", "8203193536", f"isbn:{SULT_ISBN13}"],
)
def test_isbn_in_any_form_finds_the_cluster_first(shared: Catalogue, typed: str) -> None:
    """ISBN-10 or -13, with or without hyphens, fielded or bare: the cluster, as an ISBN hit."""
    hits = shared.find(typed).hits
    assert [(h.cluster, h.matched) for h in hits] == [("c-sult", "isbn")]


def test_fields_restrict_where_a_word_may_match(shared: Catalogue) -> None:
    """au:hamsun finds Sult; ti:hamsun finds nothing; emne:hungersnød finds the history."""
    assert shared.clusters("au:hamsun ") == ["c-sult"]
    assert shared.clusters("ti:hamsun ") == []
    assert shared.clusters("emne:hungersnød ") == ["c-sultens"]


def test_last_word_typed_is_a_prefix(shared: Catalogue) -> None:
    """ "hams" (still typing) finds Hamsun; "hams " (word finished) does not."""
    assert shared.clusters("hams") == ["c-sult"]
    assert shared.clusters("hams ") == []


def test_phrase_and_boolean_operators(shared: Catalogue) -> None:
    """A phrase needs its words in order; OR widens, NOT narrows."""
    assert shared.clusters('"for grensen"') == ["c-sør"]
    assert shared.clusters('"grensen for"') == []
    assert sorted(shared.clusters("sor OR sør ")) == ["c-sor", "c-sør"]
    assert shared.clusters("sult NOT hamsun ") == ["c-sultens"]


def test_year_range_filters(shared: Catalogue) -> None:
    """år:2000-2015 keeps the clusters whose year falls inside, bounds included."""
    found = shared.clusters("år:2000-2015")
    assert sorted(found) == ["c-sor", "c-sultens", "c-sør"]


def test_exact_title_ranks_before_a_higher_scoring_match(shared: Catalogue) -> None:
    """ "sult" puts the book titled Sult before one that says sult four times."""
    assert shared.clusters("sult ") == ["c-sult", "c-sultens"]
    assert shared.find("sult ").hits[0].matched == "title"


def test_withdrawn_records_are_not_searchable(shared: Catalogue) -> None:
    """A withdrawn record's title finds nothing."""
    assert shared.clusters("trukket ") == []


def test_members_of_a_cluster_are_merged_into_one_hit(shared: Catalogue) -> None:
    """Two Sult records from two sources are one hit with both members and all copies."""
    hit = shared.find("hamsun ").hits[0]
    assert sorted(hit.members) == ["public:1", "school:s1"]
    assert hit.copies == 3 and hit.isbns == [SULT_ISBN13]
    assert len(hit.authors) == 1  # "Hamsun, Knut" and "Knut Hamsun" are one name


# ---- facets and availability --------------------------------------------------------------


def test_facet_counts(shared: Catalogue) -> None:
    """Six live clusters: per-site counts, on the shelf, formats, languages, years, audience."""
    result = shared.find("år:1000-")
    facets = result.facets
    assert result.total == 6
    assert {s.site: (s.count, s.on_shelf) for s in facets.sites} == {
        "SAN": (3, 2),
        "BEK": (3, 2),
        "SKA": (2, 1),
    }
    assert facets.on_shelf_now == 5
    assert {f.value: f.count for f in facets.formats} == {"book": 5, "film": 1}
    assert {f.value: f.count for f in facets.languages} == {"nob": 4, "eng": 1, "ger": 1}
    assert {f.value: f.count for f in facets.years} == {
        "-1899": 1,
        "1950-1999": 1,
        "2000-2009": 1,
        "2010-2019": 2,
        "2020-": 1,
    }
    assert [f.label for f in facets.years] == [
        "før 1900",
        "1950–1999",
        "2000–2009",
        "2010–2019",
        "2020 og senere",
    ]
    assert {f.value: f.count for f in facets.audiences} == {"children": 1, "unknown": 5}


@pytest.mark.parametrize(
    ("q", "options"),
    [
        ("sult OR grensen OR café OR bok ", {}),
        ("sult OR grensen OR café OR bok ", {"site": "BEK"}),
        ("sult OR grensen OR café OR bok ", {"format": "book", "site": "SAN"}),
        ("sult ", {"available": True}),
        ("år:1950-", {"held_at": "BEK"}),
    ],
)
def test_facets_count_exactly_the_hits(shared: Catalogue, q: str, options: Any) -> None:
    """Every facet, with and without full text and filters, counts the hits listed (the
    index is fresh here, so the live availability on the hits agrees with it)."""
    result = shared.find(q, per_page=100, **options)
    hits = result.hits
    assert result.total == len(hits) > 0

    def tally(values: list[str | None]) -> dict[str, int]:
        return {v: values.count(v) for v in set(values) if v is not None}

    def bucket(year: int | None) -> str | None:
        return None if year is None else year_bucket(year)

    facets = result.facets
    assert {f.value: f.count for f in facets.formats} == tally([h.format for h in hits])
    assert {f.value: f.count for f in facets.languages} == tally([h.language for h in hits])
    assert {f.value: f.count for f in facets.audiences} == tally([h.audience for h in hits])
    assert {f.value: f.count for f in facets.years} == tally([bucket(h.year) for h in hits])
    held = [c.site for h in hits for c in h.availability]
    shelf = [c.site for h in hits for c in h.availability if c.on_shelf]
    assert {s.site: (s.count, s.on_shelf) for s in facets.sites} == {
        site: (held.count(site), shelf.count(site)) for site in set(held)
    }
    mine = options.get("site")
    assert facets.on_shelf_now == sum(
        any(c.on_shelf and (mine is None or c.site == mine) for c in h.availability) for h in hits
    )


def test_migration_backfills_the_facet_keys_the_indexer_writes(catalogue: Catalogue) -> None:
    """Migration 0009 keys documents indexed before it exactly as `facet_key` does."""
    path = Path(__file__).parents[2] / "bokflyt/migrations/versions/0009_search_facets.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with catalogue.sessions.begin() as session:
        session.execute(update(SearchDoc).values(year=1949).where(SearchDoc.year == 1978))
        session.execute(update(SearchDoc).values(year=None).where(SearchDoc.year == 2012))
    with catalogue.sessions.begin() as session:
        docs = session.execute(
            select(SearchDoc.format, SearchDoc.audience, SearchDoc.year, SearchDoc.language)
        ).all()
        session.execute(update(SearchDoc).values(facet_key=""))
        session.execute(text(migration._BACKFILL))
        keys = session.scalars(select(SearchDoc.facet_key)).all()
    assert {None, 1949, 1890, 2020} <= {d.year for d in docs}
    assert sorted(keys) == sorted(facet_key(*d) for d in docs)


def test_availability_per_site_on_a_hit(shared: Catalogue) -> None:
    """Copies, on the shelf, on loan with due date and in transit, per site; lost copies vanish."""
    hit = shared.find("hamsun ").hits[0]
    shown = {
        c.site: (c.copies, c.on_shelf, c.on_loan, c.in_transit, c.next_due)
        for c in hit.availability
    }
    assert shown == {
        "SAN": (1, 1, 0, 0, None),
        "BEK": (1, 0, 1, 0, date(2026, 12, 3)),
        "SKA": (1, 0, 0, 1, None),
    }
    book = shared.find("bok ").hits[0]
    assert [(c.site, c.copies) for c in book.availability] == [("SKA", 1)]


def test_my_site_first_in_hits_and_in_availability(shared: Catalogue) -> None:
    """Clusters on the shelf at the searcher's site come first; that site leads each list."""
    at_bek = shared.clusters("sult OR grensen ", site="BEK")
    assert sorted(at_bek[:2]) == ["c-sultens", "c-sør"] and at_bek[2] == "c-sult"
    assert shared.clusters("sult OR grensen ", site="SAN")[0] == "c-sult"
    hit = shared.find("hamsun ", site="BEK").hits[0]
    assert hit.availability[0].site == "BEK" and hit.availability[0].mine


def test_available_filter_and_status_change_after_refresh(catalogue: Catalogue) -> None:
    """Lending the only shelf copy at SAN drops Sult from "available at SAN" after refresh."""
    assert catalogue.clusters("hamsun ", site="SAN", available=True) == ["c-sult"]
    catalogue.set_status("S1", "on_loan", date(2026, 12, 20))
    with catalogue.sessions.begin() as session:
        refresh(session, ["c-sult"])
    assert catalogue.clusters("hamsun ", site="SAN", available=True) == []
    result = catalogue.find("hamsun ", site="SAN")
    assert result.facets.on_shelf_now == 0
    san = result.hits[0].availability[0]
    assert (san.site, san.on_shelf, san.on_loan, san.next_due) == ("SAN", 0, 1, date(2026, 12, 20))


def test_shown_availability_is_live_before_refresh(catalogue: Catalogue) -> None:
    """A hit never shows a copy on the shelf that `items` already says is on loan."""
    catalogue.set_status("S1", "on_loan", date(2026, 12, 20))
    san = [c for c in catalogue.find("hamsun ").hits[0].availability if c.site == "SAN"][0]
    assert (san.on_shelf, san.on_loan) == (0, 1)


def test_available_without_site_means_anywhere(shared: Catalogue) -> None:
    """available=True alone keeps clusters with a shelf copy at any site."""
    assert shared.clusters("sor OR sør ", available=True) == ["c-sør"]


def test_format_and_held_at_filters(shared: Catalogue) -> None:
    """format=film keeps the film; held_at=SKA keeps clusters with copies at the school."""
    assert shared.clusters("café OR sult ", format="film") == [f"r{shared.records['cafe']}"]
    assert sorted(shared.clusters("år:1000-", held_at="SKA")) == [
        "c-sult",
        f"r{shared.records['bok']}",
    ]


# ---- index maintenance --------------------------------------------------------------------


def test_refresh_after_a_merge_replaces_the_single_record_document(catalogue: Catalogue) -> None:
    """When the merge puts record r<pk> into a cluster, refresh leaves one document, not two."""
    pk = catalogue.records["bok"]
    with catalogue.sessions.begin() as session:
        session.execute(
            update(SourceRecord).where(SourceRecord.id == pk).values(cluster_id="c-sult")
        )
        refresh(session, ["c-sult", f"r{pk}"])
    assert catalogue.clusters("bok ") == ["c-sult"]
    assert catalogue.find("år:1000-").total == 5


def test_refresh_drops_a_withdrawn_cluster(catalogue: Catalogue) -> None:
    """Withdrawing the only record of a cluster removes it from search on refresh."""
    with catalogue.sessions.begin() as session:
        session.execute(
            update(SourceRecord)
            .where(SourceRecord.cluster_id == "c-sor")
            .values(withdrawn_at=datetime.now(UTC))
        )
        assert refresh(session, ["c-sor"]) == 0
    assert catalogue.clusters("sor ") == []


def test_get_cluster_and_unknown_cluster(shared: Catalogue) -> None:
    """A known cluster comes back with its availability; an unknown one is None."""
    with shared.sessions() as session:
        hit = get_cluster(session, "c-sult")
        assert hit is not None and hit.title == "Sult" and hit.copies == 3
        assert get_cluster(session, "nope") is None


# ---- pagination ---------------------------------------------------------------------------


def test_pagination_is_stable_and_complete(session_factory: sessionmaker[Session]) -> None:
    """45 equally relevant clusters over three pages: no overlap, no gap, same on repeat."""
    with session_factory.begin() as session:
        source = Source(name="public", kind="file", holdings="koha-952")
        session.add(source)
        session.add_all(
            _record(source, str(n), f"c{n:03}", title=f"Fjellvandring del {n}") for n in range(45)
        )
    with session_factory.begin() as session:
        rebuild(session)
    with session_factory() as session:
        pages = [
            [h.cluster for h in search(session, SearchRequest(q="fjellvandring ", page=p)).hits]
            for p in (1, 2, 3)
        ]
        again = [h.cluster for h in search(session, SearchRequest(q="fjellvandring ", page=2)).hits]
    assert [len(p) for p in pages] == [20, 20, 5]
    assert len({c for p in pages for c in p}) == 45
    assert again == pages[1]


# ---- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"q": '"sult'}, "anførselstegn"),
        ({"q": "sult", "site": "XYZ"}, "Ukjent sted"),
        ({"q": "sult", "format": "vinyl"}, "Ukjent format"),
        ({"q": "sult", "page": 0}, "Sidenummeret"),
    ],
)
def test_bad_requests_raise_query_error(
    shared: Catalogue, options: dict[str, Any], reason: str
) -> None:
    """Bad text, unknown site, unknown format and page 0 are QueryErrors with a reason."""
    with pytest.raises(QueryError, match=reason):
        shared.find(**options)


# ---- JSON API -----------------------------------------------------------------------------


@pytest.fixture
def client(shared: Catalogue) -> TestClient:
    app = FastAPI()
    app.state.sessions = shared.sessions
    app.include_router(router)
    return TestClient(app)


def test_api_search_returns_hits_facets_and_availability(client: TestClient) -> None:
    """GET /api/search answers with JSON hits, availability per site and facets."""
    response = client.get("/api/search", params={"q": "hamsun", "site": "BEK", "page": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1 and body["hits"][0]["cluster"] == "c-sult"
    assert body["hits"][0]["availability"][0]["site"] == "BEK"
    assert body["hits"][0]["availability"][0]["next_due"] == "2026-12-03"
    assert body["facets"]["on_shelf_now"] == 0  # on the shelf at BEK: its copy is on loan


def test_api_available_and_format_filters(client: TestClient) -> None:
    """available=true and format=film narrow the API result like the library call."""
    assert (
        client.get("/api/search", params={"q": "sor OR sør", "available": "true"}).json()["total"]
        == 1
    )
    assert (
        client.get("/api/search", params={"q": "år:1000-", "format": "film"}).json()["total"] == 1
    )


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced',
        "AND",
        "OR OR OR",
        "NOT sult",
        "((((",
        "'; DROP TABLE items; --",
        "title:* NEAR(a b) ^x {title}:y",
        "sult\x00\x1b\x7f",
        "x" * 10_240,
        "",
    ],
)
def test_api_bad_input_is_never_a_500(client: TestClient, q: str) -> None:
    """Any text gives results or a 400 with a bokmål reason, never SQL."""
    response = client.get("/api/search", params={"q": q})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        detail = response.json()["detail"]
        assert detail and not any(w in detail.upper() for w in ("SELECT", "MATCH", "FTS"))


def test_api_unknown_site_is_400(client: TestClient) -> None:
    """An unknown site code is the caller's mistake, reported as such."""
    response = client.get("/api/search", params={"q": "sult", "site": "NOPE"})
    assert response.status_code == 400 and "Ukjent sted" in response.json()["detail"]


def test_api_record_by_cluster(client: TestClient) -> None:
    """GET /api/records/{cluster}: 200 with members for a known id, 404 otherwise."""
    found = client.get("/api/records/c-sult")
    assert found.status_code == 200 and sorted(found.json()["members"]) == [
        "public:1",
        "school:s1",
    ]
    assert client.get("/api/records/nope").status_code == 404


def test_openapi_documents_the_search_responses(client: TestClient) -> None:
    """/openapi.json names both paths and the response models."""
    schema = client.get("/openapi.json").json()
    assert {"/api/search", "/api/records/{cluster}"} <= set(schema["paths"])
    assert {"SearchResult", "Hit", "SiteCopies", "Facets"} <= set(schema["components"]["schemas"])


# ---- CLI ----------------------------------------------------------------------------------


def _app(shared: Catalogue, tmp_path: Path) -> AppContext:
    """A CLI context whose configuration points at the shared catalogue."""
    url = shared.sessions.kw["bind"].url.render_as_string(hide_password=False)
    path = tmp_path / "bokflyt.toml"
    path.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    return AppContext(config_path=path)


def test_cli_search_prints_bokmål_and_json(shared: Catalogue, tmp_path: Path) -> None:
    """`bokflyt search` prints hits with availability in bokmål, or the API's JSON."""
    app = _app(shared, tmp_path)
    try:
        text = CliRunner().invoke(search_command, ["hamsun", "--site", "BEK"], obj=app)
        assert text.exit_code == 0, text.output
        assert "1 treff for «hamsun»" in text.output and "På hylla på BEK nå: 0" in text.output
        assert (
            "Bekkestua bibliotek (ditt sted): 1 utlånt (første forfall 03.12.2026)" in text.output
        )
        as_json = CliRunner().invoke(search_command, ["hamsun", "--json"], obj=app)
        assert as_json.exit_code == 0 and '"cluster": "c-sult"' in as_json.output
    finally:
        app.close()


def test_cli_bad_query_exits_1_with_reason(shared: Catalogue, tmp_path: Path) -> None:
    """A query that cannot run exits 1 with the reason on stderr, no traceback."""
    app = _app(shared, tmp_path)
    try:
        result = CliRunner().invoke(search_command, ['"sult'], obj=app)
        assert result.exit_code == 1
        assert "anførselstegn" in result.output and "Traceback" not in result.output
    finally:
        app.close()


def test_cli_reindex(catalogue: Catalogue, config_file: Path) -> None:
    """`bokflyt reindex` rebuilds everything; `--cluster` refreshes one."""
    app = AppContext(config_path=config_file)
    try:
        full = CliRunner().invoke(reindex_command, [], obj=app)
        assert full.exit_code == 0 and "6 titler" in full.output
        one = CliRunner().invoke(reindex_command, ["--cluster", "c-sult"], obj=app)
        assert one.exit_code == 0 and "1 titler" in one.output
    finally:
        app.close()


def test_cached_counts_follow_a_refresh(catalogue: Catalogue) -> None:
    """The result cache answers a repeated search, and a refresh makes it recount."""
    cache = SearchCache()
    with catalogue.sessions() as session:
        first = search(session, SearchRequest(q="hamsun ", site="SAN"), cache)
        again = search(session, SearchRequest(q="hamsun ", site="SAN"), cache)
    assert first == again and cache.hits == 2
    catalogue.set_status("S1", "on_loan", date(2026, 12, 20))
    with catalogue.sessions.begin() as session:
        refresh(session, ["c-sult"])
    with catalogue.sessions() as session:
        after = search(session, SearchRequest(q="hamsun ", site="SAN"), cache)
    assert (first.facets.on_shelf_now, after.facets.on_shelf_now) == (1, 0)


def test_web_connections_come_ready_for_search(shared: Catalogue) -> None:
    """The web app's engine applies the search settings when it connects, so a search sends
    only its own statements; another engine's search still gets them, for its transaction."""
    url = shared.sessions.kw["bind"].url.render_as_string(hide_password=False)
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    for interactive in (True, False):
        engine = make_engine(url, interactive=interactive)
        event.listen(engine, "before_cursor_execute", record)
        try:
            for round_ in range(2):  # the second search reuses the pooled connection
                sent.clear()
                with make_session_factory(engine)() as session:
                    result = search(session, SearchRequest(q="hamsun"))
                    if engine.dialect.name == "postgresql":
                        workers = session.scalar(text("SHOW max_parallel_workers_per_gather"))
                        assert workers == "0"
                assert result.total >= 1
                settings_sent = [s for s in sent if s.startswith(("SET", "PRAGMA"))]
                # SQLite: pragmas once per connection; PostgreSQL: from the web engine's
                # connection, else in every search's transaction
                expected = round_ == 0 if engine.dialect.name == "sqlite" else not interactive
                assert bool(settings_sent) == expected, (interactive, round_, settings_sent)
        finally:
            engine.dispose()


_SOUP = st.sampled_from(
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
        "år:1990-",
        "8203193536",
        "bøker",
        "sult",
        "NEAR",
        "'",
        "\\",
        ":",
        "&",
        "|",
        "!",
        "<->",
        "é",
        "ǂ",
        "²",
    ]
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.lists(_SOUP, max_size=8).map(" ".join) | st.text(max_size=60))
def test_engine_accepts_every_query_the_parser_accepts(shared: Catalogue, text: str) -> None:
    """Whatever parses runs on the engine: FTS5 MATCH and to_tsquery never see bad syntax."""
    try:
        catalogue_result = shared.find(text)
    except QueryError:
        return
    assert catalogue_result.total >= 0
