"""The shipped templates and stylesheet keep the accessibility and CSP promises."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bokflyt

PACKAGE = Path(bokflyt.__file__).parent
CSS = (PACKAGE / "static" / "bokflyt.css").read_text(encoding="utf-8")
TEMPLATES = sorted((PACKAGE / "templates").glob("*.html"))


def _colour(name: str) -> tuple[float, float, float]:
    match = re.search(rf"--{name}:\s*#([0-9a-fA-F]{{6}})", CSS)
    assert match, f"--{name} is not a #rrggbb colour in bokflyt.css"
    value = match.group(1)
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str) -> float:
    """WCAG 2.1 contrast ratio between two CSS custom properties."""
    lighter, darker = sorted(
        (_luminance(_colour(foreground)), _luminance(_colour(background))), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize(
    ("foreground", "background"),
    [
        ("ink", "paper"),
        ("muted", "paper"),
        ("muted", "panel"),
        ("accent", "paper"),
        ("accent-ink", "accent"),
        ("danger", "danger-bg"),
        ("ok", "ok-bg"),
    ],
)
def test_text_colours_meet_wcag_aa(foreground: str, background: str) -> None:
    """Every text/background pair in the stylesheet reaches 4.5:1 (WCAG 2.1 AA)."""
    assert contrast(foreground, background) >= 4.5


def test_focus_is_visible_and_skip_link_exists() -> None:
    """Focus is drawn (never removed outright) and the base layout starts with a skip link."""
    assert ":focus-visible" in CSS and "outline: 3px solid" in CSS
    assert "outline: none" not in CSS.replace("main:focus:not(:focus-visible) { outline: none", "")
    base = (PACKAGE / "templates" / "base.html").read_text(encoding="utf-8")
    assert base.index('class="skip-link"') < base.index("<header")
    assert 'id="innhold"' in base and 'lang="nb"' in base


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_inline_script_or_style(template: Path) -> None:
    """The Content-Security-Policy forbids inline code, so no template may rely on it."""
    html = template.read_text(encoding="utf-8")
    assert "<script" not in html and "<style" not in html
    assert not re.search(r"\sstyle=|\son[a-z]+=", html)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_never_disable_escaping(template: Path) -> None:
    """Catalogue text reaches pages escaped: no `|safe`, no `autoescape false`."""
    html = template.read_text(encoding="utf-8")
    assert "|safe" not in html.replace(" ", "") and "autoescape false" not in html


def test_every_form_that_posts_carries_the_csrf_field() -> None:
    """Each `method="post"` form in the templates includes the csrf_token input."""
    checked = 0
    for template in TEMPLATES:
        html = template.read_text(encoding="utf-8")
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, flags=re.S):
            assert 'name="csrf_token"' in form, template.name
            checked += 1
    assert checked >= 2  # at least login and logout were found
