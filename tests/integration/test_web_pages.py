"""The web app over HTTP (TestClient) on both engines: login, CSRF, roles, sync, sites, SSO."""

from __future__ import annotations

import base64
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.auth import Permission, create_user
from bokflyt.pages.common import CSRF_HEADER, require
from bokflyt.settings import SettingsError, settings_from_mapping
from bokflyt.web import create_app
from catalog.models import HarvestRun, QuarantinedRecord, Source

sys.path.insert(0, str(Path(__file__).resolve().parent))  # helpers beside this file
from web_forms import form_token, post_login  # noqa: E402

SECRET = "test-secret-" + "x" * 32
PASSWORD = "passord-for-test"
HOSTILE = '<script>alert("x")</script>'
RAW = b"00042nam\x1e<img src=x onerror=alert(1)>\xff\x00tail"
SITES = [
    {
        "code": "SKA",
        "name": "Bekkestua skole",
        "kind": "school",
        "lat": 59.9,
        "lon": 10.6,
        "hours": {"mon": ["08:30-11:00", "12:00-14:30"]},
        "notes": "Levering i skolebiblioteket, 2. etg.",
    }
]


def make_app(engine: Engine, **web: Any) -> FastAPI:
    url = engine.url.render_as_string(hide_password=False)
    settings = settings_from_mapping(
        {
            "database": {"url": url},
            "sites": SITES,
            "web": {"secret_key": SECRET, "cookie_secure": False, **web},
        }
    )
    app = create_app(settings)
    # a stand-in for routes that later pages add, guarded by the permission table
    probe = APIRouter()

    @probe.post("/api/test/dispatch", dependencies=[Depends(require(Permission.DISPATCH_PLAN))])
    def dispatch() -> dict[str, str]:
        return {"ok": "dispatched"}

    @probe.post("/api/test/merge", dependencies=[Depends(require(Permission.MERGE_RECORDS))])
    def merge() -> dict[str, str]:
        return {"ok": "merged"}

    @probe.get("/api/test/search", dependencies=[Depends(require(Permission.SEARCH))])
    def search() -> dict[str, str]:
        return {"ok": "searched"}

    app.include_router(probe)
    return app


@pytest.fixture
def users(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        create_user(session, "lise", "librarian", PASSWORD, display_name="Lise Bibliotekar")
        create_user(session, "leo", "logistics", PASSWORD, display_name="Leo Logistikk")
        create_user(session, "ada", "admin", PASSWORD, display_name="Ada Admin")
        create_user(session, "sso-only", "librarian", None, display_name="Sigrid SSO")


@pytest.fixture
def client(engine: Engine, users: None) -> Iterator[TestClient]:
    with TestClient(make_app(engine)) as test_client:
        yield test_client


def test_login_sets_a_safe_cookie_and_shows_the_role_menu(client: TestClient) -> None:
    """A good login redirects home with an HttpOnly SameSite session cookie; menu fits role."""
    response = post_login(client, "ada", PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie")
    assert "bokflyt_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = client.get("/")
    assert "Velkommen, Ada Admin" in home.text
    assert 'href="/synk"' in home.text and 'href="/steder"' in home.text


def test_wrong_password_and_unknown_user_get_the_same_answer(client: TestClient) -> None:
    """Both re-show the form with one message and set no session."""
    wrong, unknown = post_login(client, "ada", "feil-passord"), post_login(client, "ingen", "feil")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "Feil brukernavn eller passord." in response.text
        assert "bokflyt_session" not in response.headers.get("set-cookie", "")
    assert client.get("/api/me").status_code == 401


def test_sixth_attempt_is_throttled_with_retry_after(client: TestClient) -> None:
    """After five failures the form answers 429 with Retry-After, even for the right password."""
    for _ in range(4):
        assert post_login(client, "lise", "feil-passord").status_code == 200
    assert post_login(client, "lise", "feil-passord").status_code == 429
    response = post_login(client, "lise", PASSWORD)
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
    assert "For mange mislykkede forsøk" in response.text


def test_post_without_or_with_foreign_csrf_token_is_refused(
    client: TestClient, engine: Engine
) -> None:
    """Login and logout without the token, or with another browser's, answer 403."""
    client.get("/login")
    bare = client.post("/login", data={"username": "ada", "password": PASSWORD})
    assert bare.status_code == 403 and "Skjemaet var utløpt" in bare.text
    with TestClient(make_app(engine)) as other:
        foreign = form_token(other.get("/login").text)
    forged = client.post(
        "/login", data={"username": "ada", "password": PASSWORD, "csrf_token": foreign}
    )
    assert forged.status_code == 403
    post_login(client, "ada", PASSWORD)
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert client.get("/api/me").status_code == 200  # still logged in


def test_token_from_before_login_stops_working_after_it(client: TestClient) -> None:
    """The CSRF token is bound to the session: a pre-login token cannot post as the user."""
    before = form_token(client.get("/login").text)
    post_login(client, "ada", PASSWORD)
    stale = client.post("/logout", data={"csrf_token": before}, follow_redirects=False)
    assert stale.status_code == 403
    fresh = form_token(client.get("/").text)
    out = client.post("/logout", data={"csrf_token": fresh}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login?ut=1"
    assert client.get("/api/me").status_code == 401


def test_json_clients_send_the_token_as_a_header(client: TestClient) -> None:
    """`GET /api/me` hands out the token; POSTs with it in X-CSRF-Token pass the check."""
    post_login(client, "leo", PASSWORD)
    token = client.get("/api/me").json()["csrf_token"]
    assert client.post("/api/test/dispatch").status_code == 403
    response = client.post("/api/test/dispatch", headers={CSRF_HEADER: token})
    assert response.status_code == 200 and response.json() == {"ok": "dispatched"}


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        ("lise", "/api/test/dispatch", 403),
        ("lise", "/api/test/merge", 200),
        ("leo", "/api/test/merge", 403),
        ("leo", "/api/test/dispatch", 200),
        ("ada", "/api/test/merge", 200),
    ],
)
def test_permission_table_guards_actions(
    client: TestClient, username: str, path: str, status: int
) -> None:
    """A librarian cannot dispatch a plan; a logistics user cannot merge records."""
    post_login(client, username, PASSWORD)
    token = client.get("/api/me").json()["csrf_token"]
    assert client.post(path, headers={CSRF_HEADER: token}).status_code == status


@pytest.mark.parametrize("username", ["lise", "leo"])
def test_only_admin_sees_the_sync_dashboard(client: TestClient, username: str) -> None:
    """Librarian and logistics get 403 on the dashboard page and API; no menu link either."""
    post_login(client, username, PASSWORD)
    page = client.get("/synk")
    assert page.status_code == 403 and "Ingen tilgang" in page.text
    assert client.get("/api/sync/runs").status_code == 403
    assert 'href="/synk"' not in client.get("/").text


def test_anonymous_html_goes_to_login_and_json_gets_401(client: TestClient) -> None:
    """Pages redirect to the login page keeping the target; the API answers 401 JSON."""
    page = client.get("/synk?x=1", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/synk%3Fx%3D1"
    api = client.get("/api/sync/runs")
    assert api.status_code == 401 and api.json() == {"detail": "login required"}
    token = form_token(client.get("/login?next=/synk").text)
    back = client.post(
        "/login",
        data={"username": "ada", "password": PASSWORD, "csrf_token": token, "next": "/synk"},
        follow_redirects=False,
    )
    assert back.headers["location"] == "/synk"


def _seed_sync(session_factory: sessionmaker[Session]) -> int:
    with session_factory.begin() as session:
        source = Source(name="public", kind="sru", holdings="koha-952")
        run = HarvestRun(
            source=source,
            mode="incremental",
            status="failed",
            started_at=datetime(2026, 11, 26, 2, 0, tzinfo=UTC),
            records_read=120,
            added=7,
            updated=3,
            unchanged=109,
            withdrawn=0,
            rejected=1,
            error="SRU timeout",
        )
        session.add(run)
        session.flush()
        record = QuarantinedRecord(
            run_id=run.id,
            source_id=source.id,
            record_ref="rec-42",
            reason=f"bad leader {HOSTILE}",
            raw=RAW,
        )
        session.add(record)
        session.flush()
        return record.id


def test_sync_dashboard_shows_runs_and_escaped_quarantine(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    """Counts, status and reason appear; markup in reason and raw bytes is shown, not run."""
    qid = _seed_sync(session_factory)
    post_login(client, "ada", PASSWORD)
    page = client.get("/synk").text
    assert "feilet" in page and "SRU timeout" in page and ">120<" in page
    assert HOSTILE not in page and "&lt;script&gt;" in page
    detail = client.get(f"/synk/karantene/{qid}").text
    assert "<img src=x" not in detail and "&lt;img src=x onerror=alert(1)&gt;" in detail
    assert "\\xff" in detail and "\\x00" in detail and "\\x1e" in detail
    assert "00000000  30 30 30 34 32" in detail
    raw = client.get(f"/synk/karantene/{qid}/raw")
    assert raw.headers["content-type"] == "application/octet-stream"
    assert raw.headers["content-disposition"].startswith("attachment")
    assert raw.content == RAW


def test_sync_api_returns_runs_and_exact_bytes(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    """The JSON API carries the counts and the quarantined bytes unchanged (base64)."""
    qid = _seed_sync(session_factory)
    post_login(client, "ada", PASSWORD)
    runs = client.get("/api/sync/runs").json()
    assert runs[0]["source"] == "public" and runs[0]["quarantined"] == 1
    assert (runs[0]["added"], runs[0]["rejected"]) == (7, 1)
    listed = client.get("/api/quarantine").json()
    assert listed[0]["id"] == qid and listed[0]["size"] == len(RAW)
    one = client.get(f"/api/quarantine/{qid}").json()
    assert base64.b64decode(one["raw_base64"]) == RAW
    assert client.get("/api/quarantine/999999").status_code == 404


def test_sites_page_lists_hours_per_weekday(client: TestClient) -> None:
    """Configured sites show in bokmål with each weekday's windows or "stengt"."""
    post_login(client, "leo", PASSWORD)
    page = client.get("/steder").text
    assert "Bekkestua skole" in page and "skolebibliotek" in page
    assert "08:30-11:00, 12:00-14:30" in page and "stengt" in page
    assert client.get("/api/sites").json()[0]["hours"]["tue"] == []


def test_openapi_documents_the_api_with_models(client: TestClient) -> None:
    """The JSON routes are in /openapi.json with named response schemas."""
    schema = client.get("/openapi.json").json()
    paths = ("/api/me", "/api/csrf", "/api/session", "/api/sync/runs", "/api/quarantine/{qid}")
    for path in (*paths, "/api/quarantine", "/api/sites"):
        assert path in schema["paths"], path
    assert {"Me", "HarvestRunOut", "QuarantineDetail", "SiteOut"} <= set(
        schema["components"]["schemas"]
    )


def test_security_headers_and_csrf_cookie(client: TestClient) -> None:
    """Pages carry CSP, nosniff and no-framing headers; the CSRF cookie is HttpOnly."""
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "HttpOnly" in response.headers["set-cookie"]


def test_sso_header_is_trusted_only_when_configured(engine: Engine, users: None) -> None:
    """With trust_sso_header the proxy's header logs in known users; otherwise it is ignored."""
    with TestClient(make_app(engine, trust_sso_header="X-Remote-User")) as trusting:
        me = trusting.get("/api/me", headers={"X-Remote-User": "sso-only"})
        assert me.status_code == 200 and me.json()["role"] == "librarian"
        assert trusting.get("/api/me", headers={"X-Remote-User": "stranger"}).status_code == 401
    with TestClient(make_app(engine)) as plain:
        assert plain.get("/api/me", headers={"X-Remote-User": "ada"}).status_code == 401


def test_public_search_only_when_configured(engine: Engine, users: None) -> None:
    """Anonymous search works only with public_search, and never opens staff pages."""
    with TestClient(make_app(engine)) as closed:
        assert closed.get("/api/test/search").status_code == 401
    with TestClient(make_app(engine, public_search=True)) as public:
        assert public.get("/api/test/search").status_code == 200
        assert public.get("/api/sync/runs").status_code == 401
        assert public.get("/api/sites").status_code == 401


def test_unset_secret_is_refused_outside_development(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No secret_key: an error naming the key, unless BOKFLYT_ENV is development."""
    url = engine.url.render_as_string(hide_password=False)
    settings = settings_from_mapping({"database": {"url": url}})
    monkeypatch.delenv("BOKFLYT_ENV", raising=False)
    with pytest.raises(SettingsError, match="secret_key"):
        create_app(settings)
    monkeypatch.setenv("BOKFLYT_ENV", "development")
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200


def test_error_pages_are_html_for_people_and_json_for_the_api(client: TestClient) -> None:
    """An unknown page gets the bokmål 404 page; an unknown API path a JSON 404."""
    page = client.get("/finnes-ikke")
    assert page.status_code == 404 and "Fant ikke siden" in page.text
    assert client.get("/api/finnes-ikke").json() == {"detail": "Not Found"}


def test_json_login_session_and_logout(client: TestClient) -> None:
    """A script logs in with /api/csrf + POST /api/session and out with DELETE, no forms."""
    token = client.get("/api/csrf").json()["csrf_token"]
    refused = client.post("/api/session", json={"username": "leo", "password": PASSWORD})
    assert refused.status_code == 403
    wrong = client.post(
        "/api/session",
        json={"username": "leo", "password": "feil"},
        headers={CSRF_HEADER: token},
    )
    assert wrong.status_code == 401 and wrong.json() == {"detail": "wrong username or password"}
    me = client.post(
        "/api/session",
        json={"username": "leo", "password": PASSWORD},
        headers={CSRF_HEADER: token},
    )
    assert me.status_code == 200 and me.json()["role"] == "logistics"
    fresh = me.json()["csrf_token"]
    assert fresh != token and client.get("/api/me").json()["csrf_token"] == fresh
    assert client.delete("/api/session", headers={CSRF_HEADER: token}).status_code == 403
    assert client.delete("/api/session", headers={CSRF_HEADER: fresh}).status_code == 204
    assert client.get("/api/me").status_code == 401


def test_json_login_is_throttled_with_429(client: TestClient) -> None:
    """Five wrong JSON logins lock the pair: 429 with Retry-After, as the form does."""
    token = client.get("/api/csrf").json()["csrf_token"]
    statuses = [
        client.post(
            "/api/session",
            json={"username": "ada", "password": "feil"},
            headers={CSRF_HEADER: token},
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]
    locked = client.post(
        "/api/session", json={"username": "ada", "password": PASSWORD}, headers={CSRF_HEADER: token}
    )
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
