"""What the instances of a cluster share through Redis: a therapist following on instance B a
patient's live session on instance A (frames, counts, a note back to the patient), the live
sessions per address, and the sign-in delays; and nothing shared with another cluster on the
same Redis. Real `coach serve` processes, real sockets."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from coach.store.cluster import redis_client
from tests.cluster.processes import PASSWORD, Cluster
from tests.cluster.processes import next_message as _next
from tests.cluster.processes import open_ws as _ws
from tests.machine import wait_until
from tests.servers import fresh_database
from tests.web.sockets import clip_messages


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


def test_two_clusters_on_one_redis_do_not_see_each_others_sessions(
    cluster: Cluster, tmp_path: Path, postgres_url: str
) -> None:
    """Redis pub/sub ignores the database number: the live channels carry the cluster's name
    (by default derived from its database)."""
    other_redis = cluster.redis_url.rsplit("/", 1)[0] + "/1"  # its own database number
    redis_client(other_redis).flushdb()
    (tmp_path / "other").mkdir()
    other = Cluster(tmp_path / "other", fresh_database(postgres_url), other_redis)
    try:
        a, b = cluster.serve("serve-a"), cluster.serve("serve-b")
        stranger = other.serve("other-a")
        assert httpx.get(f"{stranger}/healthz").json()["relay"] == "connected"
        with _ws(a, "/ws/live?exercise=squat&pose=device") as patient:
            sid = _next(patient, "session", 20)["session_id"]
            with _ws(stranger, f"/ws/follow/{sid}") as outsider:
                assert _next(outsider, "error", 20)["code"] == "unknown_session"
            with _ws(b, f"/ws/follow/{sid}") as colleague:  # the same cluster: followed
                assert _next(colleague, "follow", 20)["session_id"] == sid
    finally:
        other.stop()
