"""An ASGI middleware giving every browser a CSRF cookie and every response safe headers.

Pure ASGI rather than Starlette's BaseHTTPMiddleware: it must not buffer bodies (PDF
downloads, streamed responses) and it costs next to nothing per request.

The headers: a Content-Security-Policy allowing only our own scripts, styles and images (the
app ships no inline script), no framing (clickjacking), no MIME sniffing (raw MARC bytes are
served as downloads), and no Referer leaving the site (search terms stay in house).
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bokflyt.pages.common import CSRF_COOKIE, CSRF_SEED_KEY

SECURITY_HEADERS = (
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)


def _cookie_value(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is the client's problem
                continue
            if name in jar:
                return jar[name].value
    return None


class BrowserMiddleware:
    """Sets the CSRF seed cookie when missing and adds the security headers."""

    def __init__(self, app: ASGIApp, cookie_secure: bool = True) -> None:
        self.app = app
        self.cookie_secure = cookie_secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seed = _cookie_value(scope, CSRF_COOKIE)
        new_seed = None
        if not seed or len(seed) > 100:
            new_seed = secrets.token_urlsafe(24)
            scope[CSRF_SEED_KEY] = new_seed

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {key.lower() for key, _ in headers}
                headers.extend((k, v) for k, v in SECURITY_HEADERS if k not in names)
                if new_seed is not None:
                    attributes = "; Path=/; HttpOnly; SameSite=Lax"
                    if self.cookie_secure:
                        attributes += "; Secure"
                    cookie = f"{CSRF_COOKIE}={new_seed}{attributes}"
                    headers.append((b"set-cookie", cookie.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
