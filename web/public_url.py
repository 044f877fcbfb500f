"""The address patients reach the server at, for what leaves the screen: the personal link's
QR code, the printed handout, the calendar feed and the reminder e-mails.

The therapist may be on http://127.0.0.1:8000 or a clinic's LAN address, which a patient's
phone at home cannot open. `COACH_PUBLIC_URL` (or `coach serve --public-url`), e.g.
https://coach.example-clinic.org, is used instead of the address of the request; while the
address in use is loopback, private (RFC 1918, link-local, unique-local) or a local-only
name, the handout page says so.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from scoring.words import Say, say

LOCAL_SUFFIXES = (".local", ".lan", ".home", ".internal", ".home.arpa", ".localdomain")


class PublicUrlError(ValueError):
    """A public base URL that is not an http(s) address with a host."""


def check_public_url(url: str) -> str:
    """`url` without its trailing slash, if it is http(s)://host[:port][/path] (no query)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublicUrlError(f"the public URL must be http(s)://host[:port], not {url!r}")
    if parts.query or parts.fragment:
        raise PublicUrlError(f"the public URL has no query or fragment: {url!r}")
    return url.rstrip("/")


def configured(conn: HTTPConnection) -> str | None:
    """The configured public base URL (create_app's, else COACH_PUBLIC_URL), or None."""
    url = getattr(conn.app.state, "public_url", None) or os.environ.get("COACH_PUBLIC_URL", "")
    if not url:
        return None
    try:
        return check_public_url(url)
    except PublicUrlError:
        return None


def base_url(conn: HTTPConnection) -> str:
    """The public base URL if configured, else the address this request came to."""
    return configured(conn) or str(conn.base_url).rstrip("/")


def local_only(url: str) -> bool:
    """True when the host of `url` is loopback, private or a local-only name: a phone
    outside this network cannot open it."""
    host = (urlsplit(url).hostname or "").lower()
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host or host.endswith(LOCAL_SUFFIXES)
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified


def local_warning(url: str) -> Say | None:
    """What the handout page says while its address works only here (None: it is public);
    a message, in the reader's language (docs/I18N.md)."""
    if not local_only(url):
        return None
    return say(
        "This address ({host}) only works on this computer or this building's network: a "
        "patient's phone at home cannot open it. Set the address patients reach Coach at "
        "with COACH_PUBLIC_URL (or coach serve --public-url https://...), then print again.",
        host=urlsplit(url).hostname or "",
    )
