"""Request bodies of forms and JSON: bounded in size and time before anything reads them.

Without this, FastAPI reads a form (or `request.body()` a JSON body) whole before the route
runs: an anonymous `POST /login` declared as 10 GB was spooled to disk while its sender stayed
silent, and a rating's 1 KB limit was checked after 40 MB had been read. `BodyLimits`, a pure
ASGI middleware, reads every request's body itself, for every route (a new one included), as
soon as the routed endpoint asks for it (a form: before the route's dependencies; a rating:
once the route knows who asks):

- a `Content-Length` over the route's limit is answered 413 at once, without reading a byte;
- the body is counted as it arrives (chunked, or more than declared) and cut off past the
  limit: 413;
- a body not all there within `COACH_BODY_TIMEOUT_S` seconds (20) is answered 408: a slow
  sender holds a connection for that long at most;

and then hands it to the app from memory. A refusal is an HTTPException (answered by the app
as any other) that closes the connection. The limit is the endpoint's own (`body_limit(n)`:
sign-in 8 KB, ratings 1 KB), else `COACH_MAX_FORM_KB` (256 KB: the programme form with 100
rows and their notes). Endpoints marked `body_limit(STREAMED)` (video uploads) read their body
themselves under limits of their own (web/uploads/receiving.py). The fields of a form are
bounded by FastAPI's form limits (`form_limits` in web/app.py): no file parts where none is
expected, few fields, small fields.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.exceptions import HTTPException

from web.security import ASGIApp, Message, Receive, Scope, Send, env_number

F = TypeVar("F", bound=Callable[..., Any])

STREAMED = -1
"""`body_limit(STREAMED)`: the endpoint streams its body under its own limits."""
LOGIN_BYTES = 8 * 1024  # a username, a password and where to go next


def max_form_bytes() -> int:
    """`COACH_MAX_FORM_KB`: the largest form or JSON body of a route without its own limit."""
    return int(env_number("COACH_MAX_FORM_KB", 256.0) * 1024)


def body_timeout_s() -> float:
    """`COACH_BODY_TIMEOUT_S`: the longest a form or JSON body may take to arrive."""
    return env_number("COACH_BODY_TIMEOUT_S", 20.0)


def body_limit(limit: int) -> Callable[[F], F]:
    """Mark an endpoint: its body may have at most `limit` bytes (STREAMED: it reads its
    body itself)."""

    def mark(endpoint: F) -> F:
        endpoint.__coach_body_limit__ = limit  # type: ignore[attr-defined]
        return endpoint

    return mark


class _TooLarge(Exception):
    pass


class BodyLimits:
    """Every request body under its route's limits (see the module docstring). The limit is
    found once routing chose the endpoint: when the app first asks for the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        await self.app(scope, _Body(scope, receive).receive, send)


class _Body:
    """One request's body: read whole, under its limits, at the app's first `receive`, then
    handed over in one message; the app's next `receive` waits for the disconnect."""

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.scope = scope
        self._receive = receive
        self.read = False

    async def receive(self) -> Message:
        if self.read:
            return await self._receive()
        self.read = True
        limit = _limit(self.scope)
        if limit == STREAMED:  # from now on, every message as it comes
            return await self._receive()
        declared = _content_length(self.scope)
        if declared is not None and declared > limit:
            raise _too_large(limit)
        try:
            body = await asyncio.wait_for(_read(self._receive, limit), body_timeout_s())
        except _TooLarge:
            raise _too_large(limit) from None
        except asyncio.TimeoutError:
            raise HTTPException(
                408, "The request's body did not arrive in time; try again.", _CLOSE
            ) from None
        if body is None:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": body, "more_body": False}


_CLOSE = {"Connection": "close"}  # the rest of a refused body is not read


def _limit(scope: Scope) -> int:
    """The routed endpoint's own limit (`body_limit`), else the default."""
    limit = getattr(scope.get("endpoint"), "__coach_body_limit__", None)
    return int(limit) if limit is not None else max_form_bytes()


def _has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers") or []:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read(receive: Receive, limit: int) -> bytes | None:
    """The whole body; None when the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _too_large(limit: int) -> HTTPException:
    size = f"{limit // 1024} KB" if limit >= 1024 else f"{limit} bytes"
    return HTTPException(413, f"The request is larger than this page takes ({size}).", _CLOSE)
