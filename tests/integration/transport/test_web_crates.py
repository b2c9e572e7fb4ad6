"""The crates page and its API: scanning crates and checking items in from a browser form.

The same day of crates as the CLI scanning tests (`scan_day`), on both engines."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.auth import create_user
from bokflyt.pages.common import CSRF_HEADER
from bokflyt.settings import WebSettings, load_settings
from bokflyt.web import create_app
from catalog.models import ItemRow
from transport.models import Transfer

sys.path.insert(0, str(Path(__file__).resolve().parent))  # helpers beside this file
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scan_day import DAY, TO_BEK, TO_SKA, seed_scan_day  # noqa: E402
from web_forms import form_token, log_in, text_of  # noqa: E402

PASSWORD = "passord-for-kasser"


@pytest.fixture
def client(config_file: Path, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    seed_scan_day(config_file, session_factory)
    with session_factory.begin() as session:
        create_user(session, "leo", "logistics", PASSWORD, site_code="BEK")
        create_user(session, "lise", "librarian", PASSWORD)
    settings = load_settings(config_file).model_copy(
        update={"web": WebSettings(secret_key="k" * 40, cookie_secure=False)}
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def item(sessions: sessionmaker[Session], barcode: str) -> tuple[str, str | None]:
    with sessions() as session:
        row = session.scalar(select(ItemRow).where(ItemRow.barcode == barcode))
        assert row is not None and row.site is not None
        return row.status, row.site.code


def scan(client: TestClient, crate: str, event: str, site: str) -> tuple[int, str]:
    page = client.get("/kasser", params={"dato": DAY.isoformat()})
    answer = client.post(
        "/kasser/skann",
        data={"crate": crate, "event": event, "site": site, "day": DAY.isoformat(),
              "csrf_token": form_token(page.text)},
    )  # fmt: skip
    return answer.status_code, text_of(answer.text)


def test_scanner_form_moves_a_crate_from_pickup_to_delivery(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "leo", PASSWORD)
    page = client.get("/kasser", params={"dato": DAY.isoformat()})
    assert page.status_code == 200
    text = text_of(page.text)
    assert f"{TO_SKA} BEK SKA 2 venter på henting" in text
    assert f"{TO_BEK} SAN BEK 1 venter på henting" in text
    assert 'id="crate" name="crate"' in page.text and "autofocus" in page.text
    assert '<option value="BEK" selected>' in page.text  # Leo's own site comes preselected

    status, text = scan(client, TO_SKA.lower(), "picked_up", "BEK")  # scanners may send lower case
    assert status == 200
    assert f"Kasse {TO_SKA} hentet på BEK: 2 bøker er underveis." in text
    assert f"{TO_SKA} BEK SKA 2 hentet på BEK" in text
    assert item(session_factory, "A1") == ("in_transit", "BEK")

    status, text = scan(client, TO_SKA, "delivered", "SKA")
    assert status == 200 and f"{TO_SKA} BEK SKA 2 levert på SKA" in text
    assert 'value="delivered" checked' in client.post(  # the next scan keeps event and site
        "/kasser/skann",
        data={"crate": TO_BEK, "event": "delivered", "site": "SKA", "day": DAY.isoformat(),
              "csrf_token": form_token(client.get("/kasser").text)},
    ).text  # fmt: skip
    assert item(session_factory, "A1") == ("on_shelf", "SKA")
    assert item(session_factory, "A2") == ("on_shelf", "SKA")
    with session_factory() as session:
        states = set(session.scalars(select(Transfer.status).where(Transfer.barcode == "A1")))
    assert states == {"delivered"}


def test_a_crate_delivered_at_the_wrong_site_is_recorded_and_flagged(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "leo", PASSWORD)
    scan(client, TO_SKA, "picked_up", "BEK")
    status, text = scan(client, TO_SKA, "delivered", "SAN")
    assert status == 200
    assert f"Feil sted: kasse {TO_SKA} skal levert på SKA, men er skannet på SAN." in text
    assert f"{TO_SKA} BEK SKA 2 levert på SAN" in text and "Må sendes videre." in text
    assert item(session_factory, "A1") == ("in_transit", "BEK")  # not on any shelf yet


def test_an_unknown_crate_gets_a_reason_and_changes_nothing(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "leo", PASSWORD)
    status, text = scan(client, "K261130-09", "picked_up", "BEK")
    assert status == 422
    assert "Kasse K261130-09 finnes ikke i ruteplanen for 2026-11-30." in text
    status, text = scan(client, "hei; DROP TABLE", "picked_up", "BEK")
    assert status == 422 and "er ikke et kasse-ID" in text
    assert item(session_factory, "A1") == ("on_shelf", "BEK")


def test_checkin_form_and_api_open_a_return_home(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    token = log_in(client, "leo", PASSWORD)
    page = client.get("/kasser", params={"dato": DAY.isoformat()})
    answer = client.post(
        "/kasser/innsjekk",
        data={"barcode": "A4", "site": "SAN", "day": DAY.isoformat(),
              "csrf_token": form_token(page.text)},
    )  # fmt: skip
    assert answer.status_code == 200
    text = text_of(answer.text)
    assert "Boken A4 er sjekket inn på SAN." in text and "hjemme på BEK" in text
    assert item(session_factory, "A4") == ("on_shelf", "SAN")

    answer = client.post(
        "/api/items/A3/checkin", json={"site": "SAN"}, headers={CSRF_HEADER: token}
    )
    assert answer.status_code == 200
    assert answer.json() == {"barcode": "A3", "site": "SAN", "home": "SAN", "return_transfer": None}
    missing = client.post(
        "/api/items/ZZZ/checkin", json={"site": "SAN"}, headers={CSRF_HEADER: token}
    )
    assert missing.status_code == 422 and "Ukjent strekkode" in missing.json()["detail"]


def test_api_lists_and_scans_crates(client: TestClient) -> None:
    token = log_in(client, "leo", PASSWORD)
    before = client.get(f"/api/crates/{DAY.isoformat()}").json()
    assert before["plan_status"] == "dispatched"
    assert [(c["crate"], c["items"], c["last_event"]) for c in before["crates"]] == [
        (TO_SKA, 2, None),
        (TO_BEK, 1, None),
    ]
    answer = client.post(
        f"/api/crates/{TO_BEK}/scans",
        json={"event": "picked_up", "site": "BEK"},
        headers={CSRF_HEADER: token},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["expected_site"] == "SAN" and body["forward"] is False
    assert body["warnings"] and "Feil sted" in body["warnings"][0]
    after = client.get(f"/api/crates/{DAY.isoformat()}").json()["crates"][1]
    assert (after["last_event"], after["last_site"]) == ("picked_up", "BEK")
    wrong_event = client.post(
        f"/api/crates/{TO_BEK}/scans",
        json={"event": "lost", "site": "BEK"},
        headers={CSRF_HEADER: token},
    )
    assert wrong_event.status_code == 422


def test_librarians_do_not_scan(client: TestClient) -> None:
    token = log_in(client, "lise", PASSWORD)
    assert 'href="/kasser"' not in client.get("/").text
    assert client.get("/kasser").status_code == 403
    answer = client.post(
        f"/api/crates/{TO_SKA}/scans",
        json={"event": "picked_up", "site": "BEK"},
        headers={CSRF_HEADER: token},
    )
    assert answer.status_code == 403
