"""Attack 1 of issue 25: follower sockets (and any other held socket) exhausting the server's
open files. One anonymous address opened device sessions and 10 `/ws/follow/SID` sockets per
session, without a cookie, and kept them: with the usual limit of 1,024 open files, about
1,000 held sockets left /healthz, sign-in and new live sessions without an answer.

Against a real `coach serve` whose open-file limit is set to 1,024 (as most systems start a
service), and against the real app on uvicorn in this process for the follower caps and time-
outs. The attacker's sockets come from 127.0.0.2, everyone else's from 127.0.0.1.
"""

from __future__ import annotations

import resource
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from coach.live import LiveLimits, SessionRegistry
from coach.store import open_store
from tests.helpers.serve import coach_serve as _coach_serve
from tests.helpers.serve import stop_coach_serve as _stop
from tests.helpers.serve import wait_until_healthy as _wait_until_healthy
from tests.lanes import uses
from tests.servers import free_port as _free_port
from tests.web.attack_tools import RawWs, closed_by_peer, connect_from, open_ws
from web.app import create_app
from web.frames import decode_frame
from web.server import BackgroundServer

PASSWORD = "correct horse battery"
ATTACKER = "127.0.0.2"


def _device_session(host: str, port: int, source: str) -> str:
    """Open an anonymous on-device session from `source` and leave (it is kept, followable)."""
    ws = open_ws(host, port, "/ws/live?exercise=squat&pose=device", source=source, timeout=5)
    try:
        assert ws.status == 101
        return str(ws.recv_type("session", 5)["session_id"])
    finally:
        ws.close()


def _follow(host: str, port: int, sid: str, source: str, timeout: float = 5) -> RawWs | None:
    """A follower socket, held when the server sends the `follow` hello; None when refused."""
    ws = open_ws(host, port, f"/ws/follow/{sid}", source=source, timeout=timeout)
    first = ws.recv(timeout) if ws.status == 101 else None
    if isinstance(first, dict) and first.get("type") == "follow":
        return ws
    ws.close()
    return None


def _hold_followers(host: str, port: int, limit: int = 1100) -> list[RawWs]:
    """The attack as found: sessions, and 10 followers on each, until the server stops
    taking them (30 refusals in a row) or stops answering."""
    held: list[RawWs] = []
    refused_in_a_row = 0
    while len(held) < limit and refused_in_a_row < 30:
        try:
            sid = _device_session(host, port, ATTACKER)
            for _ in range(10):
                ws = _follow(host, port, sid, ATTACKER, timeout=3)
                if ws is None:
                    refused_in_a_row += 1
                else:
                    held.append(ws)
                    refused_in_a_row = 0
        except (TimeoutError, ConnectionError, OSError):
            break  # the server no longer answers: the attack worked
    return held


def _hold_connections(host: str, port: int, limit: int = 1100) -> list[Any]:
    """Plain connections that start a request and never finish its headers, in batches of
    25, until a whole batch is closed at once (the server lets no more) or `limit`."""
    held: list[Any] = []
    while len(held) < limit:
        batch = []
        try:
            for _ in range(25):
                sock = connect_from(ATTACKER, host, port, timeout=3)
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                batch.append(sock)
        except OSError:
            held += batch
            break
        closed = closed_by_peer(batch, 1.5)
        for sock in closed:
            sock.close()
        held += [s for s in batch if s not in closed]
        if len(closed) == len(batch):
            break
    return held


def _limit_open_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


@pytest.fixture()
@uses("subprocess")
def served_with_1024_files(tmp_path: Path) -> Iterator[tuple[str, int, subprocess.Popen[str]]]:
    """A real `coach serve`, its open-file limit 1,024, with one therapist account; the
    header deadline long enough for the held connections to stay for the whole test."""
    store = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    store.create_user("ther", "Dr T", PASSWORD)
    store.close()
    port = _free_port()
    env = {"COACH_DATA_DIR": str(tmp_path), "COACH_HEADER_TIMEOUT_S": "300"}
    with open(tmp_path / "serve.log", "w") as log:
        proc = _coach_serve(
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_limit_open_files,  # noqa: PLW1509 (only setrlimit, before exec)
        )
    try:
        _wait_until_healthy(f"http://127.0.0.1:{port}", proc, timeout=60)
        yield "127.0.0.1", port, proc
    finally:
        _stop(proc)


def test_one_address_holding_all_it_may_leaves_the_server_answering(
    served_with_1024_files: tuple[str, int, subprocess.Popen[str]], tmp_path: Path
) -> None:
    """The Done-when of issue 25: followers, then plain connections, from one address, as
    many as the server lets it hold; /healthz still answers in under a second, a therapist
    signs in, a patient starts a live session and their therapist follows it."""
    host, port, proc = served_with_1024_files
    base = f"http://{host}:{port}"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # this process holds them all
    if soft != resource.RLIM_INFINITY and soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    followers = _hold_followers(host, port)
    connections = _hold_connections(host, port)
    try:
        assert proc.poll() is None
        with httpx.Client(base_url=base, timeout=5) as c:
            for _ in range(3):
                t0 = time.monotonic()
                assert c.get("/healthz").status_code == 200
                assert time.monotonic() - t0 < 1.0
            r = c.post("/login", data={"username": "ther", "password": PASSWORD})
            assert r.status_code == 303 and r.headers["location"] == "/therapist"
        sid = _device_session(host, port, "127.0.0.1")
        watcher = _follow(host, port, sid, "127.0.0.1")
        assert watcher is not None  # the link's holder follows the try-out session
        watcher.close()
        # What the one address held: the caps, not the open-file limit.
        assert len(followers) == LiveLimits.max_followers_per_address
        assert len(followers) + len(connections) <= 100
    finally:
        for ws in followers:
            ws.close()
        for sock in connections:
            sock.close()
    out = (tmp_path / "serve.log").read_text()
    assert (
        "Open files: limit 1024, 256 kept in reserve; at most 768 connections (100 from one "
        "address), 384 follower sockets, 100 on-device live sessions"
    ) in out
    assert "Too many open files" not in out


# ---- the follower caps and time-outs, in process ------------------------------------------------
def _server(limits: LiveLimits, **registry: Any) -> BackgroundServer:
    reg = SessionRegistry(decode=decode_frame, isolation="thread", limits=limits, **registry)
    return BackgroundServer(create_app(reg))


@pytest.mark.server
def test_followers_are_capped_per_address_and_the_links_holder_still_follows() -> None:
    limits = LiveLimits(max_followers_per_address=3)
    with _server(limits) as server:
        host, port = server.host, server.port
        sid = _device_session(host, port, "127.0.0.1")
        held = [_follow(host, port, sid, ATTACKER) for _ in range(3)]
        assert all(ws is not None for ws in held)
        refused = open_ws(host, port, f"/ws/follow/{sid}", source=ATTACKER)
        error = refused.recv_type("error")
        assert error["code"] == "too_many" and refused.close_code() == 4429
        # Anyone else holding the link follows; the attacker's caps are theirs alone.
        other = _follow(host, port, sid, "127.0.0.1")
        assert other is not None
        # A follower that leaves gives its place back.
        held[0].close()  # type: ignore[union-attr]
        deadline = time.monotonic() + 10
        again = None
        while again is None and time.monotonic() < deadline:
            again = _follow(host, port, sid, ATTACKER)
        assert again is not None
        for ws in [*held[1:], other, again]:
            ws.close()  # type: ignore[union-attr]
        # Every connection's place comes back, upgraded to a WebSocket or not.
        guard = server.server.config.app.state.connections
        deadline = time.monotonic() + 10
        while len(guard) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(guard) == 0


@pytest.mark.server
def test_follower_sockets_have_a_total_cap() -> None:
    limits = LiveLimits(max_followers_per_address=10, max_follower_sockets=4)
    with _server(limits) as server:
        host, port = server.host, server.port
        sid = _device_session(host, port, "127.0.0.1")
        held = [_follow(host, port, sid, f"127.0.0.{2 + i % 2}") for i in range(4)]
        assert all(ws is not None for ws in held)
        refused = open_ws(host, port, f"/ws/follow/{sid}", source="127.0.0.9")
        assert refused.recv_type("error")["code"] == "server_busy"
        assert refused.close_code() == 4503
        for ws in held:
            ws.close()  # type: ignore[union-attr]


@pytest.mark.server
def test_a_silent_follower_is_closed_and_a_pinging_one_stays() -> None:
    limits = LiveLimits(follower_idle_timeout_s=1.0)
    with _server(limits) as server:
        host, port = server.host, server.port
        sid = _device_session(host, port, "127.0.0.1")
        silent = _follow(host, port, sid, ATTACKER)
        pinging = _follow(host, port, sid, "127.0.0.1")
        assert silent is not None and pinging is not None
        opened = time.monotonic()
        while time.monotonic() - opened < 3.0:  # the follow page pings every 25 s
            pinging.send_json({"type": "ping", "t": 1})
            assert pinging.recv_type("pong", 5)["t"] == 1
            time.sleep(0.3)
        assert silent.recv_type("error", 10)["code"] == "idle_timeout"
        assert silent.close_code() == 4408
        pinging.close()
        silent.close()


@pytest.mark.server
def test_followers_of_an_expired_session_are_closed_without_any_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Retention ends on time: the registry is swept by the server, not only when someone
    looks a session up."""
    import web.app

    monkeypatch.setattr(web.app, "SWEEP_EVERY_S", 0.2)
    with _server(LiveLimits(), retain_s=1.0) as server:
        host, port = server.host, server.port
        sid = _device_session(host, port, "127.0.0.1")
        follower = _follow(host, port, sid, "127.0.0.1")
        assert follower is not None
        status = follower.recv_type("status", 15)
        while status.get("patient") != "expired":
            status = follower.recv_type("status", 15)
        assert follower.close_code() == 1000
        follower.close()
