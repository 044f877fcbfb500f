"""A cluster that heals itself: Redis restarted under two running `coach serve` instances, a
therapist on instance B follows a patient's session on instance A before and after, and each
instance says what happened in its log and in /healthz. Real processes, PostgreSQL and Redis.
And a Redis connection that goes silent without closing, noticed by the relay's own probe."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from coach.live import SessionRegistry
from coach.live.landmarks import track_messages
from tests.cluster.processes import Cluster
from tests.cluster.processes import next_message as _next
from tests.cluster.processes import open_ws as _ws
from tests.servers import RedisProcess, fresh_database, redis_process
from web.frames import decode_frame
from web.live_relay import LiveRelay

TRACK = Path(__file__).resolve().parents[2] / "samples" / "tracks" / "formfit_squat.npz"


@pytest.fixture()
def restartable(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Cluster, RedisProcess]]:
    """A cluster on a Redis of its own, which the test may stop and start again."""
    with redis_process() as redis:
        cluster = Cluster(tmp_path, fresh_database(postgres_url), redis.url)
        # The patient's socket must outlive the outage without frames: no idle time-outs here.
        cluster.env["COACH_FIRST_FRAME_TIMEOUT_S"] = cluster.env["COACH_IDLE_TIMEOUT_S"] = "600"
        try:
            yield cluster, redis
        finally:
            cluster.stop()


def _landmarks() -> list[dict[str, Any]]:
    track = np.load(TRACK)
    size = (int(track["image_size"][0]), int(track["image_size"][1]))
    return track_messages(track["lm"], float(track["fps"]), size)


def _relay(url: str) -> str:
    return str(httpx.get(f"{url}/healthz", timeout=10).json()["relay"])


def _until(what: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.2)


def _follows(
    patient: ClientConnection, follower: ClientConnection, sid: str, sent: list[dict[str, Any]]
) -> None:
    """The follower gets the session's hello, the frames the patient sends next, and its note
    reaches the patient."""
    hello = _next(follower, "follow", 20)
    assert hello["session_id"] == sid
    for m in sent:
        patient.send(json.dumps(m))
        _next(patient, "frame")
        time.sleep(1 / 50)  # under the live socket's landmark rate limit
    while _next(follower, "frame")["seq"] != sent[-1]["seq"]:
        pass
    follower.send(json.dumps({"type": "message", "text": f"seen {sent[-1]['seq']}"}))
    assert _next(patient, "therapist_message")["text"] == f"seen {sent[-1]['seq']}"


def test_following_across_instances_works_again_after_redis_restarts(
    restartable: tuple[Cluster, RedisProcess],
) -> None:
    cluster, redis = restartable
    a, b = cluster.serve("serve-a"), cluster.serve("serve-b")
    messages = _landmarks()
    _until(lambda: _relay(a) == _relay(b) == "connected")
    with _ws(a, "/ws/live?exercise=squat&pose=device") as patient:
        sid = _next(patient, "session", 20)["session_id"]
        with _ws(b, f"/ws/follow/{sid}") as before:
            _follows(patient, before, sid, messages[:5])
            redis.stop()
            _until(lambda: _relay(a) == _relay(b) == "reconnecting")
            # The follow through Redis is told, then closed with "try again later"; the
            # follow page reconnects after any close but 4404.
            assert _next(before, "error", 60)["code"] == "relay_unavailable"
            with pytest.raises(ConnectionClosed) as closed:
                before.recv(timeout=20)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        redis.start()  # the same port, empty
        _until(lambda: _relay(a) == _relay(b) == "connected")
        with _ws(b, f"/ws/follow/{sid}") as after:
            _follows(patient, after, sid, messages[5:10])
    for name in ("serve-a", "serve-b"):
        log = (cluster.root / f"{name}.log").read_text()
        assert "live relay: lost Redis" in log and "live relay: Redis is back" in log, log
        assert "stopped serving" not in log and "Traceback" not in log, log


class _SilentProxy:
    """A TCP proxy to Redis that can go silent: it stops passing bytes on without closing
    anything (a firewall that forgot the connection, a host lost), and later passes them on."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )

    async def _pump(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        while True:
            await self.flowing.wait()
            data = await src.read(65536)
            if not data:
                dst.close()
                return
            await self.flowing.wait()  # held, not lost, while silent
            dst.write(data)
            await dst.drain()


def test_a_redis_connection_gone_silent_is_noticed_and_replaced(redis_url: str) -> None:
    async def scenario() -> list[str]:
        proxy = _SilentProxy(int(redis_url.rsplit(":", 1)[1].split("/")[0]))
        await proxy.start()
        registry = SessionRegistry(decode=decode_frame, isolation="thread")
        relay = LiveRelay(
            f"redis://127.0.0.1:{proxy.port}/0", registry, cluster="silent", probe_every_s=0.5
        )
        seen = []

        async def until(state: str) -> None:
            deadline = time.monotonic() + 90
            while relay.state != state:
                assert time.monotonic() < deadline, f"never {state}: {seen}"
                await asyncio.sleep(0.05)
            seen.append(state)

        await relay.start()
        try:
            await until("connected")
            proxy.flowing.clear()  # silent: the relay's connections stay open, nothing comes
            await until("reconnecting")
            proxy.flowing.set()
            await until("connected")
        finally:
            await relay.close()
            proxy.server.close()
        return seen

    assert asyncio.run(scenario()) == ["connected", "reconnecting", "connected"]
