"""The day's plan page and dispatching it over HTTP, on both engines."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.auth import create_user
from bokflyt.pages.common import CSRF_HEADER
from bokflyt.settings import settings_from_mapping
from bokflyt.web import create_app
from catalog.models import Site

sys.path.insert(0, str(Path(__file__).resolve().parent))  # helpers beside this file
from web_forms import log_in, text_of  # noqa: E402

DAY = dt.date(2026, 11, 27)
PASSWORD = "passord-for-plan"
SITES = [
    {"code": "SAN", "name": "Sandvika bibliotek", "kind": "branch", "lat": 59.89, "lon": 10.52},
    {"code": "SKA", "name": "Bekkestua skole", "kind": "school", "lat": 59.92, "lon": 10.59},
]


def seed_plan(sessions: sessionmaker[Session], add_one_van_plan: Callable[..., None]) -> None:
    """A draft plan for DAY: van 1 picks a crate up in Sandvika and drops it at the school."""
    with sessions.begin() as session:
        create_user(session, "lise", "librarian", PASSWORD)
        create_user(session, "leo", "logistics", PASSWORD)
        for spec in SITES:
            session.add(
                Site(code=spec["code"], name=spec["name"], kind=spec["kind"], lat=59.9, lon=10.5)
            )
        session.flush()
        add_one_van_plan(session, DAY, 12345.0)


@pytest.fixture
def app_client(
    engine: Engine,
    session_factory: sessionmaker[Session],
    add_one_van_plan: Callable[..., None],
) -> Iterator[TestClient]:
    seed_plan(session_factory, add_one_van_plan)
    settings = settings_from_mapping(
        {
            "database": {"url": engine.url.render_as_string(hide_password=False)},
            "sites": SITES,
            "fleet": {"depot": "SAN"},
            "web": {"secret_key": "p" * 40, "cookie_secure": False},
        }
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_logistics_sees_the_runs_and_dispatches(app_client: TestClient) -> None:
    """Stops in order with ETAs and site names; the form freezes the plan; twice is a 409."""
    token = log_in(app_client, "leo", PASSWORD)
    page = app_client.get("/plan", params={"dato": DAY.isoformat()})
    text = text_of(page.text)
    assert "1 08:00 Sandvika bibliotek hent SAN&gt;SKA 1 1" in text
    assert "2 09:15 Bekkestua skole lever" in text and "12,3 km" in text
    assert "Send ut planen" in text and "utkast" in text
    sent = app_client.post(
        f"/plan/{DAY.isoformat()}/send", data={"csrf_token": token}, follow_redirects=False
    )
    assert sent.status_code == 303
    after = app_client.get(f"/api/plans/{DAY.isoformat()}").json()
    assert after["status"] == "dispatched"
    assert "Send ut planen" not in app_client.get(f"/plan?dato={DAY.isoformat()}").text
    again = app_client.post(f"/api/plans/{DAY.isoformat()}/dispatch", headers={CSRF_HEADER: token})
    assert again.status_code == 409


def test_librarian_may_look_but_not_dispatch(app_client: TestClient) -> None:
    """A librarian sees the plan without the button; both dispatch routes answer 403."""
    token = log_in(app_client, "lise", PASSWORD)
    page = app_client.get("/plan", params={"dato": DAY.isoformat()})
    assert page.status_code == 200 and "Send ut planen" not in page.text
    form = app_client.post(f"/plan/{DAY.isoformat()}/send", data={"csrf_token": token})
    assert form.status_code == 403 and "Ingen tilgang" in form.text
    api = app_client.post(f"/api/plans/{DAY.isoformat()}/dispatch", headers={CSRF_HEADER: token})
    assert api.status_code == 403
    assert app_client.get(f"/api/plans/{DAY.isoformat()}").json()["status"] == "draft"


def test_day_without_a_plan(app_client: TestClient) -> None:
    """Another day shows "no plan" on the page and 404 in the API."""
    log_in(app_client, "leo", PASSWORD)
    assert "Ingen plan er laget" in app_client.get("/plan?dato=2026-12-01").text
    assert app_client.get("/api/plans/2026-12-01").status_code == 404
    stops = app_client.get(f"/api/plans/{DAY.isoformat()}").json()["vans"][0]["stops"]
    assert [(s["seq"], s["eta"], s["site"]) for s in stops] == [
        (1, "08:00", "SAN"),
        (2, "09:15", "SKA"),
    ]
