"""What the web tests do the way a browser does: read a form's CSRF token, log in, read text.

Imported by the test modules beside it (they put this folder on `sys.path`)."""

from __future__ import annotations

import re
from typing import Any

import httpx

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(html: str) -> str:
    """The CSRF token in a page's form (fails the test when the page has none)."""
    match = _TOKEN.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def post_login(client: httpx.Client, username: str, password: str) -> Any:
    """Submit the login form as a browser would; the response itself, redirects not followed."""
    token = form_token(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def log_in(client: httpx.Client, username: str, password: str) -> str:
    """Log in as a fresh visitor; the CSRF token of the new session (for API writes)."""
    client.cookies.clear()
    answer = post_login(client, username, password)
    assert answer.status_code == 303, f"login as {username} failed: {answer.status_code}"
    return str(client.get("/api/me").json()["csrf_token"])


def text_of(html: str) -> str:
    """A page's visible text with whitespace collapsed, for assertions on what people read."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
