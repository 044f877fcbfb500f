"""uvicorn's configuration of the app, for `coach serve` (one process or each of its
workers, web/workers.py) and `BackgroundServer` alike (web/server.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coach.live.limits import Slots
    from web.routing import Handoff

# Frames are checked against web.frames.MAX_FRAME_BYTES with a readable error; anything far
# beyond is cut off by uvicorn itself (close code 1009) before it fills memory.
WS_MAX_BYTES = 4 * 1024 * 1024


def trusted_proxies() -> list[str]:
    """`COACH_TRUSTED_PROXIES`: comma-separated addresses (or networks) of reverse proxies whose
    X-Forwarded-For / X-Forwarded-Proto are believed. Default none: the peer's address is the
    client's (uvicorn would otherwise trust 127.0.0.1, so anything local could pose as any
    address to the sign-in limit)."""
    import os

    raw = os.environ.get("COACH_TRUSTED_PROXIES", "")
    return [part.strip() for part in raw.split(",") if part.strip()]


def uvicorn_config(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
    certfile: str | Path | None = None,
    keyfile: str | Path | None = None,
    handoff: Handoff | None = None,
    shared: Slots | None = None,
) -> Any:
    """uvicorn's configuration of the app: the guarded protocols (web/connections.py), the
    trusted proxies, TLS, the WebSocket limits; for one of several workers, `handoff` and the
    connections per address counted over all of them (`shared`)."""
    import uvicorn

    from web.connections import Capacity, ConnectionGuard, protocols

    proxies = trusted_proxies()
    # The open-file limit sizes the connections held and the live sockets' caps (a reserve
    # is kept for the server's own files): web/connections.py.
    guard = ConnectionGuard(Capacity.of_this_process(), proxies, shared)
    http, ws = protocols(guard, handoff)
    state = getattr(app, "state", None)
    if state is not None:
        state.connections = guard
        registry = getattr(state, "registry", None)
        if registry is not None:
            registry.limits = guard.capacity.live_limits(registry.limits)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=http,
        ws=ws,
        ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None,
        # X-Forwarded-For/-Proto only from COACH_TRUSTED_PROXIES (default: from nobody).
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
        ws_max_size=WS_MAX_BYTES,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        log_level=log_level,
        timeout_graceful_shutdown=5,
    )
