"""What the instances of a cluster share through Redis: a therapist following on instance B a
patient's live session on instance A (frames, counts, a note back to the patient), the live
sessions per address, and the sign-in delays. Real `coach serve` processes, real sockets."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.cluster.processes import PASSWORD, Cluster
from tests.machine import wait_until
from tests.web.sockets import clip_messages


def _ws(url: str, path: str) -> ClientConnection:
    return connect(url.replace("http://", "ws://") + path, max_size=None, open_timeout=20)


def _next(ws: ClientConnection, kind: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        msg = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if msg["type"] == kind:
            return msg


def test_a_therapist_on_instance_b_follows_a_session_on_instance_a(
    cluster: Cluster, shared_data: Path
) -> None:
    _, messages = clip_messages(shared_data, "medflex/squat")
    a, b = cluster.serve("serve-a"), cluster.serve("serve-b")
    with _ws(a, "/ws/live?exercise=squat&pose=device") as patient:
        hello = _next(patient, "session", 20)
        with _ws(b, f"/ws/follow/{hello['session_id']}") as follower:
            first = json.loads(follower.recv(timeout=10))
            assert first["type"] == "follow" and first["session_id"] == hello["session_id"]
            for m in messages:
                patient.send(json.dumps(m))
                _next(patient, "frame")
                time.sleep(1 / 50)  # under the live socket's landmark rate limit
            frames = []
            while not frames or frames[-1]["seq"] != messages[-1]["seq"]:
                msg = json.loads(follower.recv(timeout=10))
                if msg["type"] == "frame":
                    frames.append(msg)
            assert frames[-1]["rep_count"] == 2 and frames[-1]["landmarks"] is not None
            follower.send(json.dumps({"type": "message", "text": "Well done"}))
            assert _next(patient, "therapist_message")["text"] == "Well done"
            follower.send(json.dumps({"type": "ping", "t": 7}))
            assert _next(follower, "pong")["t"] == 7
    with _ws(b, "/ws/follow/AAAAAAAAAAAA") as nobody:
        assert _next(nobody, "error")["code"] == "unknown_session"


def _published(redis_url: str) -> int:
    """The most live sessions one instance has published to Redis for one address."""
    from coach.live.caps import RedisLiveCaps
    from coach.store.cluster import redis_client

    r = redis_client(redis_url)
    hashes = [r.hgetall(name) for name in r.scan_iter(RedisLiveCaps.PREFIX + "*")]
    return max((int(n) for h in hashes for n in h.values()), default=0)


def test_live_sessions_per_address_are_counted_over_every_instance(cluster: Cluster) -> None:
    a, b = cluster.serve("serve-a"), cluster.serve("serve-b")
    with (
        _ws(a, "/ws/live?exercise=squat&pose=device") as one,
        _ws(a, "/ws/live?exercise=squat&pose=device") as two,
    ):
        _next(one, "session", 20), _next(two, "session", 20)
        wait_until(  # instance A publishes its counts every 2 s
            lambda: _published(cluster.redis_url) == 2, what="instance A to publish 2 sessions"
        )
        with _ws(b, "/ws/live?exercise=squat&pose=device") as third:
            assert _next(third, "error", 20)["code"] == "too_many"


def test_sign_in_delays_are_shared_by_every_instance(cluster: Cluster) -> None:
    cluster.store.create_user("ther", "Dr T", PASSWORD)
    a, b = cluster.serve("serve-a"), cluster.serve("serve-b")
    for _ in range(5):  # the free failures, all on instance A
        r = httpx.post(f"{a}/login", data={"username": "ther", "password": "wrong"})
        assert r.status_code == 401
    r = httpx.post(f"{b}/login", data={"username": "ther", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
