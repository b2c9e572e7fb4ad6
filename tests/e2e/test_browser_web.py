"""The web app in a real browser: Debian's chromium driven by Playwright against a live server.

Each test builds its database (the `engine` fixture: SQLite and PostgreSQL), starts uvicorn in
a thread on a free loopback port and opens a fresh browser context. Screenshots of the main
pages go to test-artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bokflyt.auth import create_user
from bokflyt.settings import settings_from_mapping
from bokflyt.web import create_app
from catalog.models import HarvestRun, ItemRow, QuarantinedRecord, Site, Source, SourceRecord

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "passord-i-nettleser"
HOSTILE_REASON = '<img src=x onerror="alert(1)"> ugyldig leader'

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} is missing (make test installs Debian's chromium)",
    ),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
Browser = sync_api.Browser
Page = sync_api.Page
expect = sync_api.expect

SITES = [
    {
        "code": "SAN",
        "name": "Sandvika bibliotek",
        "kind": "branch",
        "library_number": "2021900",
        "address": "Rådhustorget 2, 1337 Sandvika",
        "lat": 59.8897,
        "lon": 10.5225,
        "hours": {"mon": ["08:00-19:00"], "wed": ["08:00-19:00"], "fri": ["08:00-17:00"]},
    },
    {
        "code": "SKA",
        "name": "Bekkestua skole",
        "kind": "school",
        "library_number": "4021901",
        "lat": 59.9171,
        "lon": 10.5853,
        "hours": {"mon": ["08:30-11:00", "12:00-14:30"], "wed": ["08:30-11:00"]},
        "notes": "Levering i skolebiblioteket, 2. etg.",
    },
]


@dataclass(frozen=True)
class Live:
    url: str
    quarantine_id: int


def _seed(session_factory: sessionmaker[Session]) -> int:
    with session_factory.begin() as session:
        for username, role, name, site in [
            ("ada", "admin", "Ada Admin", None),
            ("lise", "librarian", "Lise Bibliotekar", "SKA"),
            ("leo", "logistics", "Leo Logistikk", None),
        ]:
            create_user(session, username, role, PASSWORD, display_name=name, site_code=site)
        public = Source(name="public", kind="sru", holdings="koha-952")
        school = Source(name="school", kind="file", holdings="bibliofil-850")
        ok = HarvestRun(
            source=public,
            mode="full",
            status="ok",
            started_at=datetime(2026, 11, 26, 1, 0, tzinfo=UTC),
            finished_at=datetime(2026, 11, 26, 1, 7, tzinfo=UTC),
            records_read=48210,
            added=48190,
            updated=0,
            unchanged=0,
            withdrawn=0,
            rejected=20,
        )
        failed = HarvestRun(
            source=school,
            mode="incremental",
            status="failed",
            started_at=datetime(2026, 11, 26, 2, 0, tzinfo=UTC),
            records_read=311,
            added=4,
            updated=12,
            unchanged=294,
            withdrawn=1,
            rejected=0,
            error="SRU-tjeneren svarte ikke innen 30 s",
        )
        session.add_all([ok, failed])
        session.flush()
        record = QuarantinedRecord(
            run_id=ok.id,
            source_id=public.id,
            record_ref="0123456789",
            reason=HOSTILE_REASON,
            raw=b"00714cam a2200205 a 4500\x1e001 0123456789\x1e245 <b>Sult</b>\xe6\xff\x1d",
        )
        session.add(record)
        session.flush()
        return record.id


@contextmanager
def serve(engine: Engine, sites: list[dict[str, Any]], quarantine_id: int) -> Iterator[Live]:
    """Run the app for `engine` with `sites` in uvicorn on a free loopback port."""
    import uvicorn

    settings = settings_from_mapping(
        {
            "database": {"url": engine.url.render_as_string(hide_password=False)},
            "sites": sites,
            "fleet": {"depot": "SAN"},
            "web": {"secret_key": "browser-test-secret-" + "k" * 32, "cookie_secure": False},
        }
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield Live(url=f"http://127.0.0.1:{port}", quarantine_id=quarantine_id)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def live(engine: Engine, session_factory: sessionmaker[Session]) -> Iterator[Live]:
    """A uvicorn server for this test's database on a free loopback port."""
    with serve(engine, SITES, _seed(session_factory)) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context (no cookies) at tablet size; any JS dialog fails the test."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="nb-NO")
    opened = context.new_page()
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    context.close()
    assert dialogs == [], f"a script ran in the page: {dialogs}"


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, live: Live, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_label("Brukernavn").fill(username)
    page.get_by_label("Passord").fill(password)
    page.get_by_role("button", name="Logg inn").click()


def test_admin_logs_in_and_sees_the_sync_dashboard(page: Page, live: Live) -> None:
    """Login → start page → dashboard with runs → a quarantined record, markup shown as text."""
    page.goto(live.url)
    expect(page).to_have_url(f"{live.url}/login")
    shoot(page, "01-login")
    log_in(page, live, "ada")
    expect(page.get_by_role("heading", level=1)).to_have_text("Velkommen, Ada Admin")
    shoot(page, "02-home-admin")
    page.get_by_role("navigation", name="Hovedmeny").get_by_role(
        "link", name="Synkronisering"
    ).click()
    expect(page.get_by_role("heading", name="Siste innhøstinger")).to_be_visible()
    expect(page.get_by_role("cell", name="48210")).to_be_visible()
    expect(page.get_by_text("SRU-tjeneren svarte ikke innen 30 s")).to_be_visible()
    expect(page.get_by_text("feilet")).to_be_visible()
    expect(page.get_by_role("cell", name=HOSTILE_REASON)).to_be_visible()
    shoot(page, "03-sync-dashboard")
    page.get_by_role("link", name=f"Vis post {live.quarantine_id}").click()
    expect(page.locator("#reason")).to_have_text(HOSTILE_REASON)
    expect(page.locator("#raw-text")).to_contain_text("245 <b>Sult</b>")
    expect(page.locator("#raw-text")).to_contain_text("\\xff")
    assert page.locator("#raw-text b").count() == 0 and page.locator("img").count() == 0
    shoot(page, "04-quarantine-record")


def test_sites_page_shows_hours(page: Page, live: Live) -> None:
    """A logistics user opens Steder from the menu and reads a school's opening hours."""
    log_in(page, live, "leo")
    page.get_by_role("link", name="Steder").first.click()
    card = page.get_by_role("listitem").filter(has_text="Bekkestua skole")
    expect(card).to_contain_text("08:30-11:00, 12:00-14:30")
    expect(card).to_contain_text("Levering i skolebiblioteket, 2. etg.")
    expect(card.get_by_role("row", name="tirsdag")).to_contain_text("stengt")
    shoot(page, "05-sites")


def test_wrong_password_is_shown(page: Page, live: Live) -> None:
    """A wrong password re-shows the form with an alert and keeps the username."""
    log_in(page, live, "ada", "feil-passord")
    expect(page.get_by_role("alert")).to_have_text("Feil brukernavn eller passord.")
    expect(page.get_by_label("Brukernavn")).to_have_value("ada")
    expect(page.get_by_label("Passord")).to_have_value("")
    shoot(page, "06-login-failed")


def test_repeated_failures_are_throttled(page: Page, live: Live) -> None:
    """After five wrong passwords even the right one is refused with a wait message."""
    for _ in range(5):
        log_in(page, live, "lise", "feil-passord")
    expect(page.get_by_role("alert")).to_contain_text("For mange mislykkede forsøk")
    log_in(page, live, "lise")
    expect(page.get_by_role("alert")).to_contain_text("Vent")
    expect(page).to_have_url(f"{live.url}/login")
    shoot(page, "07-login-throttled")


@pytest.mark.parametrize("username", ["lise", "leo"])
def test_staff_without_the_permission_get_403(page: Page, live: Live, username: str) -> None:
    """Librarian and logistics have no sync menu entry and get 403 on the dashboard."""
    log_in(page, live, username)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Velkommen")
    expect(page.get_by_role("link", name="Synkronisering")).to_have_count(0)
    response = page.goto(f"{live.url}/synk")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingen tilgang")
    api = page.request.get(f"{live.url}/api/quarantine/{live.quarantine_id}")
    assert api.status == 403
    shoot(page, f"08-forbidden-{username}")


def test_post_without_csrf_token_is_refused(page: Page, live: Live) -> None:
    """A POST without the token, from this browser or a form on another site, gets 403."""
    log_in(page, live, "ada")
    bare = page.request.post(f"{live.url}/logout")
    assert bare.status == 403
    page.set_content(
        f'<form method="post" action="{live.url}/logout">'
        '<input type="hidden" name="csrf_token" value="forged"><button>Go</button></form>'
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingen tilgang")
    page.goto(live.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Velkommen, Ada Admin")


def test_keyboard_only_login(page: Page, live: Live) -> None:
    """Tab reaches the skip link first (with a visible focus ring), then the form; Enter logs in."""
    page.goto(f"{live.url}/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Hopp til hovedinnholdet")
    expect(skip).to_be_focused()
    assert skip.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    assert skip.bounding_box() is not None and skip.bounding_box()["y"] >= 0  # type: ignore[index]
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Brukernavn")).to_be_focused()
    page.keyboard.type("ada")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Passord")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Velkommen, Ada Admin")


def _seed_catalogue(session_factory: sessionmaker[Session]) -> None:
    """Sult with a copy on the shelf in Sandvika and one on loan at the school, indexed."""
    from catalog.records import BibRecord, record_to_dict
    from catalog.search_index import rebuild

    with session_factory.begin() as session:
        source = session.query(Source).filter_by(name="public").one()
        san = Site(code="SAN", name="Sandvika bibliotek", kind="branch", lat=59.9, lon=10.5)
        ska = Site(code="SKA", name="Bekkestua skole", kind="school", lat=59.9, lon=10.6)
        bib = BibRecord(
            source="public",
            record_id="1",
            title="Sult",
            main_author="Hamsun, Knut",
            year=1890,
            isbns=("978-82-03-19353-8",),
            language="nob",
            publisher="Gyldendal",
        )
        record = SourceRecord(
            source=source,
            record_id="1",
            raw=b"<record/>",
            raw_format="marcxml",
            checksum="1",
            title=bib.title,
            main_author=bib.main_author,
            year=1890,
            data=record_to_dict(bib),
            cluster_id="c-sult",
            work_id="c-sult",
        )
        session.add_all(
            [
                record,
                ItemRow(
                    record=record, barcode="S1", location_code="SAN", site=san, status="on_shelf"
                ),
                ItemRow(
                    record=record,
                    barcode="K1",
                    location_code="SKA",
                    site=ska,
                    status="on_loan",
                    due_date=date(2026, 12, 3),
                ),
            ]
        )
    with session_factory.begin() as session:
        rebuild(session)


def test_librarian_finds_a_book_and_sees_where_copies_are(
    page: Page, live: Live, session_factory: sessionmaker[Session]
) -> None:
    """Log in → search by typing and Enter → open the record → copies per site with due date."""
    _seed_catalogue(session_factory)
    log_in(page, live, "lise")
    page.get_by_role("link", name="Søk").first.click()
    search_box = page.get_by_label("Søk etter tittel, forfatter, emne eller ISBN")
    search_box.fill("978-82-03-19353-8")
    search_box.press("Enter")
    expect(page.get_by_role("status")).to_have_text("1 treff")
    hit = page.get_by_role("listitem").filter(has_text="Hamsun, Knut").first
    expect(hit).to_contain_text("Sandvika bibliotek: 1 av 1 på hylla")
    expect(hit).to_contain_text("Bekkestua skole: 0 av 1 på hylla, 1 utlånt")
    expect(hit).to_contain_text("ditt bibliotek")
    shoot(page, "09-search")
    page.set_viewport_size({"width": 768, "height": 1024})
    shoot(page, "09-search-tablet-portrait")
    page.set_viewport_size({"width": 1024, "height": 768})
    page.get_by_role("link", name="Sult", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sult")
    row = page.get_by_role("row", name="Bekkestua skole")
    expect(row).to_contain_text("03.12.2026")
    shoot(page, "10-record")


PLAN_DAY = "2026-11-27"


def _seed_plan(
    session_factory: sessionmaker[Session], add_one_van_plan: Callable[..., None]
) -> None:
    """A draft plan: van 1 takes one crate from Sandvika to the school."""
    with session_factory.begin() as session:
        session.add_all(
            [
                Site(code="SAN", name="Sandvika bibliotek", kind="branch", lat=59.9, lon=10.5),
                Site(code="SKA", name="Bekkestua skole", kind="school", lat=59.9, lon=10.6),
            ]
        )
        session.flush()
        add_one_van_plan(session, date.fromisoformat(PLAN_DAY), 14200.0)


def test_logistics_sees_the_plan_and_dispatches_it(
    page: Page,
    live: Live,
    session_factory: sessionmaker[Session],
    add_one_van_plan: Callable[..., None],
) -> None:
    """Logistics opens Kjøreplan for the day, reads the stops and sends the plan out."""
    _seed_plan(session_factory, add_one_van_plan)
    log_in(page, live, "leo")
    page.get_by_role("link", name="Kjøreplan").first.click()
    page.goto(f"{live.url}/plan?dato={PLAN_DAY}")
    expect(page.get_by_role("row", name="Bekkestua skole")).to_contain_text("09:15")
    shoot(page, "11-plan-draft")
    page.get_by_role("button", name="Send ut planen").click()
    expect(page.get_by_text("sendt ut")).to_be_visible()
    expect(page.get_by_role("button", name="Send ut planen")).to_have_count(0)


def test_logistics_scans_a_crate_as_a_hand_scanner_does(
    page: Page,
    live: Live,
    session_factory: sessionmaker[Session],
    add_one_van_plan: Callable[..., None],
) -> None:
    """On Kasser the code field has the focus: typing the label's code and Enter (what a hand
    scanner does) records the pickup, and the list shows where the crate is."""
    _seed_plan(session_factory, add_one_van_plan)
    crate = f"K{date.fromisoformat(PLAN_DAY):%y%m%d}-01"
    log_in(page, live, "leo")
    page.get_by_role("link", name="Kasser").first.click()
    page.goto(f"{live.url}/kasser?dato={PLAN_DAY}")
    expect(page.get_by_role("row").filter(has_text=crate)).to_contain_text("venter på henting")
    expect(page.get_by_label("Kassens kode")).to_be_focused()  # autofocus on arrival
    page.get_by_label("Sted").first.select_option(label="Sandvika bibliotek")
    page.get_by_label("Kassens kode").focus()
    page.keyboard.type(crate)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"Kasse {crate} hentet på SAN")
    expect(page.get_by_role("row").filter(has_text=crate)).to_contain_text("hentet på SAN")
    expect(page.get_by_label("Kassens kode")).to_have_value("")  # ready for the next crate
    expect(page.get_by_label("Sted").first).to_have_value("SAN")  # still where the scanner is
    shoot(page, "15-crates-scanned")


def test_librarian_cannot_dispatch_a_plan(
    page: Page,
    live: Live,
    session_factory: sessionmaker[Session],
    add_one_van_plan: Callable[..., None],
) -> None:
    """A librarian sees the plan without the button; posting the dispatch anyway gets 403."""
    _seed_plan(session_factory, add_one_van_plan)
    log_in(page, live, "lise")
    page.goto(f"{live.url}/plan?dato={PLAN_DAY}")
    expect(page.get_by_role("row", name="Sandvika bibliotek")).to_contain_text("08:00")
    expect(page.get_by_role("button", name="Send ut planen")).to_have_count(0)
    token = page.request.get(f"{live.url}/api/me").json()["csrf_token"]
    refused = page.request.post(f"{live.url}/plan/{PLAN_DAY}/send", form={"csrf_token": token})
    assert refused.status == 403
    plan = page.request.get(f"{live.url}/api/plans/{PLAN_DAY}").json()
    assert plan["status"] == "draft"


EVERY_DAY = {d: ["08:00-16:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def live_every_day(engine: Engine, session_factory: sessionmaker[Session]) -> Iterator[Live]:
    """The server with both sites open every day, so "tomorrow" can be planned any day."""
    sites = [{**site, "hours": EVERY_DAY} for site in SITES]
    with serve(engine, sites, _seed(session_factory)) as running:
        yield running


def test_the_whole_day_from_search_to_the_printed_route_sheet(
    browser: Browser, live_every_day: Live, session_factory: sessionmaker[Session]
) -> None:
    """Librarian: search → record → send a copy to the school; logistics: plan tomorrow →
    download the route sheet PDF naming the school; each role refused the other's action."""
    from pypdf import PdfReader

    live = live_every_day
    _seed_catalogue(session_factory)
    tomorrow = date.today() + timedelta(days=1)
    librarian = browser.new_context(viewport={"width": 1024, "height": 768}, locale="nb-NO")
    page = librarian.new_page()
    log_in(page, live, "lise")
    page.get_by_role("link", name="Søk").first.click()
    page.get_by_label("Søk etter tittel, forfatter, emne eller ISBN").fill("Sult")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Sult", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sult")
    send = page.get_by_role("region", name="Send et eksemplar til en skole eller filial")
    send.get_by_label("Send til").select_option(label="Bekkestua skole")
    send.get_by_role("button", name="Send et eksemplar").click()
    expect(page.get_by_role("status").filter(has_text="Overføring")).to_contain_text(
        "hentes på Sandvika bibliotek og kjøres til Bekkestua skole"
    )
    shoot(page, "12-record-copy-sent")
    expect(page.get_by_role("heading", name="Sammenslåing", exact=True)).to_be_visible()
    page.goto(f"{live.url}/plan")
    expect(page.get_by_role("button", name="Planlegg i morgen")).to_have_count(0)
    token = page.request.get(f"{live.url}/api/me").json()["csrf_token"]
    refused = page.request.post(f"{live.url}/plan/imorgen", form={"csrf_token": token})
    assert refused.status == 403  # a librarian does not plan the vans
    librarian.close()

    logistics = browser.new_context(
        viewport={"width": 1024, "height": 768}, locale="nb-NO", accept_downloads=True
    )
    page = logistics.new_page()
    log_in(page, live, "leo")
    page.get_by_role("link", name="Kjøreplan").first.click()
    page.get_by_role("button", name="Planlegg i morgen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Kjøreplan {tomorrow:%d.%m.%Y}", timeout=30_000
    )
    expect(page.get_by_role("row").filter(has_text="Bekkestua skole").first).to_be_visible()
    route_map = page.get_by_role("figure", name="Kart over ruten til bil 1")
    expect(route_map.locator("svg.route-map")).to_be_visible()
    expect(route_map.locator("svg.route-map")).to_contain_text("Bekkestua skole")
    shoot(page, "13-plan-tomorrow")
    with page.expect_download() as info:
        page.get_by_role("link", name="Kjøreliste for alle biler (PDF)").click()
    download = info.value
    SHOTS.mkdir(parents=True, exist_ok=True)
    saved = SHOTS / "14-route-sheet.pdf"
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(saved).pages)
    assert "Bekkestua skole" in text
    page.get_by_role("link", name="Kjøreliste med kart (nettside)").click()
    expect(page.locator("svg").first).to_be_visible()
    band = page.locator("header.band").first  # its inline print styles pass the page's CSP
    assert band.evaluate("e => getComputedStyle(e).display") == "flex"
    shoot(page, "14-route-sheet-html")
    token = page.request.get(f"{live.url}/api/me").json()["csrf_token"]
    record = page.goto(f"{live.url}/post/c-sult")
    assert record is not None and record.status == 200
    expect(page.get_by_role("heading", name="Sammenslåing", exact=True)).to_have_count(0)
    split = page.request.post(
        f"{live.url}/post/c-sult/split", form={"record": "public:1", "csrf_token": token}
    )
    assert split.status == 403  # logistics staff do not merge records
    logistics.close()
