"""The PDF documents, read back: text with pypdf, barcodes with zxing-cpp, boxes with pdftotext.

Page 1 of every document is also written to `test-artifacts/` as PNG so a person can look.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date, time
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

from transport import sheets
from transport.documents import (
    CrateLabel,
    CrateRef,
    PickListLine,
    RouteSheet,
    RoutingSlip,
    SheetStop,
)
from transport.sample_documents import FIXTURE_SITES, SampleDay, sample_day, site_for_day
from transport.sheets import (
    fit_lines,
    fonts,
    render_crate_labels,
    render_route_sheets,
    render_slips,
)

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
DAY = date(2026, 11, 27)
HOSTILE_TITLE = (
    "<b>Fet</b> &amp; <script>alert('x')</script> \x00\x1b[31m \u202eحكاية שלום " + "Ø" * 1970
)
MM = 72 / 25.4


@pytest.fixture(scope="module")
def day() -> SampleDay:
    return sample_day(DAY)


def _pdf(render: object, *args: object) -> bytes:
    buffer = io.BytesIO()
    render(*args, buffer)  # type: ignore[operator]
    return buffer.getvalue()


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} missing: install Debian poppler-utils (make system-deps)"
    return path


def _png(pdf: bytes, page: int, tmp: Path, dpi: int = 200, keep_as: str | None = None) -> Path:
    """Page `page` (1-based) as PNG via pdftoppm; kept in test-artifacts/ if `keep_as`."""
    source = tmp / "doc.pdf"
    source.write_bytes(pdf)
    target = (ARTIFACTS / keep_as) if keep_as else tmp / f"page{page}"
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [_tool("pdftoppm"), "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
         "-singlefile", str(source), str(target)],
        check=True, timeout=60,
    )  # fmt: skip
    return target.with_suffix(".png")


def _decode(png: Path) -> set[tuple[str, str]]:
    with Image.open(png) as image:
        return {(r.format.name, r.text) for r in zxingcpp.read_barcodes(image)}


def _words(pdf: bytes, tmp: Path) -> list[tuple[int, float, float, float, float, str]]:
    """Every word with its box (page, xmin, ymin, xmax, ymax, text) from `pdftotext -bbox`."""
    source = tmp / "words.pdf"
    source.write_bytes(pdf)
    html = subprocess.run(
        [_tool("pdftotext"), "-bbox", str(source), "-"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    words = []
    for page, chunk in enumerate(html.split("<page ")[1:], start=1):
        for m in re.finditer(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', chunk
        ):
            x0, y0, x1, y1 = (float(v) for v in m.groups()[:4])
            words.append((page, x0, y0, x1, y1, m.group(5)))
    return words


def _long_sheet(stops: int) -> RouteSheet:
    """A van that visits the fixture sites round and round: enough stops to flow over pages."""
    sites = [site_for_day(s, DAY) for s in FIXTURE_SITES]
    depot = sites[0]
    out = []
    for n in range(1, stops + 1):
        site = sites[n % len(sites)]
        drop = CrateRef(f"L{n:03d}-A", depot.code, site.code, n % 30)
        pick = CrateRef(f"L{n:03d}-B", site.code, depot.code, 7)
        out.append(SheetStop(n, time(7 + n // 6, n * 9 % 60), site, pickups=(pick,),
                             drops=(drop,)))  # fmt: skip
    return RouteSheet(DAY, "Bil 2", time(7, 0), time(16, 30), 310, 96.5, depot, tuple(out))


# --- route sheets -------------------------------------------------------------------------------


def test_route_sheet_lists_every_stop_and_crate(day: SampleDay, tmp_path: Path) -> None:
    """Every stop (number, ETA, site, library number, hours, notes) and crate id is printed."""
    pdf = _pdf(render_route_sheets, day.sheets)
    text = "\n".join(_pages(pdf))
    sheet = day.sheets[0]
    for stop in sheet.stops:
        assert stop.site.name in text
        assert stop.eta.strftime("%H:%M") in text
        assert stop.site.library_number in text
        assert stop.site.hours_today in text
        for crate in stop.pickups + stop.drops:
            assert crate.crate_id in text
    assert "Levering i skolebiblioteket, 2. etg." in text
    assert "fredag 27. november 2026" in text and "42,7 km" in text
    png = _png(pdf, 1, tmp_path, dpi=110, keep_as="route-sheet-page1")
    assert png.stat().st_size > 20_000


def test_long_route_repeats_the_header_on_every_page(tmp_path: Path) -> None:
    """A 40-stop day flows over pages; each page has the title, van, date and "Side n av N"."""
    sheet = _long_sheet(40)
    pages = _pages(_pdf(render_route_sheets, [sheet]))
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert "KJØRELISTE" in text and "Bil 2" in text and "fredag 27. november 2026" in text
        assert f"Side {number} av {len(pages)}" in text
    everything = "\n".join(pages)
    for stop in sheet.stops:
        for crate in stop.pickups + stop.drops:
            assert crate.crate_id in everything


def test_each_van_numbers_its_own_pages(day: SampleDay) -> None:
    """With two vans in one file, the second van's sheet starts again at "Side 1"."""
    pages = _pages(_pdf(render_route_sheets, [_long_sheet(40), day.sheets[0]]))
    van1 = [p for p in pages if "Bil 2" in p]
    van2 = [p for p in pages if "Bil 1" in p]
    assert len(van1) + len(van2) == len(pages)
    assert f"Side 1 av {len(van2)}" in van2[0]
    assert f"Side {len(van1)} av {len(van1)}" in van1[-1]


def test_hostile_site_text_is_printed_literally_and_stays_on_the_page(tmp_path: Path) -> None:
    """Markup prints as typed, controls vanish, and a 2,000-character note is cut inside the box."""
    base = site_for_day(FIXTURE_SITES[1], DAY)
    evil = replace(base, name=HOSTILE_TITLE, notes="Ring " + "x" * 2000, address="A & <i>B</i>")
    stop = SheetStop(1, time(8), evil, drops=(CrateRef("K1", "SAN", "BEK", 3),))
    sheet = RouteSheet(DAY, "Bil <3>", time(7), time(9), 30, 10.0, base, (stop,))
    pdf = _pdf(render_route_sheets, [sheet])
    text = "\n".join(_pages(pdf))
    assert "<b>Fet</b>" in text and "A & <i>B</i>" in text and "Bil <3>" in text
    assert "\x00" not in text and "\x1b" not in text and "\u202e" not in text
    assert "x" * 2000 not in text.replace("\n", "") and "…" in text
    page_w = sheets.PAGE_W
    for _page, x0, _y0, x1, _y1, word in _words(pdf, tmp_path):
        assert x0 >= sheets.MARGIN - 1 and x1 <= page_w - sheets.MARGIN + 1, word


# --- crate labels and pick lists ------------------------------------------------------------


def test_crate_label_barcodes_decode_and_pick_list_follows(day: SampleDay, tmp_path: Path) -> None:
    """Code 128 and QR on the label both read back as the crate id; the pick list follows it."""
    labels = day.labels[:2]
    pdf = _pdf(render_crate_labels, labels, day.picklists)
    pages = _pages(pdf)
    first = labels[0]
    png = _png(pdf, 1, tmp_path, keep_as="crate-label-page1")
    found = _decode(png)
    assert ("Code128", first.crate_id) in found
    assert ("QRCode", first.crate_id) in found
    assert first.destination.name in pages[0] and first.destination.library_number in pages[0]
    assert first.origin.name in pages[0] and "stopp" in pages[0]
    picklist = "\n".join(p for p in pages if f"Plukkliste for kasse {first.crate_id}" in p)
    for line in day.picklists[first.crate_id]:
        assert line.barcode in picklist
    _png(pdf, 2, tmp_path, dpi=110, keep_as="pick-list-page1")


def test_second_label_decodes_on_its_own_page(day: SampleDay, tmp_path: Path) -> None:
    """Labels do not share a page: the page after the first pick list reads as the second crate."""
    labels = day.labels[:2]
    pdf = _pdf(render_crate_labels, labels, day.picklists)
    pages = _pages(pdf)
    second = next(i for i, p in enumerate(pages, start=1) if "KASSEETIKETT" in p and i > 1)
    found = _decode(_png(pdf, second, tmp_path))
    assert {text for _fmt, text in found} == {labels[1].crate_id}


def test_long_pick_list_repeats_its_column_heads_and_cuts_titles(tmp_path: Path) -> None:
    """120 items flow over pages with the column heads repeated; a hostile title is cut."""
    san = site_for_day(FIXTURE_SITES[0], DAY)
    bek = site_for_day(FIXTURE_SITES[1], DAY)
    label = CrateLabel("K-LONG", bek, san, DAY, "Bil 1", stop=3, item_count=120)
    lines = [PickListLine(f"03019{n:09d}", HOSTILE_TITLE if n == 5 else f"Bok nr. {n}",
                          "839.82 Loe", san.name) for n in range(120)]  # fmt: skip
    pdf = _pdf(render_crate_labels, [label], {"K-LONG": lines})
    pages = _pages(pdf)
    picking = pages[1:]
    assert len(picking) >= 2
    assert all("Strekkode" in p and "Tittel" in p and "PLUKKLISTE" in p for p in picking)
    text = "\n".join(picking)
    assert all(line.barcode in text for line in lines)
    assert "<script>" in text and "Ø" * 200 not in text.replace("\n", "")
    for _page, x0, _y0, x1, _y1, word in _words(pdf, tmp_path):
        assert x0 >= sheets.MARGIN - 1 and x1 <= sheets.PAGE_W - sheets.MARGIN + 1, word


# --- routing slips ------------------------------------------------------------------------------


def test_slips_six_to_a_page_and_their_barcodes_decode(day: SampleDay, tmp_path: Path) -> None:
    """Every item gets a slip with library number, name and barcode; page 1's six barcodes read."""
    slips = day.slips[:14]
    pdf = _pdf(render_slips, slips)
    pages = _pages(pdf)
    assert len(pages) == math.ceil(len(slips) / 6)
    text = "\n".join(pages)
    for slip in slips:
        assert slip.barcode in text and slip.destination_library_number in text
    assert "27.11.2026" in text
    found = _decode(_png(pdf, 1, tmp_path, keep_as="routing-slips-page1"))
    assert {t for f, t in found if f == "Code128"} == {s.barcode for s in slips[:6]}


def test_hostile_slip_stays_inside_its_slot(tmp_path: Path) -> None:
    """A 2,000-character title, RTL text and markup stay within the slip's column, cut with "…"."""
    slips = [RoutingSlip("2021901", "Bekkestua <bibliotek> & co " * 5, "ÆØÅ bad barcode",
                         HOSTILE_TITLE, DAY) for _ in range(6)]  # fmt: skip
    pdf = _pdf(render_slips, slips)
    text = _pages(pdf)[0]
    assert "<b>Fet</b>" in text and "…" in text and "\x1b" not in text
    slot = sheets.SLIP_W
    for _page, x0, _y0, x1, _y1, word in _words(pdf, tmp_path):
        column = int(x0 // slot)
        assert x1 <= (column + 1) * slot - sheets.SLIP_PAD + 1, word


# --- text fitting and fonts ---------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    st.text(max_size=300),
    st.floats(min_value=6, max_value=40),
    st.floats(min_value=20, max_value=400),
    st.integers(min_value=1, max_value=5),
)
def test_fit_lines_never_overflows(text: str, size: float, width: float, max_lines: int) -> None:
    """Any text in any box: at most `max_lines` lines, none wider than the box."""
    font = fonts().regular
    lines = fit_lines(text, font, size, width, max_lines)
    assert 1 <= len(lines) <= max_lines
    for line in lines:
        assert sheets._width(line, font, size) <= width + 1e-6 or len(line) <= 1


def test_fit_lines_keeps_text_that_fits() -> None:
    """Text that fits is wrapped at spaces, not cut and not given an ellipsis."""
    lines = fit_lines("Levering i skolebiblioteket, 2. etg.", fonts().regular, 10, 90, 4)
    assert " ".join(lines) == "Levering i skolebiblioteket, 2. etg."


def test_falls_back_to_bundled_font_without_dejavu(
    day: SampleDay, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without DejaVu on the system the sheet still renders with æøå, using ReportLab's Vera."""
    monkeypatch.setattr(sheets, "FONT_DIRS", (tmp_path,))
    fonts.cache_clear()
    try:
        assert fonts().regular == "BokflytVera"
        pdf = _pdf(render_route_sheets, day.sheets)
    finally:
        fonts.cache_clear()
    text = "\n".join(_pages(pdf))
    assert "Høvik bibliotek" in text and "KJØRELISTE" in text


def test_renders_to_a_path(day: SampleDay, tmp_path: Path) -> None:
    """A Path output is written as a file, the way the CLI calls the renderers."""
    target = tmp_path / "slips.pdf"
    render_slips(day.slips[:3], target)
    assert target.read_bytes().startswith(b"%PDF-")


def test_nothing_to_render_is_an_error() -> None:
    """An empty day is refused rather than printed as a blank page."""
    with pytest.raises(ValueError):
        render_route_sheets([], io.BytesIO())


def test_a_van_without_stops_gets_a_sheet_that_says_so() -> None:
    """A van with no stops still gets a one-page sheet with its map and a plain statement."""
    depot = site_for_day(FIXTURE_SITES[0], DAY)
    sheet = RouteSheet(DAY, "Bil 3", time(7, 30), time(7, 30), 0, 0.0, depot, ())
    pages = _pages(_pdf(render_route_sheets, [sheet]))
    assert len(pages) == 1 and "Ingen stopp denne dagen." in pages[0]
