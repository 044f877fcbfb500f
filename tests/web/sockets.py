"""The live WebSocket from a test's side (docs/LIVE-PROTOCOL.md): opening a patient's socket,
sending frames and reading the replies, waiting for the close."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from coach.live import SessionRegistry
from coach.live.landmarks import track_messages
from pose.sources import VideoFileSource
from tests.machine import scaled
from tests.web.review_app import Review
from web.server import BackgroundServer


def ws_url(server: BackgroundServer, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def recv(ws: ClientConnection, timeout: float = 15.0) -> dict[str, Any]:
    """The next message, as JSON; `timeout` is for the quiet machine (scaled)."""
    return _next(ws, scaled(timeout))


def _next(ws: ClientConnection, seconds: float) -> dict[str, Any]:
    data = ws.recv(timeout=seconds)
    assert isinstance(data, str), "expected a JSON text message"
    return json.loads(data)


def recv_type(ws: ClientConnection, *types: str, timeout: float = 15.0) -> dict[str, Any]:
    """The next message of one of `types`, skipping others (status, followers, ...)."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        msg = _next(ws, max(0.1, deadline - time.monotonic()))
        if msg["type"] in types:
            return msg


def send_frame(ws: ClientConnection, data: bytes) -> dict[str, Any]:
    """Send one frame and wait for its reply (the page's one-in-flight loop)."""
    ws.send(data)
    return recv_type(ws, "frame", "dropped", "error")


def send_landmarks(ws: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    """Send one landmark message (pose=device) and wait for its reply."""
    ws.send(json.dumps(message))
    return recv_type(ws, "frame", "dropped", "error")


def registry_of(server: BackgroundServer) -> SessionRegistry:
    return server.server.config.app.state.registry


@contextmanager
def limits_changed(server: BackgroundServer, **changes: float) -> Iterator[None]:
    """The server's live limits (coach.live.LiveLimits) changed while the block runs: each
    socket reads them as it opens. For a test whose subject is not a timeout, on a server
    shared with others (e.g. no close for a first frame that a loaded machine is slow to
    send)."""
    registry = registry_of(server)
    before = registry.limits
    registry.limits = dataclasses.replace(before, **changes)
    try:
        yield
    finally:
        registry.limits = before


def open_patient(server: BackgroundServer, query: str = "exercise=squat") -> ClientConnection:
    return connect(ws_url(server, f"/ws/live?{query}"), max_size=None, open_timeout=scaled(20))


def close_code(ws: ClientConnection, timeout: float = 10.0) -> int | None:
    """Read until the server closes; its close code (`timeout` scaled)."""
    deadline = time.monotonic() + scaled(timeout)
    try:
        while time.monotonic() < deadline:
            ws.recv(timeout=max(0.1, deadline - time.monotonic()))
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None
    raise AssertionError("the server did not close the socket")


def patient_socket(review: Review, query: str = "exercise=squat") -> ClientConnection:
    ws_base = review.url.replace("http://", "ws://")
    return connect(
        f"{ws_base}/ws/live?{query}",
        additional_headers={"Cookie": f"coach_session={review.cookie('pat.a')}"},
        open_timeout=scaled(30),
        max_size=None,
    )


def clip_messages(shared_data: Path, clip_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    manifest = json.loads((shared_data / "MANIFEST.json").read_text())["videos"]
    (clip,) = [c for c in manifest if c["id"] == clip_id]
    with VideoFileSource(shared_data / clip["video"]) as src:
        info = src.info
    lm = np.load(shared_data / clip["landmarks"])["lm"]
    return clip, track_messages(lm, info.fps, (info.width, info.height))


def good(seq: int, t: float) -> dict[str, Any]:
    """A well-formed landmark message (a person standing in the middle of a 640x480 image)."""
    rows = [[0.5, 0.3 + i * 0.01, 0.0, 0.9] for i in range(33)]
    return {"type": "landmarks", "seq": seq, "t": t, "image": [640, 480], "landmarks": rows}
