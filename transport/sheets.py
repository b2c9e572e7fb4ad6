"""The paper of a transport day as PDF: route sheets, crate labels with pick lists, routing slips.

A4, black and white, bokmål.  Three entry points, each a pure function of `transport.documents`
values and an output (a path or a binary file):

* `render_route_sheets(sheets, out)` -- per van: header on every page ("Side 2 av 3"), the
  day's figures and the route map on page 1, then each stop with ETA, site, opening hours,
  delivery notes, crates to drop and collect, a tick box and a signature line.
* `render_crate_labels(labels, picklists, out)` -- per crate: an A4 label (destination and its
  library number large, Code 128 and QR code of the crate id), then that crate's pick list.
* `render_slips(slips, out)` -- six routing slips per A4 page, to cut and put in the books.

Text from MARC records and config files can hold anything.  All of it goes through
`documents.printable` and is cut to measured widths by `fit_lines` (ellipsis on the last
line) before layout, so nothing overflows its box; text that reaches a ReportLab `Paragraph` is
also XML-escaped, so `<b>` or `&amp;` in a title prints as typed.  Text is laid out in logical
order: right-to-left scripts are not reordered.

Fonts: DejaVu Sans (Debian `fonts-dejavu-core`) when found, else Bitstream Vera from ReportLab's
own package (Latin-1: æøå, not Sámi letters), else Helvetica.  Registered on first use, never at
import.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from transport.documents import (
    ELLIPSIS,
    CrateLabel,
    CrateRef,
    PickListLine,
    RouteSheet,
    RoutingSlip,
    SheetStop,
    format_date_nb,
    format_km,
    format_minutes,
    format_time,
    printable,
)
from transport.routemap import route_drawing

__all__ = [
    "Fonts",
    "fit_lines",
    "fonts",
    "render_crate_labels",
    "render_route_sheets",
    "render_slips",
]

log = logging.getLogger(__name__)

Output = Path | BinaryIO

PAGE_W, PAGE_H = A4
MARGIN = 14 * mm
HEADER_H = 17 * mm  # the band at the top of every page, above the frame
FOOTER_H = 10 * mm
FRAME_W = PAGE_W - 2 * MARGIN
GREY = colors.Color(0.88, 0.88, 0.88)
DARK = colors.Color(0.3, 0.3, 0.3)

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),  # Fedora, Arch
)
# Text longer than this never reaches the layout, so a 100 kB "title" costs nothing.
MAX_INPUT_CHARS = 600


# --- fonts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fonts:
    """The registered font names; `unicode` is False for Helvetica (WinAnsi only)."""

    regular: str
    bold: str
    unicode: bool


def _register(name: str, path: Path) -> None:
    pdfmetrics.registerFont(TTFont(name, str(path)))


@lru_cache(maxsize=1)
def fonts() -> Fonts:
    """Register the best available font once; see the module docstring for the order."""
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            try:
                _register("BokflytSans", regular)
                _register("BokflytSans-Bold", bold)
                return Fonts("BokflytSans", "BokflytSans-Bold", True)
            except Exception as exc:  # a broken font file must not stop the van
                log.warning("cannot use DejaVu fonts in %s: %s", folder, exc)
    import reportlab

    bundled = Path(reportlab.__file__).parent / "fonts"
    try:
        _register("BokflytVera", bundled / "Vera.ttf")
        _register("BokflytVera-Bold", bundled / "VeraBd.ttf")
        log.warning("DejaVu Sans not found (Debian: fonts-dejavu-core); using Vera, Latin-1 only")
        return Fonts("BokflytVera", "BokflytVera-Bold", True)
    except Exception as exc:
        log.warning("no TrueType font usable (%s); using Helvetica, WinAnsi only", exc)
        return Fonts("Helvetica", "Helvetica-Bold", False)


def _text(value: str) -> str:
    """Printable text the current font can encode (Helvetica: cp1252 with '?' for the rest)."""
    clean = printable(value[: MAX_INPUT_CHARS * 2])
    if not fonts().unicode:
        clean = clean.encode("cp1252", "replace").decode("cp1252")
    return clean


# --- fitting text into boxes --------------------------------------------------------------------


def _width(text: str, font: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, font, size))


def _fitting_prefix(text: str, font: str, size: float, width: float, suffix: str = "") -> int:
    """The largest n such that `text[:n] + suffix` is at most `width` points wide."""
    lo, hi = 0, len(text)
    while lo < hi:  # binary search: widths grow with the prefix
        mid = (lo + hi + 1) // 2
        if _width(text[:mid] + suffix, font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _with_ellipsis(text: str, font: str, size: float, width: float) -> str:
    """`text` cut so that it and a trailing "…" fit in `width`."""
    text = text.rstrip()
    n = _fitting_prefix(text, font, size, width, ELLIPSIS)
    return text[:n].rstrip() + ELLIPSIS


def fit_lines(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Wrap `text` into at most `max_lines` lines no wider than `width` points.

    Words longer than a line are broken; if the text does not fit, the last line ends in "…".
    Always returns at least one line (possibly empty).
    """
    clean = _text(text)
    overflow = len(clean) > MAX_INPUT_CHARS
    lines: list[str] = []
    current = ""
    words = clean[:MAX_INPUT_CHARS].split(" ")
    for index, word in enumerate(words):
        candidate = f"{current} {word}" if current else word
        if _width(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while _width(word, font, size) > width:  # a "word" wider than the line: break it
            n = max(1, _fitting_prefix(word, font, size, width))
            lines.append(word[:n])
            word = word[n:]
        current = word
        if len(lines) >= max_lines:
            overflow = overflow or bool(current) or index + 1 < len(words)
            break
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        overflow = True
        lines = lines[:max_lines]
    if overflow and lines:
        lines[-1] = _with_ellipsis(lines[-1], font, size, width)
    return lines or [""]


def fit_size(text: str, font: str, largest: float, smallest: float, width: float) -> float:
    """The largest font size (down to `smallest`) at which `text` fits on one line."""
    size = largest
    while size > smallest and _width(text, font, size) > width:
        size -= 1
    return size


def _para(lines: Iterable[str], style: ParagraphStyle) -> Paragraph:
    """A Paragraph of pre-fitted lines; escaped, so markup in the data prints literally."""
    return Paragraph("<br/>".join(escape(line) for line in lines), style)


def _style(name: str, size: float, *, bold: bool = False, leading: float | None = None,
           colour: Any = colors.black) -> ParagraphStyle:  # fmt: skip
    f = fonts()
    return ParagraphStyle(
        name,
        fontName=f.bold if bold else f.regular,
        fontSize=size,
        leading=leading or size * 1.22,
        textColor=colour,
        splitLongWords=True,
    )


# --- page furniture shared by the documents ---------------------------------------------------


class _Mark(Flowable):
    """Invisible: tells the page callbacks which document part the following pages belong to."""

    def __init__(self, part: int) -> None:
        super().__init__()
        self.part = part
        self.width = self.height = 0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.canv.bokflyt_part = self.part


class _TickBox(Flowable):
    """An empty square to tick by hand, optionally with a signature line below."""

    def __init__(self, side: float, signature_width: float = 0, caption: str = "") -> None:
        super().__init__()
        self.side = side
        self.signature_width = signature_width
        self.caption = caption
        self.width = max(side, signature_width)
        self.height = side + (9 * mm if signature_width else 0)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        c.setLineWidth(1.1)
        c.rect(0, self.height - self.side, self.side, self.side, stroke=1, fill=0)
        if self.caption:
            c.setFont(fonts().regular, 8.5)
            c.drawString(self.side + 2 * mm, self.height - self.side / 2 - 3, self.caption)
        if self.signature_width:
            c.setLineWidth(0.6)
            c.line(0, 2 * mm, self.signature_width, 2 * mm)
            c.setFont(fonts().regular, 6.5)
            c.drawString(0, -0.5 * mm, "Signatur")


@dataclass
class _Parts:
    """Page bookkeeping for "Side n av N" per part (van, crate) of a document."""

    first_page: dict[int, int]
    page_count: dict[int, int]

    def page_of(self, part: int, page: int) -> int:
        """Record `page` as belonging to `part`; its number within the part."""
        first = self.first_page.setdefault(part, page)
        self.page_count[part] = max(self.page_count.get(part, 0), page - first + 1)
        return page - first + 1


Header = Callable[[Canvas, int, int, int | None], None]  # canvas, part, page in part, of


def _build(story: list[Flowable], out: Output, header: Header, title: str) -> None:
    """Build twice: the first pass counts each part's pages so headers can say "av N"."""
    counts: dict[int, int] = {}
    for final in (False, True):
        parts = _Parts({}, {})

        def on_page_end(
            canvas: Canvas,
            doc: BaseDocTemplate,
            parts: _Parts = parts,
            totals: dict[int, int] | None = (counts if final else None),
        ) -> None:
            part = getattr(canvas, "bokflyt_part", 0)
            number = parts.page_of(part, doc.page)
            header(canvas, part, number, totals.get(part) if totals else None)

        target: Any = io.BytesIO() if not final else (str(out) if isinstance(out, Path) else out)
        doc = BaseDocTemplate(
            target,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN + HEADER_H,
            bottomMargin=MARGIN + FOOTER_H,
            title=title,
            author="bokflyt",
            creator="bokflyt",
            invariant=True,
            lang="nb-NO",
        )
        body_h = PAGE_H - 2 * MARGIN - HEADER_H - FOOTER_H
        frame = Frame(MARGIN, MARGIN + FOOTER_H, FRAME_W, body_h, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)  # fmt: skip
        doc.addPageTemplates([PageTemplate("page", [frame], onPageEnd=on_page_end)])
        doc.build(list(story))
        counts = dict(parts.page_count)


def _header_band(canvas: Canvas, left_big: str, right_big: str, left_small: str,
                 right_small: str) -> None:  # fmt: skip
    """The band on top of every page: what this is (left) and whose it is (right)."""
    f = fonts()
    top = PAGE_H - MARGIN
    width = FRAME_W / 2 - 4 * mm
    canvas.saveState()
    canvas.setFont(f.bold, 16)
    canvas.drawString(MARGIN, top - 16, fit_lines(left_big, f.bold, 16, width, 1)[0])
    canvas.drawRightString(PAGE_W - MARGIN, top - 16, fit_lines(right_big, f.bold, 16, width, 1)[0])
    canvas.setFont(f.regular, 10)
    canvas.drawString(MARGIN, top - 30, fit_lines(left_small, f.regular, 10, width, 1)[0])
    canvas.drawRightString(PAGE_W - MARGIN, top - 30,
                           fit_lines(right_small, f.regular, 10, width, 1)[0])  # fmt: skip
    canvas.setLineWidth(1.5)
    canvas.line(MARGIN, top - HEADER_H + 8, PAGE_W - MARGIN, top - HEADER_H + 8)
    canvas.restoreState()


def _footer(canvas: Canvas, text: str) -> None:
    f = fonts()
    canvas.saveState()
    canvas.setFont(f.regular, 7.5)
    canvas.setFillColor(DARK)
    canvas.drawString(MARGIN, MARGIN, fit_lines(text, f.regular, 7.5, FRAME_W, 1)[0])
    canvas.restoreState()


def _page_text(number: int, total: int | None) -> str:
    return f"Side {number} av {total}" if total else f"Side {number}"


# --- route sheets -------------------------------------------------------------------------------

STOP_COLS = (13 * mm, 21 * mm, FRAME_W - 80 * mm, 46 * mm)  # number, ETA, site, receipt
CRATE_INDENT = STOP_COLS[0] + STOP_COLS[1]
# action, crate, from/to, items, tick
CRATE_COLS = (16 * mm, 32 * mm, FRAME_W - CRATE_INDENT - 75 * mm, 17 * mm, 10 * mm)
MAP_H = 92 * mm


def _summary(sheet: RouteSheet) -> Table:
    """The day's figures as label-over-value cells, readable at arm's length."""
    label = _style("sum-label", 7.5, colour=DARK)
    value = _style("sum-value", 13, bold=True)
    f = fonts()
    cell_w = FRAME_W / 6
    figures = [
        ("Start", format_time(sheet.start)),
        ("Slutt", format_time(sheet.end)),
        ("Kjøretid", format_minutes(sheet.driving_minutes)),
        ("Distanse", format_km(sheet.driving_km)),
        ("Stopp", str(len(sheet.stops))),
        ("Kasser", str(sheet.crate_count)),
    ]
    cells = [
        [_para([name], label), _para(fit_lines(text, f.bold, 13, cell_w - 8, 1), value)]
        for name, text in figures
    ]
    table = Table([cells], colWidths=[cell_w] * 6)
    table.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 1, colors.black),
        ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))  # fmt: skip
    return table


def _site_cell(stop: SheetStop, width: float) -> list[Flowable]:
    f = fonts()
    site = stop.site
    name = _style("site-name", 12, bold=True)
    small = _style("site-small", 8.5)
    note = _style("site-note", 8.5, bold=True)
    cell: list[Flowable] = [_para(fit_lines(site.name, f.bold, 12, width, 2), name)]
    if site.address:
        cell.append(_para(fit_lines(site.address, f.regular, 8.5, width, 2), small))
    facts = []
    if site.library_number:
        facts.append(f"Bibl.nr. {site.library_number}")
    facts.append(f"Åpent i dag: {site.hours_today or 'ukjent'}")
    cell.append(_para(fit_lines("  ·  ".join(facts), f.regular, 8.5, width, 2), small))
    if site.notes:
        cell.append(_para(fit_lines("Merk: " + site.notes, f.bold, 8.5, width, 4), note))
    return cell


def _crate_rows(stop: SheetStop, names: Mapping[str, str]) -> list[list[Any]]:
    f = fonts()
    rows: list[list[Any]] = []
    other_w = CRATE_COLS[2] - 6

    def line(crate: CrateRef, other: str) -> list[Any]:
        return [
            "",
            fit_lines(crate.crate_id, f.bold, 9, CRATE_COLS[1] - 6, 1)[0],
            fit_lines(other, f.regular, 8.5, other_w, 1)[0],
            f"{crate.items} eks.",
            _TickBox(3.2 * mm),
        ]

    for action, crates, prefix in (("LEVER", stop.drops, "fra"), ("HENT", stop.pickups, "til")):
        for index, crate in enumerate(crates):
            code = crate.origin if prefix == "fra" else crate.destination
            where = f"{names[code]} ({code})" if code in names else code
            row = line(crate, f"{prefix} {where}")
            if index == 0:
                row[0] = action
            rows.append(row)
    return rows


def _stop_block(stop: SheetStop, names: Mapping[str, str]) -> Flowable:
    """One stop: a shaded header row, then its crates one per row (splits across pages)."""
    f = fonts()
    number = _style("stop-no", 16, bold=True, colour=colors.white)
    eta = _style("stop-eta", 14, bold=True)
    small = _style("stop-small", 7.5, colour=DARK)
    drops, picks = len(stop.drops), len(stop.pickups)
    counts = (
        f"Lever {drops} · Hent {picks} {'kasse' if picks == 1 else 'kasser'}"
        if drops + picks
        else "Ingen kasser"
    )
    receipt = [_para([counts], _style("stop-counts", 8.5, bold=True)), Spacer(1, 2 * mm),
               _TickBox(5 * mm, signature_width=STOP_COLS[3] - 10, caption="Utført")]  # fmt: skip
    head = Table(
        [[
            _para([str(stop.sequence)], number),
            [_para([format_time(stop.eta)], eta), _para(["ankomst"], small)],
            _site_cell(stop, STOP_COLS[2] - 10),
            receipt,
        ]],
        colWidths=STOP_COLS,
    )  # fmt: skip
    head.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (0, 0), colors.black),
        ("BACKGROUND", (1, 0), (-1, 0), GREY),
        ("BOX", (0, 0), (-1, -1), 1, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (0, 0), (0, 0), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]))  # fmt: skip
    rows = _crate_rows(stop, names)
    parts: list[Flowable] = [head]
    if rows:
        crates = Table(rows, colWidths=CRATE_COLS, hAlign="RIGHT")
        crates.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), f.regular, 8.5),
            ("FONT", (0, 0), (0, -1), f.bold, 8.5),
            ("FONT", (1, 0), (1, -1), f.bold, 9),
            ("ALIGN", (3, 0), (3, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.Color(0.6, 0.6, 0.6)),
            ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ]))  # fmt: skip
        parts.append(crates)
    parts.append(Spacer(1, 4 * mm))
    return KeepTogether(parts)


def _route_story(sheets: Sequence[RouteSheet]) -> list[Flowable]:
    f = fonts()
    story: list[Flowable] = []
    for index, sheet in enumerate(sheets):
        if index:
            story.append(PageBreak())
        story.append(_Mark(index))
        story.append(_summary(sheet))
        story.append(Spacer(1, 3 * mm))
        depot = sheet.depot
        depot_line = f"Start og slutt: {depot.name}"
        if depot.address:
            depot_line += f", {depot.address}"
        story.append(_para(fit_lines(depot_line, f.regular, 9, FRAME_W, 2), _style("depot", 9)))
        story.append(Spacer(1, 2 * mm))
        story.append(route_drawing(sheet, FRAME_W, MAP_H, font=f.regular, bold_font=f.bold))
        story.append(Spacer(1, 4 * mm))
        if not sheet.stops:
            story.append(_para(["Ingen stopp denne dagen."], _style("empty", 11)))
        names = {s.code: s.name for s in [depot] + [stop.site for stop in sheet.stops]}
        story.extend(_stop_block(stop, names) for stop in sheet.stops)
    return story


def render_route_sheets(sheets: Sequence[RouteSheet], out: Output) -> None:
    """Write the route sheets, one section per van, to `out` (a path or a binary file)."""
    if not sheets:
        raise ValueError("no route sheets to render")
    sheets = list(sheets)

    def header(canvas: Canvas, part: int, number: int, total: int | None) -> None:
        sheet = sheets[part]
        _header_band(canvas, "KJØRELISTE", _text(sheet.van), format_date_nb(sheet.day),
                     _page_text(number, total))  # fmt: skip
        _footer(canvas, "Avvik (forsinket, skadet, mangler kasse, stengt): noter her og "
                        "registrer i bokflyt samme dag.")  # fmt: skip

    title = f"Kjøreliste {sheets[0].day.isoformat()}"
    _build(_route_story(sheets), out, header, title)


# --- crate labels and pick lists ----------------------------------------------------------------


def _code128(value: str, width: float, height: float) -> Code128 | None:
    """A Code 128 symbol of `value` at most `width` wide, or None if it cannot be encoded."""
    if not value or not all(" " <= ch <= "~" for ch in value):
        return None
    probe = Code128(value, barWidth=1, barHeight=height, humanReadable=False, quiet=True)
    bar = min(0.55 * mm, width / probe.width)
    if bar < 0.25 * mm:  # thinner bars do not survive a laser printer and a phone camera
        return None
    return Code128(value, barWidth=bar, barHeight=height, humanReadable=False, quiet=True)


def _draw_qr(canvas: Canvas, value: str, x: float, y: float, side: float) -> None:
    widget = QrCodeWidget(value, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


class _CrateLabelFlowable(Flowable):
    """A whole-frame crate label: read from across the room, scanned at the door."""

    def __init__(self, label: CrateLabel, width: float, height: float) -> None:
        super().__init__()
        self.label = label
        self.width = width
        self.height = height

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, min(self.height, available_height)

    def draw(self) -> None:
        c, label, f = self.canv, self.label, fonts()
        w, h = self.width, self.height
        c.setLineWidth(2.5)
        c.rect(0, 0, w, h)
        x, inner = 10 * mm, w - 20 * mm
        y = h - 14 * mm
        c.setFont(f.bold, 14)
        c.drawString(x, y, "TIL")
        dest = label.destination
        name_lines = fit_lines(dest.name, f.bold, 34, inner, 2)
        for line in name_lines:
            y -= 36
            c.setFont(f.bold, 34)
            c.drawString(x, y, line)
        number = _text(dest.library_number) or dest.code
        size = fit_size(number, f.bold, 110, 30, inner)
        y -= size * 0.95 + 4 * mm
        c.setFont(f.bold, size)
        c.drawString(x, y, fit_lines(number, f.bold, size, inner, 1)[0])
        y -= 7 * mm
        c.setLineWidth(1.5)
        c.line(x, y, w - x, y)
        origin = label.origin
        rows = [
            ("Fra", f"{origin.name} ({origin.library_number})" if origin.library_number
             else origin.name),
            ("Dato", format_date_nb(label.day)),
            ("Bil", label.van + (f"  ·  stopp {label.stop}" if label.stop else "")),
        ]  # fmt: skip
        if label.item_count is not None:
            rows.append(("Innhold", f"{label.item_count} eksemplarer"))
        for key, value in rows:
            y -= 26
            c.setFont(f.regular, 13)
            c.drawString(x, y, key)
            c.setFont(f.bold, 18)
            c.drawString(x + 28 * mm, y, fit_lines(value, f.bold, 18, inner - 28 * mm, 1)[0])
        qr_side = 58 * mm
        bottom = 12 * mm
        barcode = _code128(label.crate_id, inner - qr_side - 10 * mm, 30 * mm)
        if barcode is not None:
            barcode.drawOn(c, x, bottom + 14 * mm)
        c.setFont(f.bold, 24)
        c.drawString(x, bottom + 2 * mm, label.crate_id)
        c.setFont(f.regular, 9)
        c.drawString(x, bottom + 10 * mm, "KASSE")
        _draw_qr(c, label.crate_id, w - x - qr_side, bottom, qr_side)


PICK_COLS = (9 * mm, 33 * mm, 63 * mm, 28 * mm, 40 * mm, 9 * mm)


def _picklist(label: CrateLabel, lines: Sequence[PickListLine]) -> list[Flowable]:
    f = fonts()
    dest = label.destination
    head = _style("pick-head", 15, bold=True)
    sub = _style("pick-sub", 9.5)
    parts: list[Flowable] = [
        _para([f"Plukkliste for kasse {label.crate_id}"], head),
        Spacer(1, 1.5 * mm),
        _para(fit_lines(
            f"Til {dest.name} ({dest.library_number or dest.code})  ·  fra {label.origin.name}"
            f"  ·  {label.van}" + (f", stopp {label.stop}" if label.stop else "")
            + f"  ·  {len(lines)} eks.", f.regular, 9.5, FRAME_W, 2), sub),
        Spacer(1, 3 * mm),
    ]  # fmt: skip
    if not lines:
        parts.append(_para(["Ingen eksemplarer registrert for denne kassen."], sub))
        return parts
    cell = [w - 6 for w in PICK_COLS]
    rows: list[list[Any]] = [["Nr", "Strekkode", "Tittel", "Hylle", "Står på", ""]]
    for number, item in enumerate(lines, start=1):
        rows.append([
            str(number),
            fit_lines(item.barcode, f.regular, 8.5, cell[1], 1)[0],
            "\n".join(fit_lines(item.title, f.regular, 8.5, cell[2], 2)),
            fit_lines(item.call_number, f.regular, 8.5, cell[3], 1)[0],
            fit_lines(item.shelf_site, f.regular, 8.5, cell[4], 1)[0],
            _TickBox(3.2 * mm),
        ])  # fmt: skip
    table = Table(rows, colWidths=PICK_COLS, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), f.bold, 8.5),
        ("FONT", (0, 1), (-1, -1), f.regular, 8.5),
        ("LEADING", (0, 0), (-1, -1), 10),
        ("BACKGROUND", (0, 0), (-1, 0), GREY),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.Color(0.55, 0.55, 0.55)),
        ("BOX", (0, 0), (-1, -1), 0.8, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (0, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))  # fmt: skip
    parts.append(table)
    return parts


def render_crate_labels(
    labels: Sequence[CrateLabel],
    picklists: Mapping[str, Sequence[PickListLine]],
    out: Output,
) -> None:
    """Write one A4 label per crate, each followed by the crate's pick list, to `out`."""
    if not labels:
        raise ValueError("no crate labels to render")
    labels = list(labels)
    unknown = set(picklists) - {label.crate_id for label in labels}
    if unknown:
        log.warning("pick lists without a crate label are not printed: %s", sorted(unknown))
    body_h = PAGE_H - 2 * MARGIN - HEADER_H - FOOTER_H
    story: list[Flowable] = []
    for index, label in enumerate(labels):
        if index:
            story.append(PageBreak())
        story.append(_Mark(index))
        story.append(_CrateLabelFlowable(label, FRAME_W, body_h))
        story.append(PageBreak())
        story.extend(_picklist(label, picklists.get(label.crate_id, ())))

    def header(canvas: Canvas, part: int, number: int, total: int | None) -> None:
        label = labels[part]
        what = "KASSEETIKETT" if number == 1 else "PLUKKLISTE"
        where = f"Kasse {part + 1} av {len(labels)}  ·  {_page_text(number, total)}"
        _header_band(canvas, what, label.crate_id, format_date_nb(label.day), where)
        _footer(canvas, "Skann kassen ved henting og levering. Etiketten følger kassen.")

    _build(story, out, header, f"Kasseetiketter {labels[0].day.isoformat()}")


# --- routing slips ------------------------------------------------------------------------------

SLIP_COLUMNS, SLIP_ROWS = 3, 2
SLIP_W, SLIP_H = PAGE_W / SLIP_COLUMNS, PAGE_H / SLIP_ROWS
SLIP_PAD = 6 * mm


def _draw_slip(c: Canvas, slip: RoutingSlip, x0: float, y0: float) -> None:
    """One slip in the box with bottom-left corner (x0, y0); the number at the top sticks out."""
    f = fonts()
    x, inner = x0 + SLIP_PAD, SLIP_W - 2 * SLIP_PAD
    y = y0 + SLIP_H - SLIP_PAD - 8
    c.setFont(f.regular, 8)
    c.drawString(x, y, "TIL BIBLIOTEK")
    number = _text(slip.destination_library_number)
    size = fit_size(number, f.bold, 40, 14, inner)
    y -= size * 0.9 + 2
    c.setFont(f.bold, size)
    c.drawString(x, y, fit_lines(number, f.bold, size, inner, 1)[0])
    y -= 6
    for line in fit_lines(slip.destination_name, f.bold, 13, inner, 3):
        y -= 15
        c.setFont(f.bold, 13)
        c.drawString(x, y, line)
    y -= 8
    c.setLineWidth(1)
    c.line(x, y, x + inner, y)
    y -= 4
    for line in fit_lines(slip.title, f.regular, 9, inner, 6):
        y -= 11
        c.setFont(f.regular, 9)
        c.drawString(x, y, line)
    bottom = y0 + SLIP_PAD
    c.setFont(f.regular, 8)
    c.drawString(x, bottom, f"Sendt {slip.day:%d.%m.%Y}")
    c.drawRightString(x + inner, bottom, "Transportlapp")
    c.setFont(f.bold, 11)
    c.drawString(x, bottom + 12, fit_lines(slip.barcode, f.bold, 11, inner, 1)[0])
    barcode = _code128(printable(slip.barcode), inner, 12 * mm)
    if barcode is not None:
        barcode.drawOn(c, x, bottom + 26)


def render_slips(slips: Sequence[RoutingSlip], out: Output) -> None:
    """Write the routing slips, six to an A4 page with dashed cutting lines, to `out`."""
    if not slips:
        raise ValueError("no routing slips to render")
    target: Any = str(out) if isinstance(out, Path) else out
    c = Canvas(target, pagesize=A4, invariant=True, lang="nb-NO")
    c.setTitle(f"Transportlapper {slips[0].day.isoformat()}")
    c.setAuthor("bokflyt")
    per_page = SLIP_COLUMNS * SLIP_ROWS
    for start in range(0, len(slips), per_page):
        c.setDash(3, 3)
        c.setLineWidth(0.4)
        c.setStrokeColor(DARK)
        for col in range(1, SLIP_COLUMNS):
            c.line(col * SLIP_W, 0, col * SLIP_W, PAGE_H)
        for row in range(1, SLIP_ROWS):
            c.line(0, row * SLIP_H, PAGE_W, row * SLIP_H)
        c.setDash()
        c.setStrokeColor(colors.black)
        for offset, slip in enumerate(slips[start : start + per_page]):
            col, row = offset % SLIP_COLUMNS, offset // SLIP_COLUMNS
            _draw_slip(c, slip, col * SLIP_W, PAGE_H - (row + 1) * SLIP_H)
        c.showPage()
    c.save()
