"""The HTML sheets: hostile text is escaped, every stop and crate is shown, codes decode."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date, time
from html.parser import HTMLParser

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from transport.documents import (
    CrateLabel,
    CrateRef,
    PickListLine,
    RouteSheet,
    RoutingSlip,
    SheetStop,
)
from transport.sample_documents import FIXTURE_SITES, SampleDay, sample_day, site_for_day
from transport.sheets_html import (
    code128_svg,
    crate_labels_html,
    qr_svg,
    route_sheets_html,
    slips_html,
)

DAY = date(2026, 11, 27)
EVIL = "<script>alert('x')</script><img src=x onerror=alert(1)> & \x00 \u202e"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def day() -> SampleDay:
    return sample_day(DAY)


class _Tags(HTMLParser):
    """Collects the element names of a page, to prove no script or img element exists."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)


def _tags(html: str) -> set[str]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def _raster(svg: str, scale: int = 3) -> Image.Image:
    """Draw the <rect>s of one of our SVG codes into an image (white background)."""
    root = ET.fromstring(svg)
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    image = Image.new("L", (int(width * scale) + 1, int(height * scale) + 1), 255)
    draw = ImageDraw.Draw(image)
    for group in root.iter(f"{SVG}g"):
        for rect in group.iter(f"{SVG}rect"):
            x, y = float(rect.get("x", 0)) * scale, float(rect.get("y", 0)) * scale
            w, h = float(rect.get("width", 0)) * scale, float(rect.get("height", 0)) * scale
            draw.rectangle([x, y, x + w - 1, y + h - 1], fill=0)
    return image


def test_route_sheet_html_shows_every_stop_crate_and_the_map(day: SampleDay) -> None:
    """Each stop's site, ETA and every crate id appear; the map is an inline SVG."""
    html = route_sheets_html(day.sheets)
    for stop in day.sheets[0].stops:
        assert stop.site.name in html and stop.eta.strftime("%H:%M") in html
        for crate in stop.pickups + stop.drops:
            assert crate.crate_id in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="route-map"') == 1
    assert "fredag 27. november 2026" in html


def test_hostile_text_is_escaped_everywhere() -> None:
    """Markup in names, notes, titles and van names is text: no script or img element survives."""
    base = site_for_day(FIXTURE_SITES[1], DAY)
    evil_site = replace(base, name=EVIL, notes=EVIL, address=EVIL)
    crate = CrateRef("K<1>&", "SAN", "BEK", 2)
    sheet = RouteSheet(DAY, EVIL, time(7), time(9), 30, 10.0, base,
                       (SheetStop(1, time(8), evil_site, drops=(crate,)),))  # fmt: skip
    label = CrateLabel("K<1>&", evil_site, base, DAY, EVIL, stop=1)
    pages = [
        route_sheets_html([sheet]),
        crate_labels_html([label], {"K<1>&": [PickListLine(EVIL, EVIL, EVIL, EVIL)]}),
        slips_html([RoutingSlip(EVIL, EVIL, EVIL, EVIL * 300, DAY)]),
    ]
    for html in pages:
        assert "<script>" not in html and "<img" not in html
        assert "&lt;script&gt;" in html
        assert "\x00" not in html and "\u202e" not in html
        assert not ({"script", "img"} & _tags(html))
    assert len(pages[2]) < 20_000  # the 15,000-character title was cut


def test_code128_svg_decodes() -> None:
    """The HTML label's Code 128 reads back as the crate id."""
    image = _raster(str(code128_svg("K261127-01")))
    assert [(r.format.name, r.text) for r in zxingcpp.read_barcodes(image)] == [
        ("Code128", "K261127-01")
    ]


def test_qr_svg_decodes() -> None:
    """The HTML label's QR code reads back as the crate id."""
    image = _raster(str(qr_svg("K261127-01")))
    assert [(r.format.name, r.text) for r in zxingcpp.read_barcodes(image)] == [
        ("QRCode", "K261127-01")
    ]


def test_labels_and_slips_html_list_every_crate_and_item(day: SampleDay) -> None:
    """Every label has its crate id and pick list; every slip its barcode and library number."""
    labels = crate_labels_html(day.labels, day.picklists)
    for label in day.labels:
        assert f"Plukkliste for kasse {label.crate_id}" in labels
        for line in day.picklists[label.crate_id]:
            assert line.barcode in labels
    slips = slips_html(day.slips)
    assert len(re.findall(r'<div class="slip">', slips)) == len(day.slips)
    for slip in day.slips:
        assert slip.barcode in slips
