"""The offline route map: sites placed by coordinates, numbered in order, scale and north shown."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import date, time

import pytest

from transport.documents import RouteSheet, SheetSite, SheetStop
from transport.routemap import layout_route, route_drawing, route_svg
from transport.sample_documents import sample_day

W, H = 500.0, 260.0


def _sheet(stops: list[SheetSite], depot: SheetSite) -> RouteSheet:
    return RouteSheet(
        date(2026, 11, 27), "Bil 1", time(7, 30), time(15, 0), 60, 30.0, depot,
        tuple(SheetStop(i + 1, time(8 + i % 8), site) for i, site in enumerate(stops)),
    )  # fmt: skip


def _haversine_km(a: SheetSite, b: SheetSite) -> float:
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_markers_and_labels_stay_inside_the_box() -> None:
    """Every marker and every label start lies within the map frame."""
    layout = layout_route(sample_day(date(2026, 11, 26)).sheets[0], W, H)
    for m in layout.markers:
        assert m.radius <= m.x <= W - m.radius and m.radius <= m.y <= H - m.radius
    for label in layout.labels:
        assert 0 <= label.x <= W and 0 <= label.y <= H


def test_path_follows_the_visiting_order_from_and_back_to_the_depot() -> None:
    """The drawn line starts at the depot, visits the stops in sequence and returns."""
    sheet = sample_day(date(2026, 11, 26)).sheets[0]
    layout = layout_route(sheet, W, H)
    depot = next(m for m in layout.markers if m.is_depot)
    assert layout.path[0] == layout.path[-1] == (depot.x, depot.y)
    assert len(layout.path) == len(sheet.stops) + 2
    # The depot visits (first and last stop of the sample) are written on the depot square.
    assert depot.text == f"1,{len(sheet.stops)}"


def test_scale_bar_matches_the_geography() -> None:
    """The scale bar's points per km equal the distance between two far sites on the map."""
    sheet = sample_day(date(2026, 11, 26)).sheets[0]
    layout = layout_route(sheet, W, H)
    points_per_km = layout.scale_length / layout.scale_km
    by_text = {m.text: m for m in layout.markers}
    rykkinn = next(s.site for s in sheet.stops if s.site.code == "RYK")
    eik = next(s.site for s in sheet.stops if s.site.code == "EIK")
    seq = {s.site.code: s.sequence for s in sheet.stops}
    a, b = by_text[str(seq["RYK"])], by_text[str(seq["EIK"])]
    drawn = math.hypot(a.true_x - b.true_x, a.true_y - b.true_y) / points_per_km
    assert drawn == pytest.approx(_haversine_km(rykkinn, eik), rel=0.01)
    assert layout.scale_length <= W / 4


def test_close_sites_are_pushed_apart_but_keep_their_true_position() -> None:
    """Bekkestua library and school (200 m apart) get separate, non-overlapping markers."""
    bek = SheetSite("BEK", "Bekkestua bibliotek", 59.9183, 10.5884)
    ska = SheetSite("SKA", "Bekkestua skole", 59.9171, 10.5853)
    eik = SheetSite("EIK", "Eiksmarka bibliotek", 59.9417, 10.6128)
    san = SheetSite("SAN", "Sandvika bibliotek", 59.8897, 10.5225)
    layout = layout_route(_sheet([bek, ska, eik], san), W, H)
    one, two = layout.markers[1], layout.markers[2]
    assert math.hypot(one.x - two.x, one.y - two.y) >= one.radius + two.radius
    assert math.hypot(one.true_x - two.true_x, one.true_y - two.true_y) < one.radius * 2


def test_a_route_that_stays_at_the_depot_still_draws() -> None:
    """Zero extent (one place only) gives a map, not a division by zero."""
    san = SheetSite("SAN", "Sandvika bibliotek", 59.8897, 10.5225)
    drawing = route_drawing(_sheet([san], san), W, H)
    assert drawing.width == W
    assert layout_route(_sheet([san], san), W, H).markers[0].text == "1"


def test_svg_is_well_formed_and_escapes_site_names() -> None:
    """Markup in a site name is text in the SVG; the SVG parses as XML and has N and a scale."""
    evil = SheetSite("X", '<script>alert("x")</script> & Co', 59.9, 10.55)
    san = SheetSite("SAN", "Sandvika bibliotek", 59.8897, 10.5225)
    svg = route_svg(_sheet([evil], san))
    assert "<script>" not in svg
    root = ET.fromstring(svg)
    texts = [el.text for el in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any(t and t.startswith("<script>") for t in texts)  # shown, cut to the name limit
    assert "N" in texts
    assert any(t and t.endswith("km") or t and t.endswith(" m") for t in texts)
