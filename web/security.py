"""HTTP defences that apply to every request, as two pure ASGI middlewares (`protect(app)`).

`SameOriginWrites` refuses a state-changing request (POST, PUT, PATCH, DELETE) that a browser
sent on behalf of another origin: the CSRF defence. SameSite=Lax cookies are not enough, since
another port of the same host is the same *site* and gets the cookie. The request's own origin
is its scheme, Host and port; a request is refused (403, in plain words) when

- `Sec-Fetch-Site` says `cross-site` or `same-site` (browsers set it; no page can forge it), or
- `Origin` is present and is not our origin (`null` included: sandboxed or privacy-hidden), or
- there is no `Origin` but a `Referer` from another origin.

A request with none of the three comes from no browser (curl, scripts, tests): it carries no
ambient cookie of a victim, so it is let through to the normal sign-in checks. Browsers send
`Origin` on every POST; the pages say `Referrer-Policy: same-origin` (not `no-referrer`, which
would make browsers send `Origin: null` on our own forms).

Behind a TLS-terminating proxy the scheme comes from X-Forwarded-Proto, believed only from
`COACH_TRUSTED_PROXIES` (web/server.py), and the proxy must pass the Host header on.

`SecurityHeaders` adds to every HTTP response: a Content-Security-Policy (our own scripts,
styles and images only; WebAssembly and blob: workers for an on-device model; WebSockets for
the live protocol; no framing), `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`,
`Referrer-Policy: same-origin`, and `Cache-Control: no-store` on everything but /static/
(signed-in pages, patient data and exports must not stay in a shared computer's cache).
On https responses only (the request's scheme: TLS of our own with --https/--certfile, or
X-Forwarded-Proto from a trusted proxy), `Strict-Transport-Security`: for a year the browser
then reaches this host only over https, never sending a cookie in clear. Browsers ignore it
over http, with an untrusted certificate or for a bare IP address: nothing breaks on a LAN.

WebSocket connections pass through untouched (their Origin check lives with web/live_ws.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self' ws: wss:",
        "worker-src 'self' blob:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(self), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000"
"""One year; no includeSubDomains: other services on the clinic's domain are not ours to
force onto https."""


def env_number(name: str, default: float) -> float:
    """A positive number from the environment variable `name`, else `default`."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def openapi_enabled() -> bool:
    """`COACH_OPENAPI=1` serves /openapi.json, /docs and /redoc (off by default: the API's
    map is nobody's business on an internet-facing server)."""
    return os.environ.get("COACH_OPENAPI", "").strip().lower() in ("1", "true", "yes")


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in scope.get("headers") or []:
        out.setdefault(k.decode("latin-1").lower(), v.decode("latin-1"))
    return out


def origin_key(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the default port filled in; None if unparseable."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    scheme = scheme.lower()
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS.get(scheme, 0)


def own_origin(scope: Scope, headers: dict[str, str]) -> tuple[str, str, int] | None:
    scheme = str(scope.get("scheme") or "http")
    host = headers.get("host")
    if not host and scope.get("server"):
        name, port = scope["server"][0], scope["server"][1]
        host = f"[{name}]:{port}" if ":" in name else f"{name}:{port}"
    return origin_key(scheme, host or "")


def _url_origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return origin_key(parts.scheme, parts.netloc)


def foreign_reason(scope: Scope) -> str | None:
    """Why this state-changing request is refused as coming from another origin, or None."""
    headers = _headers(scope)
    fetch_site = headers.get("sec-fetch-site", "").strip().lower()
    if fetch_site in ("cross-site", "same-site"):
        return f"the browser says it was sent from another site ({fetch_site})"
    ours = own_origin(scope, headers)
    origin = headers.get("origin")
    if origin is not None:
        if ours is None or _url_origin(origin) != ours:
            return f"it was sent from another origin ({origin[:100]})"
        return None
    referer = headers.get("referer")
    if referer is not None and (ours is None or _url_origin(referer) != ours):
        return "it was sent from a page of another origin"
    return None


class SameOriginWrites:
    """Refuse POST/PUT/PATCH/DELETE from other origins before anything reads the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method", "GET") not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        reason = foreign_reason(scope)
        if reason is None:
            await self.app(scope, receive, send)
            return
        message = (
            f"Refused: {reason}. Changes are accepted only from Coach's own pages; "
            "reload the page and try again."
        )
        await send_refusal(scope, send, 403, "foreign_origin", message)


async def send_refusal(scope: Scope, send: Send, status: int, error: str, message: str) -> None:
    """Answer a request with `status` and `message` in words (JSON `{"error", "message"}` to a
    client that accepts JSON) and close the connection: the rest of its body is not read."""
    if "application/json" in _headers(scope).get("accept", ""):
        body = json.dumps({"error": error, "message": message}).encode()
        content_type = b"application/json"
    else:
        body = message.encode("utf-8")
        content_type = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """The same protective headers on every HTTP response (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith("/static/")
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = [
                    (k, v)
                    for k, v in message.get("headers") or []
                    if k.lower().decode("latin-1") not in HEADERS
                    and k.lower() != b"strict-transport-security"
                    and (cacheable or k.lower() not in (b"cache-control", b"pragma"))
                ]
                raw += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
                if not cacheable:
                    raw.append((b"cache-control", b"no-store"))
                if https:
                    raw.append((b"strict-transport-security", HSTS.encode()))
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)


def protect(app: Any) -> None:
    """Install `SameOriginWrites` on a Starlette/FastAPI app, outermost of its middlewares:
    a foreign write is refused before anything reads its body. `SecurityHeaders` wraps the
    whole app instead (web/app.py `CoachApp`), so that Starlette's own answer to an exception
    (500) carries the headers too."""
    app.add_middleware(SameOriginWrites)
