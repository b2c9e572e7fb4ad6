"""The web pages and their JSON API, one module per page group.

How to add a page group (search, record, plans, crates ...)
-----------------------------------------------------------
Write `bokflyt/pages/<group>.py` that defines, at module level::

    router = APIRouter()                      # HTML routes and /api/... routes of the group
    PAGES = PageGroup(
        name="search",
        router=router,
        nav=(NavEntry("/sok", "nav.search", Permission.SEARCH, order=10,
                      about_id="nav.search.about"),),
    )

`create_app` finds every module in this package that has `PAGES` (modules whose name starts
with `_` are skipped), includes its router and shows its nav entries to the users whose role
has the entry's permission. Nothing else to register.

In the routes, use the shared pieces in `bokflyt.pages.common`:

* `Depends(require(Permission.X))` returns the `Viewer` (user, role, permissions) or answers
  401 (HTML: a redirect to the login page) / 403;
* `Depends(db)` gives a SQLAlchemy session for the request (commit it yourself when writing);
* `render(request, viewer, "template.html", {...})` renders `bokflyt/templates/template.html`
  extending `base.html`; inside templates, `_("message.id", name=...)` looks up text in
  `bokflyt.messages` (add the ids there; a test checks templates use only known ids);
* every form must carry `<input type="hidden" name="csrf_token" value="{{ csrf_token }}">`;
  JSON clients send the same value (from `GET /api/me`) in the `X-CSRF-Token` header. Every
  POST/PUT/PATCH/DELETE without it is refused with 403 by an app-wide dependency, so a page
  cannot forget the check.

Paths under `/api/` answer errors as JSON `{"detail": ...}`; other paths get the HTML error
page. Give every API route a pydantic `response_model` so `/openapi.json` documents it.
"""

from __future__ import annotations

import importlib
import pkgutil

from bokflyt.pages.common import NavEntry, PageGroup

__all__ = ["NavEntry", "PageGroup", "discover"]


def discover() -> list[PageGroup]:
    """Every page group in this package, in module-name order (nav order is `NavEntry.order`)."""
    groups: list[PageGroup] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        group = getattr(module, "PAGES", None)
        if isinstance(group, PageGroup):
            groups.append(group)
    return groups
