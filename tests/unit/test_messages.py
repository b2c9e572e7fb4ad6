"""The message catalogue covers every text the web app and `users` commands show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bokflyt
from bokflyt.auth import AuthError, Role
from bokflyt.messages import CATALOGUES, NB, placeholders, t, translate
from bokflyt.pages import discover
from bokflyt.pages.errors import KNOWN_STATUSES
from bokflyt.settings import WEEKDAYS

PACKAGE = Path(bokflyt.__file__).parent
TEMPLATE_ID = re.compile(r"""_\(\s*["']([a-z0-9_.]+)["']\s*[,)]""")
CODE_ID = re.compile(r"""["']((?:auth|cli|error|login|nav|users)(?:\.[a-z0-9_]+)+)["']""")
WEB_TEMPLATES = sorted((PACKAGE / "templates").glob("*.html"))


def _ids_in_templates() -> set[str]:
    found: set[str] = set()
    for path in WEB_TEMPLATES:
        found |= set(TEMPLATE_ID.findall(path.read_text(encoding="utf-8")))
    return found


def _ids_in_code() -> set[str]:
    found: set[str] = set()
    modules = [p for p in (PACKAGE / "pages").glob("*.py") if p.name != "__init__.py"]
    for path in [*modules, PACKAGE / "commands" / "users.py"]:
        found |= set(CODE_ID.findall(path.read_text(encoding="utf-8")))
    return {found_id for found_id in found if not found_id.endswith(".html")}


def test_templates_use_only_known_message_ids() -> None:
    """Every `_("id")` in the web templates has bokmål text."""
    used = _ids_in_templates()
    assert len(used) > 30  # the scan found the templates' ids at all
    assert sorted(used - NB.keys()) == []


def test_code_uses_only_known_message_ids() -> None:
    """Message ids written in the pages and the users command exist."""
    used = _ids_in_code()
    assert "login.failed" in used
    assert sorted(used - NB.keys()) == []


def test_ids_built_at_runtime_exist() -> None:
    """Roles, weekdays, site kinds, error statuses, auth errors and menu entries have text."""
    wanted = {f"role.{role.value}" for role in Role}
    wanted |= {f"weekday.{day}" for day in WEEKDAYS}
    wanted |= {f"site.kind.{kind}" for kind in ("branch", "school", "depot")}
    wanted |= {f"error.{status}" for status in KNOWN_STATUSES}
    wanted |= {f"error.{status}.about" for status in KNOWN_STATUSES}
    wanted |= {cls.message_id for cls in [AuthError, *AuthError.__subclasses__()]}
    for group in discover():
        for entry in group.nav:
            wanted |= {entry.label_id, *([entry.about_id] if entry.about_id else [])}
    assert sorted(wanted - NB.keys()) == []


@pytest.mark.parametrize("language", sorted(CATALOGUES))
def test_translations_keep_ids_and_placeholders(language: str) -> None:
    """A catalogue has bokmål's ids and, per message, the same `{placeholders}`."""
    catalogue = CATALOGUES[language]
    assert catalogue.keys() == NB.keys()
    for key, text in catalogue.items():
        assert placeholders(text) == placeholders(NB[key]), key


def test_translate_fills_placeholders_and_shows_unknown_ids() -> None:
    """Parameters are filled in; an unknown id renders as itself instead of failing."""
    assert t("nav.signed_in_as", name="Kari", role="bibliotekar") == (
        "Innlogget som Kari (bibliotekar)"
    )
    assert t("no.such.message") == "no.such.message"
    assert translate("login.failed", "xx") == NB["login.failed"]
    assert "{minutes}" in t("login.throttled")  # missing parameter: text kept, no crash
