"""The route map on a route sheet, drawn from coordinates alone so it works offline.

No map tiles: production has no internet, and a map that silently comes out blank is worse than
a plain one.  The sites are placed with an equirectangular projection (longitude scaled by the
cosine of the mean latitude, which is accurate to well under 1 % across a municipality), fitted
into the box; the stops are numbered in visiting order and joined by straight lines (order, not
roads), the depot is a square, and a scale bar and a north arrow make distances readable.

`layout_route` is the pure core (numbers in, geometry out); `route_drawing` turns a layout into a
ReportLab drawing for the PDF and `route_svg` into an SVG string for the HTML sheet.  Tiles from a
configured tile server are not implemented.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from transport.documents import RouteSheet, SheetSite, shorten

__all__ = ["MapLabel", "MapLayout", "MapMarker", "layout_route", "route_drawing", "route_svg"]

KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_EQUATOR = 111.320
MIN_SPAN_KM = 1.0  # a route that never leaves one block is still drawn at a sensible scale
PADDING = 26.0  # points between the frame and the outermost site (room for labels)
MARKER_RADIUS = 7.0
LABEL_SIZE = 7.5
NUMBER_SIZE = 7.5
NAME_LIMIT = 28  # characters of a site name on the map; the stop list has the full name
_NICE_KM = (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)

Measure = Callable[[str, float], float]


def _helvetica_width(text: str, size: float) -> float:
    return float(stringWidth(text, "Helvetica", size))


@dataclass(frozen=True)
class MapMarker:
    """One place on the map: the stop numbers visiting it ("3,7"), whether it is the depot."""

    x: float
    y: float
    true_x: float  # where the site really is; markers of close sites are pushed apart
    true_y: float
    text: str
    radius: float
    is_depot: bool


@dataclass(frozen=True)
class MapLabel:
    """A site name placed next to its marker; `anchor` is "start" or "end" (SVG's terms)."""

    x: float
    y: float
    text: str
    anchor: str
    width: float  # measured text width, for the light box that keeps lines from crossing it


@dataclass(frozen=True)
class MapLayout:
    """Everything to draw, in points, origin at the bottom left (PDF's convention)."""

    width: float
    height: float
    path: tuple[tuple[float, float], ...]  # depot, stops in order, depot
    markers: tuple[MapMarker, ...]
    labels: tuple[MapLabel, ...]
    scale_km: float
    scale_length: float
    scale_text: str


def _nice_scale(points_per_km: float, target: float) -> tuple[float, float, str]:
    """The largest round distance whose bar is at most `target` points long."""
    chosen = _NICE_KM[0]
    for km in _NICE_KM:
        if km * points_per_km <= target:
            chosen = km
    text = f"{chosen * 1000:.0f} m" if chosen < 1 else f"{chosen:g} km".replace(".", ",")
    return chosen, chosen * points_per_km, text


def _separate(points: list[list[float]], minimum: float, rounds: int = 60) -> None:
    """Push markers apart (in place) until no two are closer than `minimum` points."""
    for _ in range(rounds):
        moved = False
        for i in range(len(points)):
            for j in range(i + 1, len(points)):
                dx = points[j][0] - points[i][0]
                dy = points[j][1] - points[i][1]
                dist = math.hypot(dx, dy)
                if dist >= minimum:
                    continue
                if dist < 1e-9:  # same spot: split along a fixed direction, deterministic
                    dx, dy, dist = 1.0, 0.3, math.hypot(1.0, 0.3)
                push = (minimum - dist) / 2 + 0.01
                ux, uy = dx / dist, dy / dist
                points[i][0] -= ux * push
                points[i][1] -= uy * push
                points[j][0] += ux * push
                points[j][1] += uy * push
                moved = True
        if not moved:
            return


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Area shared by two boxes (x0, y0, x1, y1)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def layout_route(
    sheet: RouteSheet, width: float, height: float, measure: Measure = _helvetica_width
) -> MapLayout:
    """Place the depot and stops of `sheet` in a `width` × `height` point box.

    `measure(text, size)` gives a text's width; pass the PDF's font metrics for exact labels.
    """
    if width < 4 * PADDING or height < 4 * PADDING:
        raise ValueError(f"map box {width}x{height} is too small")
    sites: list[SheetSite] = [sheet.depot] + [stop.site for stop in sheet.stops]
    lat0 = math.radians(sum(s.lat for s in sites) / len(sites))
    kx = KM_PER_DEGREE_LON_EQUATOR * math.cos(lat0)
    xs = [s.lon * kx for s in sites]
    ys = [s.lat * KM_PER_DEGREE_LAT for s in sites]
    span_x = max(max(xs) - min(xs), MIN_SPAN_KM)
    span_y = max(max(ys) - min(ys), MIN_SPAN_KM)
    scale = min((width - 2 * PADDING) / span_x, (height - 2 * PADDING) / span_y)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def project(lat: float, lon: float) -> tuple[float, float]:
        return (
            width / 2 + (lon * kx - cx) * scale,
            height / 2 + (lat * KM_PER_DEGREE_LAT - cy) * scale,
        )

    # One marker per place: a van may pass the depot or a site twice in a day.
    groups: dict[tuple[float, float], list[int]] = {}
    names: dict[tuple[float, float], str] = {}
    depot_key = (round(sheet.depot.lat, 5), round(sheet.depot.lon, 5))
    groups[depot_key] = []
    names[depot_key] = sheet.depot.name
    for stop in sheet.stops:
        key = (round(stop.site.lat, 5), round(stop.site.lon, 5))
        groups.setdefault(key, []).append(stop.sequence)
        names.setdefault(key, stop.site.name)
    keys = list(groups)
    true_xy = [project(lat, lon) for lat, lon in keys]

    texts = []
    radii = []
    for key in keys:
        numbers = groups[key]
        text = ",".join(str(n) for n in numbers[:3]) + ("…" if len(numbers) > 3 else "")
        if key == depot_key and not numbers:
            text = "D"
        texts.append(text)
        radii.append(max(MARKER_RADIUS, measure(text, NUMBER_SIZE) / 2 + 3))
    moved = [[x, y] for x, y in true_xy]
    _separate(moved, 2 * max(radii) + 1.5)
    for point, radius in zip(moved, radii, strict=True):  # pushed markers stay on the map
        point[0] = min(max(point[0], radius + 1), width - radius - 1)
        point[1] = min(max(point[1], radius + 1), height - radius - 1)

    markers = tuple(
        MapMarker(
            x=moved[i][0],
            y=moved[i][1],
            true_x=true_xy[i][0],
            true_y=true_xy[i][1],
            text=texts[i],
            radius=radii[i],
            is_depot=keys[i] == depot_key,
        )
        for i in range(len(keys))
    )
    position = {key: (m.x, m.y) for key, m in zip(keys, markers, strict=True)}
    path = [position[depot_key]]
    path += [position[(round(s.site.lat, 5), round(s.site.lon, 5))] for s in sheet.stops]
    path.append(position[depot_key])

    labels = _place_labels(keys, names, markers, width, height, measure)
    scale_km, scale_length, scale_text = _nice_scale(scale, width / 4)
    return MapLayout(
        width=width,
        height=height,
        path=tuple(path),
        markers=markers,
        labels=labels,
        scale_km=scale_km,
        scale_length=scale_length,
        scale_text=scale_text,
    )


def _place_labels(
    keys: list[tuple[float, float]],
    names: dict[tuple[float, float], str],
    markers: tuple[MapMarker, ...],
    width: float,
    height: float,
    measure: Measure,
) -> tuple[MapLabel, ...]:
    """Greedy placement: for each marker the first of eight spots that collides with nothing."""
    taken = [(m.x - m.radius, m.y - m.radius, m.x + m.radius, m.y + m.radius) for m in markers]
    # Keep the corners for the north arrow (top right) and the scale bar (bottom left).
    taken.append((width - 30, height - 42, width, height))
    taken.append((0, 0, width / 4 + 20, 26))
    labels = []
    for key, marker in zip(keys, markers, strict=True):
        text = shorten(names[key], NAME_LIMIT)
        w = measure(text, LABEL_SIZE)
        h = LABEL_SIZE
        r = marker.radius + 2
        candidates = [
            (marker.x + r, marker.y - h / 3, "start"),
            (marker.x - r, marker.y - h / 3, "end"),
            (marker.x + r * 0.7, marker.y + r * 0.8, "start"),
            (marker.x - r * 0.7, marker.y + r * 0.8, "end"),
            (marker.x + r * 0.7, marker.y - r * 0.8 - h, "start"),
            (marker.x - r * 0.7, marker.y - r * 0.8 - h, "end"),
            (marker.x - w / 2, marker.y + r + 1, "start"),
            (marker.x - w / 2, marker.y - r - h - 1, "start"),
        ]
        best: tuple[float, MapLabel, tuple[float, float, float, float]] | None = None
        for x, y, anchor in candidates:
            x0 = x if anchor == "start" else x - w
            box = (x0, y - 2, x0 + w, y + h)
            # Shift into the frame rather than let a name run off the map.
            shift_x = max(0.0, 2 - box[0]) - max(0.0, box[2] - (width - 2))
            shift_y = max(0.0, 2 - box[1]) - max(0.0, box[3] - (height - 2))
            box = (box[0] + shift_x, box[1] + shift_y, box[2] + shift_x, box[3] + shift_y)
            cost = sum(_overlap(box, other) for other in taken) + abs(shift_x) + abs(shift_y)
            label = MapLabel(x + shift_x, y + shift_y, text, anchor, w)
            if best is None or cost < best[0]:
                best = (cost, label, box)
            if cost == 0:
                break
        assert best is not None
        labels.append(best[1])
        taken.append(best[2])
    return tuple(labels)


def _north_arrow(width: float, height: float) -> tuple[list[float], tuple[float, float]]:
    """Triangle points and the position of the "N" in the top right corner."""
    x, y = width - 16, height - 36
    return [x - 6, y, x, y + 18, x + 6, y], (x, y + 21)


def route_drawing(
    sheet: RouteSheet,
    width: float,
    height: float,
    font: str = "Helvetica",
    bold_font: str = "Helvetica-Bold",
) -> Drawing:
    """The map of `sheet` as a ReportLab drawing (black and white, prints on any laser)."""

    def measure(text: str, size: float) -> float:
        return float(stringWidth(text, font, size))

    layout = layout_route(sheet, width, height, measure)
    drawing = Drawing(width, height)
    drawing.add(Rect(0, 0, width, height, strokeColor=colors.black, strokeWidth=0.8,
                     fillColor=colors.Color(0.97, 0.97, 0.97)))  # fmt: skip
    path = layout.path
    for i in range(len(path) - 1):
        (x0, y0), (x1, y1) = path[i], path[i + 1]
        last = i == len(path) - 2
        drawing.add(Line(x0, y0, x1, y1, strokeColor=colors.Color(0.25, 0.25, 0.25),
                         strokeWidth=1.0 if last else 1.4,
                         strokeDashArray=[3, 2] if last else None))  # fmt: skip
    for marker in layout.markers:
        group = Group()
        if math.hypot(marker.x - marker.true_x, marker.y - marker.true_y) > 1:
            group.add(Line(marker.true_x, marker.true_y, marker.x, marker.y,
                           strokeColor=colors.black, strokeWidth=0.4))  # fmt: skip
            group.add(Circle(marker.true_x, marker.true_y, 1.2, fillColor=colors.black,
                             strokeColor=None))  # fmt: skip
        r = marker.radius
        if marker.is_depot:
            group.add(Rect(marker.x - r, marker.y - r, 2 * r, 2 * r, fillColor=colors.black,
                           strokeColor=colors.black))  # fmt: skip
            text_colour = colors.white
        else:
            group.add(Circle(marker.x, marker.y, r, fillColor=colors.white,
                             strokeColor=colors.black, strokeWidth=1.2))  # fmt: skip
            text_colour = colors.black
        group.add(String(marker.x, marker.y - NUMBER_SIZE / 2 + 1.2, marker.text,
                         fontName=bold_font, fontSize=NUMBER_SIZE, fillColor=text_colour,
                         textAnchor="middle"))  # fmt: skip
        drawing.add(group)
    halo = colors.Color(0.97, 0.97, 0.97, alpha=0.85)
    for label in layout.labels:
        x0 = label.x if label.anchor == "start" else label.x - label.width
        drawing.add(Rect(x0 - 1, label.y - 2, label.width + 2, LABEL_SIZE + 2.5, fillColor=halo,
                         strokeColor=None))  # fmt: skip
        drawing.add(String(label.x, label.y, label.text, fontName=font, fontSize=LABEL_SIZE,
                           fillColor=colors.black, textAnchor=label.anchor))  # fmt: skip
    triangle, (nx, ny) = _north_arrow(width, height)
    drawing.add(Polygon(triangle, fillColor=colors.black, strokeColor=colors.black))
    drawing.add(String(nx, ny, "N", fontName=bold_font, fontSize=9, textAnchor="middle"))
    x, y, n = 10.0, 10.0, 2
    step = layout.scale_length / n
    for i in range(n):
        drawing.add(Rect(x + i * step, y, step, 4, strokeColor=colors.black, strokeWidth=0.6,
                         fillColor=colors.black if i % 2 == 0 else colors.white))  # fmt: skip
    drawing.add(String(x, y + 7, "0", fontName=font, fontSize=7))
    drawing.add(String(x + layout.scale_length, y + 7, layout.scale_text, fontName=font,
                       fontSize=7, textAnchor="middle"))  # fmt: skip
    note = "Rette linjer viser rekkefølgen, ikke veien"
    drawing.add(String(width - 6, 6, note, fontName=font, fontSize=6.5, textAnchor="end",
                       fillColor=colors.Color(0.3, 0.3, 0.3)))  # fmt: skip
    return drawing


def route_svg(sheet: RouteSheet, width: float = 560, height: float = 300) -> str:
    """The map of `sheet` as an inline `<svg>` element; every text node is XML-escaped."""
    layout = layout_route(sheet, width, height)

    def fy(y: float) -> float:  # SVG's y axis points down
        return round(height - y, 2)

    def r2(v: float) -> float:
        return round(v, 2)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="route-map" viewBox="0 0 {width:g} '
        f'{height:g}" width="{width:g}" height="{height:g}" role="img" '
        f'aria-label="Kart over ruten" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">',
        f'<rect x="0" y="0" width="{width:g}" height="{height:g}" fill="#f7f7f7" '
        'stroke="#000" stroke-width="0.8"/>',
    ]
    path = layout.path
    for i in range(len(path) - 1):
        (x0, y0), (x1, y1) = path[i], path[i + 1]
        last = i == len(path) - 2
        dash = ' stroke-dasharray="3 2"' if last else ""
        out.append(
            f'<line x1="{r2(x0)}" y1="{fy(y0)}" x2="{r2(x1)}" y2="{fy(y1)}" stroke="#404040" '
            f'stroke-width="{1.0 if last else 1.4}"{dash}/>'
        )
    for m in layout.markers:
        if math.hypot(m.x - m.true_x, m.y - m.true_y) > 1:
            out.append(
                f'<line x1="{r2(m.true_x)}" y1="{fy(m.true_y)}" x2="{r2(m.x)}" y2="{fy(m.y)}" '
                'stroke="#000" stroke-width="0.4"/>'
                f'<circle cx="{r2(m.true_x)}" cy="{fy(m.true_y)}" r="1.2" fill="#000"/>'
            )
        r = m.radius
        if m.is_depot:
            out.append(
                f'<rect x="{r2(m.x - r)}" y="{fy(m.y + r)}" width="{r2(2 * r)}" '
                f'height="{r2(2 * r)}" fill="#000"/>'
            )
        else:
            out.append(
                f'<circle cx="{r2(m.x)}" cy="{fy(m.y)}" r="{r2(r)}" fill="#fff" stroke="#000" '
                'stroke-width="1.2"/>'
            )
        fill = "#fff" if m.is_depot else "#000"
        out.append(
            f'<text x="{r2(m.x)}" y="{fy(m.y - NUMBER_SIZE / 2 + 1.2)}" font-size="{NUMBER_SIZE}" '
            f'font-weight="bold" text-anchor="middle" fill="{fill}">{escape(m.text)}</text>'
        )
    for label in layout.labels:
        x0 = label.x if label.anchor == "start" else label.x - label.width
        out.append(
            f'<rect x="{r2(x0 - 1)}" y="{fy(label.y + LABEL_SIZE + 0.5)}" '
            f'width="{r2(label.width + 2)}" height="{LABEL_SIZE + 2.5}" fill="#f7f7f7" '
            'fill-opacity="0.85"/>'
        )
        out.append(
            f'<text x="{r2(label.x)}" y="{fy(label.y)}" font-size="{LABEL_SIZE}" '
            f'text-anchor="{label.anchor}">{escape(label.text)}</text>'
        )
    triangle, (nx, ny) = _north_arrow(width, height)
    points = " ".join(
        f"{r2(triangle[i])},{fy(triangle[i + 1])}" for i in range(0, len(triangle), 2)
    )
    out.append(f'<polygon points="{points}" fill="#000"/>')
    out.append(
        f'<text x="{r2(nx)}" y="{fy(ny)}" font-size="9" font-weight="bold" '
        'text-anchor="middle">N</text>'
    )
    step = layout.scale_length / 2
    for i in range(2):
        fill = "#000" if i % 2 == 0 else "#fff"
        out.append(
            f'<rect x="{r2(10 + i * step)}" y="{fy(14)}" width="{r2(step)}" height="4" '
            f'fill="{fill}" stroke="#000" stroke-width="0.6"/>'
        )
    out.append(f'<text x="10" y="{fy(17)}" font-size="7">0</text>')
    out.append(
        f'<text x="{r2(10 + layout.scale_length)}" y="{fy(17)}" font-size="7" '
        f'text-anchor="middle">{escape(layout.scale_text)}</text>'
    )
    out.append(
        f'<text x="{r2(width - 6)}" y="{fy(6)}" font-size="6.5" text-anchor="end" fill="#4d4d4d">'
        "Rette linjer viser rekkefølgen, ikke veien</text>"
    )
    out.append("</svg>")
    return "\n".join(out)
