"""The same documents as `transport.sheets`, as HTML pages for the web UI.

Jinja2 with autoescaping on for every template: titles and notes from MARC records and config
files are shown as typed, never interpreted (`<script>` in a title prints as text).  The only
markup inserted unescaped is SVG built here from numbers (barcode bars, QR modules) and the route
map from `transport.routemap.route_svg`, which escapes its own text.

The templates are inline rather than files under `bokflyt/templates/` because `transport` must not
depend on `bokflyt`; the web app wraps these strings in its own layout or serves them as they are
(each is a complete page with print CSS).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import segno
from jinja2 import DictLoader, Environment, StrictUndefined
from markupsafe import Markup
from reportlab.graphics.barcode.code128 import Code128

from transport.documents import (
    CrateLabel,
    PickListLine,
    RouteSheet,
    RoutingSlip,
    format_date_nb,
    format_km,
    format_minutes,
    format_time,
    printable,
    shorten,
)
from transport.routemap import route_svg

__all__ = ["code128_svg", "crate_labels_html", "qr_svg", "route_sheets_html", "slips_html"]

_BASE = """<!doctype html>
<html lang="nb">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<style>
  body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #000; margin: 1.5em; }
  header.band { display: flex; justify-content: space-between; border-bottom: 2px solid #000;
                margin-bottom: .8em; }
  header.band h1 { font-size: 1.5em; margin: 0; }
  .route-map { width: 100%; height: auto; margin: .6em 0; }
  .figures { display: grid; grid-template-columns: repeat(6, 1fr); border: 1px solid #000; }
  .figures div { border-right: 1px solid #000; padding: .2em .4em; }
  .figures small { display: block; color: #444; font-size: .7em; }
  .figures b { font-size: 1.3em; }
  .stop { border: 1px solid #000; margin: .8em 0; break-inside: avoid; }
  .stop > .head { display: grid; grid-template-columns: 3em 5em 1fr 12em; background: #e0e0e0; }
  .stop .no { background: #000; color: #fff; font-size: 1.6em; font-weight: bold;
              text-align: center; }
  .stop .eta { font-size: 1.3em; font-weight: bold; padding: .2em; }
  .stop .site { padding: .2em; overflow-wrap: anywhere; }
  .stop .note { font-weight: bold; }
  table { border-collapse: collapse; width: 100%; }
  td, th { border-bottom: 1px solid #999; padding: .15em .4em; text-align: left;
           overflow-wrap: anywhere; }
  .tick { width: 1em; height: 1em; border: 1.5px solid #000; display: inline-block; }
  .label { border: 3px solid #000; padding: 1em; margin-bottom: 1em; break-after: page; }
  .label .dest { font-size: 2.2em; font-weight: bold; overflow-wrap: anywhere; }
  .label .number, .slip .number { font-size: 5em; font-weight: bold; line-height: 1; }
  .slips { display: grid; grid-template-columns: repeat(3, 1fr); }
  .slip { border: 1px dashed #555; padding: .8em; min-height: 18em; overflow-wrap: anywhere; }
  .slip .number { font-size: 2.6em; }
  @media print { body { margin: 0; } .stop, .slip { break-inside: avoid; } }
</style>
</head>
<body>
{% block body %}{% endblock %}
</body>
</html>
"""

_ROUTES = """{% extends "base.html" %}
{% block body %}
{% for sheet in sheets %}
<section class="route-sheet">
  <header class="band">
    <div><h1>KJØRELISTE</h1>{{ sheet.day | date_nb }}</div>
    <div><h1>{{ sheet.van | short(40) }}</h1></div>
  </header>
  <div class="figures">
    <div><small>Start</small><b>{{ sheet.start | hhmm }}</b></div>
    <div><small>Slutt</small><b>{{ sheet.end | hhmm }}</b></div>
    <div><small>Kjøretid</small><b>{{ sheet.driving_minutes | minutes }}</b></div>
    <div><small>Distanse</small><b>{{ sheet.driving_km | km }}</b></div>
    <div><small>Stopp</small><b>{{ sheet.stops | length }}</b></div>
    <div><small>Kasser</small><b>{{ sheet.crate_count }}</b></div>
  </div>
  <p>Start og slutt: {{ sheet.depot.name | short(80) }}{% if sheet.depot.address %},
    {{ sheet.depot.address | short(120) }}{% endif %}</p>
  {{ maps[loop.index0] }}
  {% set names = site_names[loop.index0] %}
  {% for stop in sheet.stops %}
  <article class="stop">
    <div class="head">
      <div class="no">{{ stop.sequence }}</div>
      <div class="eta">{{ stop.eta | hhmm }}</div>
      <div class="site">
        <strong>{{ stop.site.name | short(80) }}</strong><br>
        {% if stop.site.address %}{{ stop.site.address | short(120) }}<br>{% endif %}
        {% if stop.site.library_number %}Bibl.nr. {{ stop.site.library_number | short(20) }}
        · {% endif %}Åpent i dag: {{ (stop.site.hours_today | clean) or "ukjent" }}
        {% if stop.site.notes %}<div class="note">Merk: {{ stop.site.notes | short(300) }}</div>
        {% endif %}
      </div>
      <div>Lever {{ stop.drops | length }} · Hent {{ stop.pickups | length }} kasser<br>
        <span class="tick"></span> Utført<br>Signatur: ____________</div>
    </div>
    {% if stop.drops or stop.pickups %}
    <table>
      {% for action, crates, prefix in [("LEVER", stop.drops, "fra"),
                                        ("HENT", stop.pickups, "til")] %}
      {% for crate in crates %}
      {% set code = crate.origin if prefix == "fra" else crate.destination %}
      <tr><th>{% if loop.first %}{{ action }}{% endif %}</th>
        <td><strong>{{ crate.crate_id }}</strong></td>
        <td>{{ prefix }} {% if code in names %}{{ names[code] | short(60) }} ({{ code }})
          {%- else %}{{ code | short(40) }}{% endif %}</td>
        <td>{{ crate.items }} eks.</td><td><span class="tick"></span></td></tr>
      {% endfor %}
      {% endfor %}
    </table>
    {% endif %}
  </article>
  {% endfor %}
</section>
{% endfor %}
{% endblock %}
"""

_LABELS = """{% extends "base.html" %}
{% block body %}
{% for label in labels %}
<section class="label">
  <small>TIL</small>
  <div class="dest">{{ label.destination.name | short(80) }}</div>
  <div class="number">
    {{- (label.destination.library_number | clean) or label.destination.code -}}
  </div>
  <p>Fra <strong>{{ label.origin.name | short(80) }}</strong>
    · {{ label.day | date_nb }} · {{ label.van | short(40) }}
    {% if label.stop %}· stopp {{ label.stop }}{% endif %}
    {% if label.item_count is not none %}· {{ label.item_count }} eksemplarer{% endif %}</p>
  <div class="codes">{{ bars[loop.index0] }} {{ qrs[loop.index0] }}</div>
  <div><small>KASSE</small> <strong>{{ label.crate_id }}</strong></div>
</section>
<section class="picklist">
  <h2>Plukkliste for kasse {{ label.crate_id }}</h2>
  {% set lines = picklists.get(label.crate_id, []) %}
  {% if lines %}
  <table>
    <tr><th>Nr</th><th>Strekkode</th><th>Tittel</th><th>Hylle</th><th>Står på</th><th></th></tr>
    {% for line in lines %}
    <tr><td>{{ loop.index }}</td><td>{{ line.barcode | short(40) }}</td>
      <td>{{ line.title | short(120) }}</td><td>{{ line.call_number | short(40) }}</td>
      <td>{{ line.shelf_site | short(40) }}</td><td><span class="tick"></span></td></tr>
    {% endfor %}
  </table>
  {% else %}<p>Ingen eksemplarer registrert for denne kassen.</p>{% endif %}
</section>
{% endfor %}
{% endblock %}
"""

_SLIPS = """{% extends "base.html" %}
{% block body %}
<div class="slips">
{% for slip in slips %}
  <div class="slip">
    <small>TIL BIBLIOTEK</small>
    <div class="number">{{ slip.destination_library_number | short(20) }}</div>
    <strong>{{ slip.destination_name | short(80) }}</strong>
    <hr>
    <p>{{ slip.title | short(200) }}</p>
    <p><strong>{{ slip.barcode | short(40) }}</strong><br>
      <small>Sendt {{ slip.day.strftime("%d.%m.%Y") }}</small></p>
  </div>
{% endfor %}
</div>
{% endblock %}
"""


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """Built on first use, never at import; autoescape is on for every template."""
    env = Environment(
        loader=DictLoader(
            {
                "base.html": _BASE,
                "routes.html": _ROUTES,
                "labels.html": _LABELS,
                "slips.html": _SLIPS,
            }
        ),  # fmt: skip
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        clean=printable,
        short=shorten,
        date_nb=format_date_nb,
        hhmm=format_time,
        minutes=format_minutes,
        km=format_km,
    )
    return env


def code128_svg(value: str, module: float = 1.6, height: float = 60) -> Markup:
    """`value` as a Code 128 symbol drawn with SVG rectangles (quiet zones included)."""
    symbol = Code128(value, barWidth=1, humanReadable=False, quiet=False)
    symbol.validate()
    symbol.encode()
    symbol.decompose()
    quiet = 10 * module
    x = quiet
    rects = []
    for char in symbol.decomposed:  # upper case: a bar, lower case: a space; letter = width
        width = (ord(char.upper()) - ord("A") + 1) * module
        if char.isupper():
            rects.append(f'<rect x="{x:.2f}" y="0" width="{width:.2f}" height="{height:g}"/>')
        x += width
    total = x + quiet
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="code128" width="{total:.0f}" '
        f'height="{height:g}" viewBox="0 0 {total:.2f} {height:g}" role="img" '
        f'aria-label="Strekkode"><rect width="100%" height="100%" fill="#fff"/>'
        f'<g fill="#000">{"".join(rects)}</g></svg>'
    )


def qr_svg(value: str, module: float = 4) -> Markup:
    """`value` as a full QR code (level M; never Micro QR, which phones do not read), as SVG."""
    matrix = segno.make(value, error="m", micro=False, boost_error=False).matrix
    border = 4
    size = (len(matrix) + 2 * border) * module
    rects = [
        f'<rect x="{(c + border) * module:g}" y="{(r + border) * module:g}" '
        f'width="{module:g}" height="{module:g}"/>'
        for r, row in enumerate(matrix)
        for c, dark in enumerate(row)
        if dark
    ]
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="qr" width="{size:g}" height="{size:g}" '
        f'viewBox="0 0 {size:g} {size:g}" role="img" aria-label="QR-kode">'
        f'<rect width="100%" height="100%" fill="#fff"/><g fill="#000">{"".join(rects)}</g></svg>'
    )


def route_sheets_html(sheets: Sequence[RouteSheet]) -> str:
    """The route sheets as one HTML page, each with its SVG map."""
    site_names = [
        {s.code: s.name for s in [sheet.depot] + [stop.site for stop in sheet.stops]}
        for sheet in sheets
    ]
    maps = [Markup(route_svg(sheet)) for sheet in sheets]
    title = f"Kjøreliste {sheets[0].day.isoformat()}" if sheets else "Kjøreliste"
    return (
        _environment()
        .get_template("routes.html")
        .render(title=title, sheets=sheets, maps=maps, site_names=site_names)
    )


def crate_labels_html(
    labels: Sequence[CrateLabel], picklists: Mapping[str, Sequence[PickListLine]]
) -> str:
    """The crate labels, each followed by its pick list, as one HTML page."""
    title = f"Kasseetiketter {labels[0].day.isoformat()}" if labels else "Kasseetiketter"
    return (
        _environment()
        .get_template("labels.html")
        .render(
            title=title,
            labels=labels,
            picklists=picklists,
            bars=[code128_svg(label.crate_id) for label in labels],
            qrs=[qr_svg(label.crate_id) for label in labels],
        )
    )


def slips_html(slips: Sequence[RoutingSlip]) -> str:
    """The routing slips as one HTML page (three across when printed)."""
    title = f"Transportlapper {slips[0].day.isoformat()}" if slips else "Transportlapper"
    return _environment().get_template("slips.html").render(title=title, slips=slips)
