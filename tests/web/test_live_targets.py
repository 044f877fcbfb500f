"""A hand-eye targets task runs live (issue 16): the real app, a real SQLite store, a real
uvicorn server and socket. A real arm-raising clip's landmark track (our pipeline's, from
rehab_bme410/shoulder_abduction) is sent as a `pose=device` page would, into a targets
session with a fixed seed (a server started with `allow_seed`, as only tests are): targets
are shown and scored, the session ends by itself when the schedule is done, and the stored
session carries each target's measures to the session page and the JSON export. Bad input
(a level the task lacks, a seed on a public server, a bad latency) gets a clear message.
The stored-session, reconnect and server-pose tests run the library task with 2 targets a hand
(tests.helpers.short_task: at level 3 the first 4 of its schedule); the missing-hand test runs
all 12 to the end."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from coach.live import LiveLimits
from coach.live.landmarks import track_messages
from pose.landmarks import Landmark
from pose.sources import VideoFileSource
from tests.helpers.short_task import PER_HAND, SHORT_TASK, WIDE, short_task
from tests.lanes import uses
from tests.web.in_process import threaded_app
from tests.web.pages import SERVER_CAMERA_FPS
from tests.web.review_app import Review, review_app
from tests.web.y4m import clip_frames
from web.server import BackgroundServer

CLIP = "rehab_bme410/shoulder_abduction"
TASK = "targets_reach_seated"
# Level 3 and this seed: in the replay targets 1, 2 and 4 are touched (both hands), 3 missed.
SEED = 126
UNLIMITED = LiveLimits(
    max_landmarks_per_s=1e6, landmark_burst=10**6, max_messages_per_s=1e6, message_burst=10**6
)


@pytest.fixture(scope="module")
@uses("server", "subprocess")
def targets_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Review]:
    """The app with a store, no message-rate limit (replays go as fast as the socket
    answers) and `allow_seed`, so the test knows its schedule; the short task known."""
    root = tmp_path_factory.mktemp("targets")
    with (
        short_task(root / "exercises"),
        review_app(root, max_active=1, live_limits=UNLIMITED, allow_seed=True) as app,
    ):
        yield app


def clip_track(shared_data: Path) -> tuple[np.ndarray, float, tuple[int, int]]:
    manifest = json.loads((shared_data / "MANIFEST.json").read_text())["videos"]
    (clip,) = [c for c in manifest if c["id"] == CLIP]
    with VideoFileSource(shared_data / clip["video"]) as src:
        info = src.info
    lm = np.load(shared_data / clip["landmarks"])["lm"]
    return lm, float(info.fps), (info.width, info.height)


def looped(messages: list[dict[str, Any]], fps: float, times: int) -> list[dict[str, Any]]:
    """The clip's messages played `times` over, time and seq going on (a longer session)."""
    span = messages[-1]["t"] + 1.0 / fps
    n = len(messages)
    return [
        {**m, "seq": m["seq"] + k * n, "t": round(m["t"] + k * span, 4)}
        for k in range(times)
        for m in messages
    ]


def ws_url(server: Review, query: str) -> str:
    return server.url.replace("http://", "ws://") + f"/ws/live?{query}"


def patient_socket(app: Review, query: str, who: str | None = "pat.a") -> ClientConnection:
    headers = {"Cookie": f"coach_session={app.cookie(who)}"} if who else {}
    return connect(ws_url(app, query), additional_headers=headers, max_size=None, open_timeout=30)


def send_frames(ws: ClientConnection, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send each landmark message and wait for its reply; stop at the frame whose events
    say the schedule is done. Returns every message received (frames, errors, ...)."""
    received: list[dict[str, Any]] = []
    for m in messages:
        ws.send(json.dumps(m))
        while True:
            msg = json.loads(ws.recv(timeout=10))
            received.append(msg)
            if msg.get("seq") == m["seq"] and msg["type"] in ("frame", "dropped", "error"):
                break
        if msg["type"] == "frame" and any(e["kind"] == "AllSetsDone" for e in msg["events"]):
            break
    return received


def events_of(received: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for m in received if m["type"] == "frame" for e in m["events"] if e["kind"] == kind]


def until_closed(ws: ClientConnection, timeout: float = 15.0) -> list[dict[str, Any]]:
    """Everything the server sends until it closes the socket by itself."""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    with pytest.raises(ConnectionClosed):
        while time.monotonic() < deadline:
            out.append(json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic()))))
    return out


def test_a_targets_session_runs_ends_by_itself_and_is_stored(
    targets_app: Review, shared_data: Path
) -> None:
    lm, fps, size = clip_track(shared_data)
    messages = looped(track_messages(lm, fps, size), fps, 12)
    total = 2 * PER_HAND
    # Level 3: far, small targets, which a straight arm raised sideways passes through.
    query = f"exercise={SHORT_TASK}&pose=device&seed={SEED}&level=3"
    with patient_socket(targets_app, query) as ws:
        hello = json.loads(ws.recv(timeout=20))
        assert hello["type"] == "session" and hello["exercise"]["kind"] == "targets"
        assert hello["targets"] == {
            "task": SHORT_TASK,
            "level": 3,
            "count": total,
            "hands": ["left", "right"],
            "layout": "reach",
            "point": "wrist",
        }
        assert hello["set"]["unit"] == "target" and hello["set"]["per_set"] == total
        # The page's measured latency: the first is taken, one sent at once after is dropped.
        ws.send(json.dumps({"type": "latency", "ms": 120}))
        ws.send(json.dumps({"type": "latency", "ms": 999}))
        received = send_frames(ws, messages)
        assert not [m for m in received if m["type"] == "error"]
        last = received[-1]
        assert last["stage"] == "done" and last["rep_count"] == 0
        assert last["set"]["done"] == total and last["set"]["complete"]
        closing = until_closed(ws)
    shown = events_of(received, "TargetShown")
    results = events_of(received, "TargetResult")
    assert [e["index"] for e in shown] == list(range(1, total + 1))
    assert [e["hand"] for e in shown] == ["left", "right"] * PER_HAND
    for e in shown:
        assert 0 <= e["x"] <= 1 and 0 <= e["y"] <= 1 and e["radius"] > 0
        assert e["path"] == [] and e["timeout_s"] == 6
    assert [e["index"] for e in results] == list(range(1, total + 1))
    words = {
        "hit": "Well done, you touched it",
        "miss": "Missed: try to reach it next time",
    }
    for e in results:
        assert e["message"] == words[e["status"]], e
        assert e["latency_s"] == pytest.approx(0.12)
        assert e["detail"].startswith(f"Target {e['index']} ({e['hand']} hand)")
    hits = sum(e["hit"] for e in results)
    # Arms raised sideways touch some, not all: both words are checked above.
    assert 1 <= hits < total, [e["status"] for e in results]
    # Ended by the server: the summary, then a normal close.
    (summary,) = [m["summary"] for m in closing if m["type"] == "summary"]
    assert summary["state"] == "ended" and summary["no_count_reason"] is None
    block = summary["targets"]
    assert block["text"] == f"{hits} of {total} targets touched"
    assert block["hands"]["left"]["targets"] == PER_HAND
    assert block["hands"]["right"]["done"] == PER_HAND
    assert block["hands"]["left"]["touched"] + block["hands"]["right"]["touched"] == hits
    assert block["hands_text"].startswith("Left hand ")

    # Stored like an offline targets session: per-target measures, level, seed, latency.
    session_id = hello["session_id"]
    recorder = targets_app.server.server.config.app.state.registry.recorder
    recorder.flush()
    with targets_app.client("ther.a") as c:
        data = c.get(f"/sessions/{session_id}/session.json").json()
        stored = data["targets"]
        assert stored["seed"] == SEED and stored["level"] == 3 and stored["task"] == SHORT_TASK
        assert stored["latency_s"] == pytest.approx(0.12)
        assert stored["frame_interval_s"] == pytest.approx(1 / fps, rel=0.05)
        assert len(stored["shown"]) == total and len(stored["results"]) == total
        assert [r["hit"] for r in stored["results"]] == [e["hit"] for e in results]
        assert all(r["resolution_s"] > 0 for r in stored["results"])
        assert any(r["reaction_s"] is not None for r in stored["results"])
        # The store keeps the engine's own sentence for the therapist.
        assert [r["message"] for r in stored["results"]] == [e["detail"] for e in results]
        assert stored["hands"]["left"]["targets"] == PER_HAND
        page = c.get(f"/sessions/{session_id}")
        assert page.status_code == 200
        assert 'data-testid="target-table"' in page.text
        assert f"{hits} of {total} targets reached" in page.text
        assert "the page's measured loop latency of 0.120 s" in page.text


def test_bad_level_and_seed_are_refused_clearly(targets_app: Review) -> None:
    for query, words in (
        (f"exercise={TASK}&pose=device&level=7", "has no level 7; choose one of 1, 2, 3"),
        (f"exercise={TASK}&pose=device&level=two", "level must be a level number"),
        ("exercise=squat&pose=device&level=2", "level is for targets tasks"),
    ):
        with patient_socket(targets_app, query, who=None) as ws:
            error = json.loads(ws.recv(timeout=20))
            assert error["type"] == "error" and error["fatal"] and error["code"] == "bad_request"
            assert words in error["message"], error
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400


@pytest.mark.server
def test_a_public_server_takes_no_seed() -> None:
    with BackgroundServer(threaded_app(max_active=1)) as server:
        url = server.url.replace("http://", "ws://") + f"/ws/live?exercise={TASK}&seed=3"
        with connect(url, open_timeout=30) as ws:
            error = json.loads(ws.recv(timeout=20))
            assert error["code"] == "bad_request" and "draws the targets" in error["message"]


def test_bad_latency_gets_an_error_and_a_missing_hand_is_said(
    targets_app: Review, shared_data: Path
) -> None:
    lm, fps, size = clip_track(shared_data)
    # The right arm is seen at first, then never again (out of the picture).
    gone = lm.copy()
    for joint in (Landmark.RIGHT_WRIST, Landmark.RIGHT_ELBOW, Landmark.RIGHT_INDEX):
        gone[:, int(joint), 3] = 0.0
    first = track_messages(lm, fps, size)
    later = track_messages(gone, fps, size, lead_s=0.0)
    messages = first + looped(later, fps, 12)
    for i, m in enumerate(messages):
        m["seq"], m["t"] = i, round(i / fps, 4)
    with patient_socket(targets_app, f"exercise={TASK}&pose=device&seed={SEED}") as ws:
        json.loads(ws.recv(timeout=20))
        for bad, words in (
            ('{"type": "latency", "ms": NaN}', "must be finite"),
            ('{"type": "latency", "ms": -5}', "more than 0 and at most 5000"),
            ('{"type": "latency", "ms": 1e9}', "more than 0 and at most 5000"),
            ('{"type": "latency", "ms": "fast"}', "must be a number of milliseconds"),
            ('{"type": "latency"}', "must be a number of milliseconds"),
        ):
            ws.send(bad)
            error = json.loads(ws.recv(timeout=10))
            assert error["type"] == "error" and not error["fatal"], error
            assert error["code"] in ("bad_latency", "bad_message"), error
            assert words.lower() in error["message"].lower(), (bad, error)
        received = send_frames(ws, messages)
        assert received[-1]["type"] == "frame" and received[-1]["stage"] == "done"
        # The page ends it after its well done (before the server would): one summary.
        ws.send(json.dumps({"type": "end"}))
        closing = until_closed(ws)
        assert [m["type"] for m in closing].count("summary") == 1
    results = events_of(received, "TargetResult")
    right = [r for r in results if r["hand"] == "right"]
    assert len(right) == 6
    unseen = [r for r in right if r["status"] == "hand_not_seen"]
    assert len(unseen) >= 5, [r["status"] for r in right]
    assert {r["message"] for r in unseen} == {"I could not see your right hand"}
    assert all(r["latency_s"] is None for r in results)  # never reported


def test_followers_see_the_targets(targets_app: Review, shared_data: Path) -> None:
    lm, fps, size = clip_track(shared_data)
    messages = track_messages(lm, fps, size)
    with patient_socket(targets_app, f"exercise={TASK}&pose=device&seed={SEED}") as ws:
        hello = json.loads(ws.recv(timeout=20))
        url = targets_app.url.replace("http://", "ws://") + f"/ws/follow/{hello['session_id']}"
        headers = {"Cookie": f"coach_session={targets_app.cookie('ther.a')}"}
        with connect(url, additional_headers=headers, max_size=None) as follower:
            follow = json.loads(follower.recv(timeout=10))
            assert follow["type"] == "follow" and follow["targets"]["count"] == 12
            send_frames(ws, messages)
            seen: list[dict[str, Any]] = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                msg = json.loads(follower.recv(timeout=10))
                if msg["type"] == "frame":
                    seen.append(msg)
                    if msg["seq"] == messages[-1]["seq"]:
                        break
        ws.send(json.dumps({"type": "end"}))
        closing = until_closed(ws)
    assert events_of(seen, "TargetShown"), "the follower saw no target"
    # A patient who ends early: the summary says how far they got, in words.
    (summary,) = [m["summary"] for m in closing if m["type"] == "summary"]
    assert summary["no_count_reason"] is None
    assert summary["targets"]["text"].endswith(" of 12 targets touched")
    assert summary["targets"]["done"] < 12


@pytest.mark.model
@pytest.mark.subprocess
def test_server_pose_runs_the_schedule_in_the_worker(
    targets_app: Review, shared_data: Path
) -> None:
    """`pose=server`: the page sends the real clip's JPEG frames, the model and the schedule
    run in the session's worker process; a target is shown and scored, the patient ends
    early with the next one up, and the stored summary has what was done."""
    quality = [cv2.IMWRITE_JPEG_QUALITY, 75]
    frames = [
        cv2.imencode(".jpg", image, quality)[1].tobytes()
        for image in clip_frames(shared_data / "videos" / f"{CLIP}.mp4", 480, SERVER_CAMERA_FPS)
    ]
    # Wide targets on the clip's wrist path: touched soon, not timed out.
    with patient_socket(targets_app, f"exercise={SHORT_TASK}&seed={SEED}&level={WIDE}") as ws:
        hello = json.loads(ws.recv(timeout=30))
        assert hello["pose"] == "server" and hello["targets"]["count"] == 2 * PER_HAND
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        i = 0
        while time.monotonic() < deadline and len(events_of(received, "TargetShown")) < 2:
            ws.send(frames[i % len(frames)])
            i += 1
            while True:
                msg = json.loads(ws.recv(timeout=30))
                received.append(msg)
                if msg["type"] in ("frame", "dropped", "error"):
                    break
        ws.send(json.dumps({"type": "end"}))
        closing = until_closed(ws)
    session = targets_app.server.server.config.app.state.registry.get(hello["session_id"])
    assert session is not None and session.worker_pid is None  # the worker is freed
    shown = events_of(received, "TargetShown")
    results = events_of(received, "TargetResult")
    assert [e["index"] for e in shown] == [1, 2] and len(results) == 1, [
        (m.get("stage"), m.get("setup")) for m in received[-3:]
    ]
    # Scored from the frames the worker saw: the hand's path and its measures, or, on a machine
    # so loaded that it answered only a few while the target was up (the hand must be seen in
    # 3 and in half of them), "hand not seen", as a patient's slow computer would be told.
    first, result = (
        next(k for k, m in enumerate(received) if events_of([m], kind))
        for kind in ("TargetShown", "TargetResult")
    )
    answered = sum(m["type"] == "frame" for m in received[first:result])
    got = [(r["status"], r.get("resolution_s"), answered) for r in results]
    for r in results:
        if r["status"] == "hand_not_seen":
            assert answered < 6, got  # with the hand in view in 6 frames, it was seen
        else:
            assert r["status"] in ("hit", "miss") and r["resolution_s"] > 0, got
    # The target still up when the patient ended is closed and scored too.
    (summary,) = [m["summary"] for m in closing if m["type"] == "summary"]
    assert summary["targets"]["done"] == 2
    targets_app.server.server.config.app.state.registry.recorder.flush()
    with targets_app.client("ther.a") as c:
        stored = c.get(f"/sessions/{hello['session_id']}/session.json").json()["targets"]
    assert stored["seed"] == SEED and len(stored["results"]) == 2
    assert stored["frame_interval_s"] > 0


def test_a_reconnect_goes_on_with_the_targets_left(targets_app: Review, shared_data: Path) -> None:
    lm, fps, size = clip_track(shared_data)
    messages = looped(track_messages(lm, fps, size), fps, 12)
    query = f"exercise={SHORT_TASK}&pose=device&seed={SEED}&level=3"
    with patient_socket(targets_app, query) as ws:
        hello = json.loads(ws.recv(timeout=20))
        before: list[dict[str, Any]] = []
        for m in messages:  # until the first target's result, then the page goes away
            before += send_frames(ws, [m])
            if events_of(before, "TargetResult"):
                break
    # Stored at once: a patient who never comes back still leaves their targets so far.
    recorder = targets_app.server.server.config.app.state.registry.recorder
    stored = None
    deadline = time.monotonic() + 10
    while stored is None and time.monotonic() < deadline:
        time.sleep(0.2)
        recorder.flush()
        with targets_app.client("ther.a") as c:
            data = c.get(f"/sessions/{hello['session_id']}/session.json").json()
        stored = data["targets"]
    assert stored is not None and stored["seed"] == SEED and len(stored["results"]) >= 1
    query = f"exercise={SHORT_TASK}&pose=device&session={hello['session_id']}"
    with patient_socket(targets_app, query) as ws:
        again = json.loads(ws.recv(timeout=20))
        assert again["how"] == "resumed" and again["targets"] == hello["targets"]
        # The target up when the page went was closed and scored then.
        done = again["set"]["done"]
        assert done in (1, 2)
        later = [{**m, "t": m["t"] + 1000.0} for m in messages]
        after = send_frames(ws, later)
        assert after[-1]["stage"] == "done"
        until_closed(ws)
    indexes = [e["index"] for e in events_of(before + after, "TargetResult")]
    assert len(indexes) + (done - len(events_of(before, "TargetResult"))) == 2 * PER_HAND
    assert sorted(set(indexes)) == indexes and indexes[-1] == 2 * PER_HAND
