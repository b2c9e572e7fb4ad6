"""The record page's actions and planning from the web, over HTTP, on both engines.

Sending a copy, planning tomorrow and downloading its documents, the merge explanation and
split; each as a form and as JSON, and each refused to the role that may not do it.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.auth import create_user
from bokflyt.pages.common import CSRF_HEADER
from bokflyt.settings import settings_from_mapping
from bokflyt.web import create_app
from catalog.clustering_store import run_merge
from catalog.models import ItemRow, Site, Source, SourceRecord
from catalog.models_merge import MergeState
from catalog.records import BibRecord, record_to_dict
from catalog.search_index import rebuild
from transport.models import RoutePlan, Transfer

sys.path.insert(0, str(Path(__file__).resolve().parent))  # helpers beside this file
from web_forms import log_in, text_of  # noqa: E402

PASSWORD = "passord-for-handlinger"
EVERY_DAY = {d: ["08:00-16:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
SITES = [
    {"code": "SAN", "name": "Sandvika bibliotek", "kind": "branch", "lat": 59.8897,
     "lon": 10.5225, "hours": EVERY_DAY, "address": "Rådhustorget 2"},
    {"code": "SKA", "name": "Bekkestua skole", "kind": "school", "lat": 59.9171,
     "lon": 10.5853, "hours": EVERY_DAY},
]  # fmt: skip


def seed(sessions: sessionmaker[Session]) -> None:
    """Sult held twice (two sources, one cluster), one copy on the shelf in Sandvika."""
    with sessions.begin() as session:
        for name, role in [("lise", "librarian"), ("leo", "logistics"), ("ada", "admin")]:
            create_user(session, name, role, PASSWORD)
        san = Site(code="SAN", name="Sandvika bibliotek", kind="branch", lat=59.8897, lon=10.5225)
        ska = Site(code="SKA", name="Bekkestua skole", kind="school", lat=59.9171, lon=10.5853)
        session.add_all([san, ska])
        for source_name, barcode in [("public", "S1"), ("school", None)]:
            source = Source(name=source_name, kind="file", holdings="koha-952")
            bib = BibRecord(
                source=source_name,
                record_id="1",
                title="Sult",
                main_author="Hamsun, Knut",
                year=1890,
                isbns=("9788203193538",),
                language="nob",
            )
            record = SourceRecord(
                source=source,
                record_id="1",
                raw=b"<record/>",
                raw_format="marcxml",
                checksum=source_name,
                title="Sult",
                main_author="Hamsun, Knut",
                year=1890,
                data=record_to_dict(bib),
                cluster_id="c-sult",
                work_id="w-sult",
            )
            session.add(record)
            if barcode:
                session.add(
                    ItemRow(
                        record=record,
                        barcode=barcode,
                        location_code="SAN",
                        site=san,
                        status="on_shelf",
                    )
                )
    with sessions.begin() as session:
        run_merge(session)  # the merge state that `explain` reads; the cluster id becomes its own
        session.execute(update(SourceRecord).values(cluster_id="c-sult"))
        session.execute(update(MergeState).values(cluster_id="c-sult"))
        rebuild(session)


@pytest.fixture
def client(engine: Engine, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    seed(session_factory)
    settings = settings_from_mapping(
        {
            "database": {"url": engine.url.render_as_string(hide_password=False)},
            "sites": SITES,
            "fleet": {"depot": "SAN"},
            "web": {"secret_key": "a" * 40, "cookie_secure": False},
        }
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_send_form_orders_a_copy_and_says_so(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    """The form creates the transfer from Sandvika and the page says so after the redirect."""
    token = log_in(client, "lise", PASSWORD)
    page = client.get("/post/c-sult")
    assert 'name="to_site"' in page.text and 'name="any_edition"' in page.text
    sent = client.post(
        "/post/c-sult/send", data={"to_site": "SKA", "csrf_token": token}, follow_redirects=False
    )
    assert sent.status_code == 303
    shown = client.get(sent.headers["location"])
    assert "hentes på Sandvika bibliotek og kjøres til Bekkestua skole" in text_of(shown.text)
    with session_factory() as session:
        transfer = session.scalars(select(Transfer)).one()
        assert (transfer.barcode, transfer.from_site, transfer.to_site) == ("S1", "SAN", "SKA")


def test_send_refusals_are_bokmal_not_500(client: TestClient) -> None:
    """A copy already there is a 409 with the reason; an unknown site a 400; no token a 403."""
    token = log_in(client, "lise", PASSWORD)
    there = client.post("/post/c-sult/send", data={"to_site": "SAN", "csrf_token": token})
    assert there.status_code == 409
    assert "står allerede på hylla på SAN" in text_of(there.text)
    unknown = client.post("/post/c-sult/send", data={"to_site": "NOPE", "csrf_token": token})
    assert unknown.status_code == 400 and "Ukjent avdeling" in unknown.text
    assert client.post("/post/c-sult/send", data={"to_site": "SKA"}).status_code == 403
    assert client.post("/post/finnes-ikke/send", data={"to_site": "SKA", "csrf_token": token})\
        .status_code == 404  # fmt: skip


def test_copy_request_api(client: TestClient) -> None:
    """JSON in, the transfer out (201); a second request finds no free copy (409)."""
    token = log_in(client, "ada", PASSWORD)
    headers = {CSRF_HEADER: token}
    made = client.post("/api/records/c-sult/transfers", json={"to_site": "SKA"}, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["barcode"] == "S1" and made.json()["from_site"] == "SAN"
    again = client.post("/api/records/c-sult/transfers", json={"to_site": "SKA"}, headers=headers)
    assert again.status_code == 409 and "Ingen eksemplar" in again.json()["detail"]


def test_logistics_plans_tomorrow_and_downloads_the_documents(client: TestClient) -> None:
    """Plan tomorrow from the page, then every PDF and the HTML sheet with its SVG map."""
    from pypdf import PdfReader

    token = log_in(client, "lise", PASSWORD)
    client.post("/post/c-sult/send", data={"to_site": "SKA", "csrf_token": token})
    assert client.post("/plan/imorgen", data={"csrf_token": token}).status_code == 403
    token = log_in(client, "leo", PASSWORD)
    planned = client.post("/plan/imorgen", data={"csrf_token": token}, follow_redirects=False)
    assert planned.status_code == 303, planned.text
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    page = client.get(planned.headers["location"])
    assert f"/plan/{tomorrow}/kjoreliste.pdf" in page.text
    sheet = client.get(f"/plan/{tomorrow}/kjoreliste.pdf")
    assert sheet.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.content)).pages)
    assert "Bekkestua skole" in text
    for path in ("kasseetiketter.pdf", "transportlapper.pdf"):
        assert client.get(f"/plan/{tomorrow}/{path}").content.startswith(b"%PDF")
    html = client.get(f"/plan/{tomorrow}/kjoreliste")
    assert html.status_code == 200 and "<svg" in html.text
    assert "style-src 'sha256-" in html.headers["content-security-policy"]
    api = client.get(f"/api/plans/{tomorrow}/route-sheets.pdf", params={"van": "1"})
    assert api.status_code in (200, 404)
    log_in(client, "lise", PASSWORD)
    assert client.get(f"/plan/{tomorrow}/kjoreliste.pdf").status_code == 403


def test_plan_api_and_missing_plan(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    """The API plans a day (draft stored); documents of a day without a plan are a 404."""
    token = log_in(client, "ada", PASSWORD)
    day = "2026-12-01"
    made = client.post(f"/api/plans/{day}/plan", headers={CSRF_HEADER: token})
    assert made.status_code == 200, made.text and made.json()["status"] == "draft"
    with session_factory() as session:
        assert session.scalars(select(RoutePlan)).one().status == "draft"
    missing = client.get("/api/plans/2026-12-02/slips.pdf")
    assert missing.status_code == 404 and "ingen ruteplan" in missing.json()["detail"]


def test_librarian_explains_and_splits_logistics_may_not(client: TestClient) -> None:
    """The explanation shows on the record page; split re-merges; logistics gets 403."""
    token = log_in(client, "lise", PASSWORD)
    page = client.get("/post/c-sult", params={"a": "public:1", "b": "school:1"})
    assert "Samme utgave (klynge): ja" in text_of(page.text)
    explained = client.get("/api/merge/explain", params={"a": "public:1", "b": "school:1"})
    assert explained.json()["same_cluster"] is True
    split = client.post(
        "/api/merge/split", json={"record": "school:1"}, headers={CSRF_HEADER: token}
    )
    assert split.status_code == 200, split.text
    after = client.get("/api/merge/explain", params={"a": "public:1", "b": "school:1"}).json()
    assert after["same_cluster"] is False and after["override"]
    token = log_in(client, "leo", PASSWORD)
    assert "Sammenslåing" not in client.get(f"/post/{split.json()['cluster']}").text
    refused = client.post("/post/c-sult/split", data={"record": "public:1", "csrf_token": token})
    assert refused.status_code == 403
    assert client.get("/api/merge/explain", params={"a": "public:1", "b": "school:1"})\
        .status_code == 403  # fmt: skip


def test_openapi_documents_the_actions(client: TestClient) -> None:
    """Every new JSON route is in the schema."""
    paths = client.get("/openapi.json").json()["paths"]
    for path in [
        "/api/records/{cluster}/transfers",
        "/api/plans/{day}/plan",
        "/api/plans/{day}/route-sheets.pdf",
        "/api/plans/{day}/crate-labels.pdf",
        "/api/plans/{day}/slips.pdf",
        "/api/plans/{day}/route-sheets.html",
        "/api/merge/explain",
        "/api/merge/split",
        "/api/merge/join",
    ]:
        assert path in paths, path
