"""The search and record pages over HTTP, on both engines, on an indexed small catalogue."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.auth import create_user
from bokflyt.settings import settings_from_mapping
from bokflyt.web import create_app
from catalog.models import ItemRow, Site, Source, SourceRecord
from catalog.records import BibRecord, record_to_dict
from catalog.search_index import rebuild

sys.path.insert(0, str(Path(__file__).resolve().parent))  # helpers beside this file
from web_forms import log_in, text_of  # noqa: E402

PASSWORD = "passord-for-sok"
SITES = [
    {"code": "SAN", "name": "Sandvika bibliotek", "kind": "branch", "lat": 59.9, "lon": 10.5},
    {"code": "SKA", "name": "Bekkestua skole", "kind": "school", "lat": 59.9, "lon": 10.6},
]


def seed_catalogue(sessions: sessionmaker[Session]) -> None:
    """Two titles: Sult (a copy at each site, the school's on loan) and a hostile title."""
    with sessions.begin() as session:
        create_user(session, "lise", "librarian", PASSWORD, display_name="Lise", site_code="SKA")
        san = Site(code="SAN", name="Sandvika bibliotek", kind="branch", lat=59.9, lon=10.5)
        ska = Site(code="SKA", name="Bekkestua skole", kind="school", lat=59.9, lon=10.6)
        public = Source(name="public", kind="file", holdings="koha-952")
        books = [
            ("1", "c-sult", "Sult", "Hamsun, Knut", 1890, ("978-82-03-19353-8",)),
            ("2", "c-x", '<script>alert("x")</script> Sultne katter', "Ukjent", 2020, ()),
        ]
        for record_id, cluster, title, author, year, isbns in books:
            bib = BibRecord(
                source="public",
                record_id=record_id,
                title=title,
                main_author=author,
                year=year,
                isbns=isbns,
                language="nob",
            )
            record = SourceRecord(
                source=public,
                record_id=record_id,
                raw=b"<record/>",
                raw_format="marcxml",
                checksum=record_id,
                title=title,
                main_author=author,
                year=year,
                data=record_to_dict(bib),
                cluster_id=cluster,
                work_id=cluster,
            )
            session.add(record)
            session.add(
                ItemRow(
                    record=record,
                    barcode=f"S{record_id}",
                    location_code="SAN",
                    site=san,
                    status="on_shelf",
                )
            )
        session.add(ska)
        session.flush()
        sult = session.query(SourceRecord).filter_by(record_id="1").one()
        session.add(
            ItemRow(
                record=sult,
                barcode="K1",
                location_code="SKA",
                site=ska,
                status="on_loan",
                due_date=date(2026, 12, 3),
            )
        )
    with sessions.begin() as session:
        rebuild(session)


@pytest.fixture
def client(engine: Engine, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    seed_catalogue(session_factory)
    settings = settings_from_mapping(
        {
            "database": {"url": engine.url.render_as_string(hide_password=False)},
            "sites": SITES,
            "web": {"secret_key": "k" * 40, "cookie_secure": False},
        }
    )
    with TestClient(create_app(settings)) as test_client:
        log_in(test_client, "lise", PASSWORD)
        yield test_client


def test_search_shows_hits_with_availability_my_site_marked(client: TestClient) -> None:
    """A search lists Sult with each site's copies; the librarian's own site is marked."""
    page = client.get("/sok", params={"q": "hamsun"})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "1 treff" in text and "Sult" in text
    assert "Bekkestua skole: 0 av 1 på hylla, 1 utlånt (første tilbake 03.12.2026)" in text
    assert "Sandvika bibliotek: 1 av 1 på hylla" in text
    assert "ditt bibliotek" in text
    assert 'href="/post/c-sult?site=SKA"' in page.text


def test_facet_links_narrow_and_remove_filters(client: TestClient) -> None:
    """Facet links add one filter; the chosen one becomes a link that removes it."""
    page = client.get("/sok", params={"q": "sult"})
    assert "/sok?q=sult&amp;site=SKA&amp;held_at=SKA" in page.text
    narrowed = client.get("/sok", params={"q": "sult", "held_at": "SKA"})
    assert "1 treff" in text_of(narrowed.text)
    assert "Fjern filteret Bekkestua skole" in text_of(narrowed.text)


def test_hostile_titles_are_escaped(client: TestClient) -> None:
    """Markup in a catalogued title is shown as text, never as HTML."""
    page = client.get("/sok", params={"q": "katter"})
    assert '<script>alert("x")</script>' not in page.text
    assert "&lt;script&gt;" in page.text


def test_bad_query_is_a_400_with_the_reason(client: TestClient) -> None:
    """An unbalanced quote shows the search's bokmål reason, status 400, never a 500."""
    page = client.get("/sok", params={"q": '"sult'})
    assert page.status_code == 400 and 'role="alert"' in page.text


def test_record_page_lists_copies_and_members(client: TestClient) -> None:
    """The record page has a row per site with due date and the member records."""
    page = client.get("/post/c-sult", params={"site": "SKA"})
    text = text_of(page.text)
    assert page.status_code == 200
    assert "Bekkestua skole (ditt bibliotek) 1 0 1 03.12.2026 0" in text
    assert "public:1" in text
    assert client.get("/post/finnes-ikke").status_code == 404


def test_search_needs_login_unless_public(engine: Engine, client: TestClient) -> None:
    """Anonymous visitors are sent to the login page from the search page and the API."""
    url = engine.url.render_as_string(hide_password=False)
    settings = settings_from_mapping({"database": {"url": url}, "web": {"secret_key": "k" * 40}})
    with TestClient(create_app(settings)) as anonymous:
        page = anonymous.get("/sok?q=sult", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert anonymous.get("/api/search", params={"q": "sult"}).status_code == 401
    public = settings_from_mapping(
        {"database": {"url": url}, "web": {"secret_key": "k" * 40, "public_search": True}}
    )
    with TestClient(create_app(public)) as anonymous:
        assert anonymous.get("/", follow_redirects=False).headers["location"] == "/sok"
        assert "Sult" in anonymous.get("/sok?q=sult").text
        assert anonymous.get("/api/search", params={"q": "sult"}).json()["total"] == 2
