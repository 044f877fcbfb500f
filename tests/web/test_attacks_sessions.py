"""Attacks 4, 6 and 8 of issue 25, on live sessions of a real server.

4. Opening and closing 205 anonymous device sessions pushed a signed-in patient's waiting
   session out (the server kept 200): the therapist's follower got `expired`,
   `GET /api/sessions/SID` turned 404, and the patient coming back was told the server had
   restarted. Anonymous sessions now have a budget of their own.
6. A lone surrogate (`\\ud800`) in `client_error` broke the session's views: no `summary`
   after `end`, `/api/sessions/SID` and `/events` answered 500, followers silently missed the
   status. Text with one is refused where it enters.
8. A 400-digit `latency` gave `server_error` (OverflowError) instead of `bad_latency`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from coach.live import SessionRegistry
from tests.lanes import uses
from tests.web.attack_tools import RawWs, open_ws
from tests.web.review_app import Review, review_app
from web.frames import decode_frame


@pytest.fixture(scope="module")
@uses("server")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Review]:
    registry = SessionRegistry(decode=decode_frame, isolation="thread")
    with review_app(tmp_path_factory.mktemp("sessions"), registry=registry) as app:
        yield app


def _ws(site: Review, path: str, who: str | None = None, source: str = "127.0.0.1") -> RawWs:
    cookie = site.cookie(who) if who else None
    ws = open_ws(site.server.host, site.server.port, path, source=source, cookie=cookie)
    assert ws.status == 101
    return ws


def test_anonymous_sessions_cannot_push_out_a_patients_waiting_session(site: Review) -> None:
    patient = _ws(site, "/ws/live?exercise=squat&pose=device", "pat.a")
    sid = patient.recv_type("session")["session_id"]
    patient.close()  # the patient's page went away: the session waits for them
    follower = _ws(site, f"/ws/follow/{sid}", "ther.a")
    assert follower.recv_type("follow")["session_id"] == sid
    for i in range(205):  # from 20 addresses, so that no address holds two at once
        anonymous = _ws(
            site, "/ws/live?exercise=squat&pose=device", source=f"127.0.0.{10 + i % 20}"
        )
        anonymous.recv_type("session")
        anonymous.close()
    # The therapist still follows (no `expired` before the pong), the summary is there ...
    follower.send_json({"type": "ping", "t": 7})
    while True:
        message = follower.recv(10)
        assert not (isinstance(message, dict) and message.get("patient") == "expired"), message
        assert not isinstance(message, tuple), message
        if isinstance(message, dict) and message.get("type") == "pong":
            break
    with site.client("ther.a") as c:
        assert c.get(f"/api/sessions/{sid}").status_code == 200
    # ... and the patient resumes their own session, not a "restored" one.
    back = _ws(site, f"/ws/live?exercise=squat&pose=device&session={sid}", "pat.a")
    hello = back.recv_type("session")
    assert hello["how"] == "resumed" and "notice" not in hello
    back.close()
    follower.close()
    # The anonymous ones are held to their own budget.
    registry = site.server.server.config.app.state.registry
    assert sum(s.patient_id is None for s in registry.sessions()) <= registry.max_retained_anonymous


def _followed_session(site: Review) -> tuple[RawWs, RawWs, str]:
    """An anonymous on-device session, its patient socket, a follower's, and its id."""
    patient = _ws(site, "/ws/live?exercise=squat&pose=device")
    sid = patient.recv_type("session")["session_id"]
    follower = _ws(site, f"/ws/follow/{sid}")
    follower.recv_type("follow")
    return patient, follower, sid


def test_a_lone_surrogate_is_refused_where_it_enters(site: Review) -> None:
    patient, follower, sid = _followed_session(site)
    patient.send_text('{"type": "client_error", "code": "camera", "message": "bad \\ud800 text"}')
    error = patient.recv_type("error")
    assert error["code"] == "bad_message" and not error["fatal"]
    assert "surrogate" in error["message"]
    patient.send_json({"type": "client_error", "code": "camera_denied", "message": "No camera"})
    status = follower.recv_type("status")
    while status.get("patient") != "problem":
        status = follower.recv_type("status")
    assert status["code"] == "camera_denied"  # followers get the valid one
    patient.send_json({"type": "end"})
    summary = patient.recv_type("summary")
    assert summary["summary"]["id"] == sid
    patient.close()
    follower.close()
    with httpx.Client(base_url=site.url, timeout=30) as c:
        assert c.get(f"/api/sessions/{sid}").status_code == 200
        events = c.get(f"/api/sessions/{sid}/events")
        assert events.status_code == 200
        problems = [e for e in events.json() if e.get("kind") == "ClientProblem"]
        assert [p["code"] for p in problems] == ["camera_denied"]


def test_a_follower_note_with_a_lone_surrogate_is_refused(site: Review) -> None:
    patient, follower, _ = _followed_session(site)
    follower.send_text('{"type": "message", "text": "\\udfff"}')
    assert follower.recv_type("error")["code"] == "bad_message"
    patient.close()
    follower.close()


@pytest.mark.parametrize("digits", ["9" * 400, "-" + "9" * 400])
def test_a_400_digit_latency_is_bad_latency(site: Review, digits: str) -> None:
    ws = _ws(site, "/ws/live?exercise=targets_reach_seated&pose=device")
    ws.recv_type("session")
    ws.send_text(f'{{"type": "latency", "ms": {digits}}}')
    error = ws.recv_type("error")
    assert error["code"] == "bad_latency" and not error["fatal"], error
    assert "at most 5000" in error["message"]
    ws.send_text(json.dumps({"type": "latency", "ms": 120}))
    ws.send_json({"type": "ping", "t": 3})
    replies = [ws.recv()]
    while not (isinstance(replies[-1], dict) and replies[-1].get("type") == "pong"):
        replies.append(ws.recv())
    assert not [r for r in replies if isinstance(r, dict) and r.get("type") == "error"], replies
    ws.close()


def test_control_messages_beyond_their_budget_are_ignored_and_said_once(site: Review) -> None:
    """10 control messages a second, 20 at once: 60 pings sent together get about 20 pongs
    and a `too_fast`; an `end` sent right after, over the budget, still gets its summary."""
    ws = _ws(site, "/ws/live?exercise=squat&pose=device")
    ws.recv_type("session")
    for i in range(60):
        ws.send_json({"type": "ping", "t": i})
    ws.send_json({"type": "end"})
    replies = []
    while not (replies and isinstance(replies[-1], dict) and replies[-1]["type"] == "summary"):
        message = ws.recv(10)
        assert not isinstance(message, tuple), replies  # closed before the summary
        replies.append(message)
    pongs = [r for r in replies if r["type"] == "pong"]
    too_fast = [r for r in replies if r.get("code") == "too_fast"]
    assert 15 <= len(pongs) <= 30 and len(too_fast) >= 1, replies
    assert ws.close_code() == 1000
    ws.close()


@pytest.mark.server
def test_on_device_sessions_have_a_total_cap() -> None:
    """`max_device` (100; `coach serve --max-device`, lowered to a quarter of the connections
    the open files allow): beyond it, `server_busy`."""
    from coach.live import LiveLimits
    from web.app import create_app
    from web.server import BackgroundServer

    limits = LiveLimits(max_device=2, max_per_address=10)
    registry = SessionRegistry(decode=decode_frame, isolation="thread", limits=limits)
    with BackgroundServer(create_app(registry)) as server:
        path = "/ws/live?exercise=squat&pose=device"
        held = [open_ws(server.host, server.port, path, source=f"127.0.0.{i}") for i in (2, 3)]
        for ws in held:
            ws.recv_type("session")
        third = open_ws(server.host, server.port, path, source="127.0.0.4")
        assert third.recv_type("error")["code"] == "server_busy"
        assert third.close_code() == 4503
        for ws in [*held, third]:
            ws.close()
