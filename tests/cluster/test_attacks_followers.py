"""Attack 1 of issue 25 in a cluster: followers relayed from another instance count against
the address's cap like local ones (web/routes/live.py takes the place before either path),
and a relayed follower that sends nothing is closed like a local one."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.cluster.processes import Cluster
from tests.web.attack_tools import RawWs, open_ws


def _open(url: str, path: str, source: str = "127.0.0.1") -> RawWs:
    where = urlsplit(url)
    ws = open_ws(where.hostname or "", where.port or 0, path, source=source, timeout=20)
    assert ws.status == 101
    return ws


def test_relayed_followers_are_capped_per_address_and_time_out(cluster: Cluster) -> None:
    cluster.env["COACH_MAX_FOLLOWERS_PER_ADDRESS"] = "2"
    cluster.env["COACH_FOLLOWER_IDLE_TIMEOUT_S"] = "3"
    a, b = cluster.serve("serve-a"), cluster.serve("serve-b")
    patient = _open(a, "/ws/live?exercise=squat&pose=device")
    sid = patient.recv_type("session", 20)["session_id"]
    held = [_open(b, f"/ws/follow/{sid}", "127.0.0.2") for _ in range(2)]
    for ws in held:
        assert ws.recv_type("follow", 20)["session_id"] == sid  # relayed from instance A
    third = _open(b, f"/ws/follow/{sid}", "127.0.0.2")
    assert third.recv_type("error", 20)["code"] == "too_many" and third.close_code() == 4429
    other = _open(b, f"/ws/follow/{sid}", "127.0.0.3")
    assert other.recv_type("follow", 20)["session_id"] == sid  # another address follows
    # Nobody pings: every relayed follower is closed after 3 s of silence.
    for ws in [*held, other]:
        assert ws.recv_type("error", 20)["code"] == "idle_timeout"
        assert ws.close_code() == 4408
        ws.close()
    patient.close()
    third.close()
