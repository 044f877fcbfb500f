"""The app in this process, without a server: Starlette's TestClient for HTTP, and its WebSocket
behind the same calls as a `websockets` client connection (`send`, `recv(timeout=...)`, close
codes through `ConnectionClosed`), so a live-protocol test reads the same either way.

For protocol tests whose subject is the app (messages, errors, sessions, followers), not the
uvicorn stack: no port, no thread per connection, no `server` lane. The real server keeps the
tests of what only it does (message size limits, ping timeouts, a restart, `coach serve`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
from starlette.exceptions import StarletteDeprecationWarning
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close

from coach.live import SessionRegistry

with warnings.catch_warnings():  # "install httpx2": httpx is what the project pins
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient


class InProcessSocket:
    """A TestClient WebSocket session with the `websockets` client's calls."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self.closed: Close | None = None

    def send(self, data: str | bytes) -> None:
        if isinstance(data, str):
            self._session.send_text(data)
        else:
            self._session.send_bytes(data)

    def recv(self, timeout: float | None = None) -> str | bytes:
        """The next message; TimeoutError after `timeout` s, ConnectionClosed once closed."""
        if self.closed is not None:
            raise ConnectionClosed(self.closed, None)
        message = self._session.portal.call(_receive, self._session._send_rx, timeout)
        if message["type"] == "websocket.close":
            self.closed = Close(message.get("code", 1000), message.get("reason") or "")
            raise ConnectionClosed(self.closed, None)
        return message["text"] if message.get("text") is not None else message["bytes"]

    def close(self, code: int = 1000) -> None:
        if self.closed is None:
            self._session.close(code)


async def _receive(stream: Any, timeout: float | None) -> Any:
    with anyio.fail_after(math.inf if timeout is None else timeout):
        return await stream.receive()


class InProcessApp:
    """An app under a TestClient for one module's tests: `http` (a signed-out client),
    `socket(path)` (a live WebSocket), the app's `registry`."""

    def __init__(self, client: TestClient) -> None:
        self.http = client
        self.app: Any = client.app

    @property
    def registry(self) -> SessionRegistry:
        return self.app.state.registry

    @contextmanager
    def socket(self, path: str, headers: dict[str, str] | None = None) -> Iterator[InProcessSocket]:
        """A WebSocket to `path` (e.g. "/ws/live?exercise=squat&pose=device"); closed after."""
        with self.http.websocket_connect(path, headers=dict(headers or {})) as session:
            ws = InProcessSocket(session)
            try:
                yield ws
            finally:
                ws.close()


def threaded_app(store: Any = None, **registry_options: Any) -> Any:
    """The app with a registry whose pipelines run on threads: no worker process is started
    (nor kept warm), and a server-mode session would load the model here (the `model` lane).
    `registry_options` go to SessionRegistry (limits, processor_factory, max_active, ...);
    with a `store`, its pages are served (its live sessions are not recorded)."""
    from web.app import create_app
    from web.frames import decode_frame

    options = {"decode": decode_frame, "isolation": "thread", **registry_options}
    return create_app(SessionRegistry(**options), store=store)


@contextmanager
def in_process(app: Any) -> Iterator[InProcessApp]:
    """`app` started (its lifespan) under a TestClient; stopped after."""
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield InProcessApp(client)
