"""The live WebSocket protocol (docs/LIVE-PROTOCOL.md): bad input of every kind must get a
message a person can read, and the session must go on.

Where the model is the subject (counting a real clip, a person leaving, a crashed model
process, a restart) against a real uvicorn server with the real pose pipeline; where the
protocol is (errors, refusals, followers, dropping, a second tab, ending), in-process on a
TestClient with the model replaced by a recorded squat track (tests/web/in_process.py), in
the fast lane; uvicorn's message size limit on a real server with that track.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from websockets.sync.client import connect

from coach.live import SessionRegistry
from tests.helpers.estimators import sample_track, track_processor_factory
from tests.machine import wait_until
from tests.web.in_process import InProcessApp, in_process, threaded_app
from tests.web.sockets import (
    close_code,
    open_patient,
    recv,
    recv_type,
    registry_of,
    send_frame,
    ws_url,
)
from web.app import create_app
from web.frames import decode_frame, read_clip_scaled
from web.server import BackgroundServer

Frames = tuple[list[bytes], float]


def standing_until_active(
    ws: Any, frame: bytes, tick: Callable[[], None] = lambda: None, most: int = 90
) -> list[dict[str, Any]]:
    """Send `frame` (the patient standing in view) until the session counts: stage "active",
    the setup check passed for its hold (0.5 s); the replies. `tick` runs before each frame."""
    replies: list[dict[str, Any]] = []
    while not replies or replies[-1].get("stage") != "active":
        assert len(replies) < most, f"still not counting after {most} frames: {replies[-1]}"
        tick()
        replies.append(send_frame(ws, frame))
    return replies


def after_disconnect(server: BackgroundServer, session_id: str, times: int) -> dict[str, Any]:
    """The session's summary once the server has handled the patient's `times`-th
    disconnect (its PatientDisconnected event is logged last, after the pipeline's final
    events), rather than a fixed wait after the client closed the socket."""
    url = f"{server.url}/api/sessions/{session_id}"

    def handled() -> bool:
        kinds = [e["kind"] for e in httpx.get(f"{url}/events").json()]
        return kinds.count("PatientDisconnected") == times

    wait_until(handled, 10, f"session {session_id} disconnected {times} times")
    summary: dict[str, Any] = httpx.get(url).json()
    return summary


def test_a_clip_streamed_over_the_socket_is_counted_across_a_reconnect(
    live_server: BackgroundServer,
    squat_jpegs: Frames,
    squat_clip: tuple[Path, dict[str, Any]],
) -> None:
    frames, fps = squat_jpegs
    truth = squat_clip[1]["ground_truth"]["reps"]
    cut = int(4.5 * fps)  # between the clip's two squats, the patient standing
    with open_patient(live_server) as ws:
        hello = recv(ws)
        assert hello["type"] == "session" and hello["how"] == "new"
        assert hello["exercise"]["id"] == "squat" and hello["stage"] == "setup"
        assert hello["follow_path"] == f"/follow/{hello['session_id']}"
        assert len(hello["skeleton_edges"]) > 10
        session_id = hello["session_id"]
        replies = standing_until_active(ws, frames[0])
        replies += [send_frame(ws, f) for f in frames[:cut]]
    stand = len(replies)
    assert all(r["type"] == "frame" for r in replies)
    last = replies[-1]
    assert len(last["landmarks"]) == 33 and last["stage"] == "active"
    assert last["rep_count"] == 1
    assert last["set"] == {
        "set": 1,
        "sets": 3,
        "done": 1,
        "per_set": 10,
        "unit": "rep",
        "complete": False,
    }

    # The page reloads mid-set: same session, fresh processor, the count goes on.
    summary = after_disconnect(live_server, session_id, 1)
    assert summary["state"] == "disconnected" and summary["rep_count"] == 1
    rest = [frames[cut]] * 30 + frames[cut:]
    with open_patient(live_server, f"exercise=squat&session={session_id}&reps=1") as ws:
        hello = recv(ws)
        assert hello["how"] == "resumed" and hello["rep_count"] == 1
        replies = [send_frame(ws, f) for f in rest]
    reps = [e for r in replies for e in r.get("events", []) if e["kind"] == "RepCompleted"]
    assert replies[-1]["rep_count"] == truth
    assert [e["index"] for e in reps] == list(range(2, truth + 1))
    summary = after_disconnect(live_server, session_id, 2)
    assert [r["index"] for r in summary["reps"]] == list(range(1, truth + 1))
    events = httpx.get(f"{live_server.url}/api/sessions/{session_id}/events").json()
    kinds = [e["kind"] for e in events]
    assert kinds.count("PatientConnected") == 2 and kinds.count("PatientDisconnected") == 2
    assert summary["stats"]["frames_processed"] == stand + len(rest)


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", width, height)
    return b"\x89PNG\r\n\x1a\n" + ihdr


def test_bad_messages_get_clear_errors_and_the_session_survives(
    fake_app: InProcessApp, jpegs: list[bytes]
) -> None:
    frames = jpegs
    with fake_app.socket("/ws/live?exercise=squat") as ws:
        recv(ws)
        ws.send("hello")
        err = recv_type(ws, "error")
        assert err["code"] == "bad_message" and "JSON" in err["message"] and not err["fatal"]
        ws.send(json.dumps({"no": "type"}))
        assert "type" in recv_type(ws, "error")["message"]
        ws.send(json.dumps({"type": "dance"}))
        assert "dance" in recv_type(ws, "error")["message"]
        ws.send(json.dumps({"type": "ping", "t": 5}))
        assert recv_type(ws, "pong")["t"] == 5

        cases = {
            b"": "Empty frame",
            b"GIF89a not what we take": "not a camera image",
            frames[0][:200]: "Corrupt image",
            b"\xff\xd8\xff" + bytes(1_200_000): "Frame too large",
            _png_header(4000, 3000) + bytes(100): "4000x3000",
            _png_header(8, 8) + bytes(100): "too small",
        }
        for data, words in cases.items():
            reply = send_frame(ws, data)
            assert reply["type"] == "error" and reply["code"] == "bad_frame", reply
            assert words in reply["message"] and not reply["fatal"]

        good = send_frame(ws, frames[0])
        assert good["type"] == "frame" and good["landmarks"] is not None
        session_id = registry_id(fake_app.registry)
    summary = fake_app.http.get(f"/api/sessions/{session_id}").json()
    assert summary["stats"]["frames_rejected"] == len(cases)
    assert summary["stats"]["frames_processed"] == 1


def registry_id(registry: SessionRegistry) -> str:
    """The id of the only connected session (this test's)."""
    ids = [s.id for s in registry.sessions() if s.connected]
    assert len(ids) == 1
    return ids[0]


@pytest.mark.server
def test_a_frame_beyond_the_socket_limit_closes_only_that_connection(jpegs: list[bytes]) -> None:
    """uvicorn's own limit (the real server; the recorded squat in the model's place)."""
    app = threaded_app(processor_factory=track_processor_factory(sample_track()))
    with BackgroundServer(app) as server:
        with open_patient(server) as ws:
            session_id = recv(ws)["session_id"]
            send_frame(ws, jpegs[0])
            ws.send(b"\xff\xd8\xff" + bytes(5 * 1024 * 1024))
            assert close_code(ws) == 1009  # "message too big": the page says so and reconnects
        with open_patient(server, f"exercise=squat&session={session_id}") as ws:
            hello = recv(ws)
            assert hello["how"] == "resumed"
            assert send_frame(ws, jpegs[1])["type"] == "frame"


def test_frames_sent_while_busy_go_to_the_model_two_deep_the_rest_are_dropped(
    jpegs: list[bytes],
) -> None:
    frames = jpegs
    # A burst finds the model busy; none of it grows too old to process (not the subject).
    slow = track_processor_factory(sample_track(), delay_s=0.5)
    with (
        in_process(threaded_app(processor_factory=slow, max_frame_age_s=30.0)) as app,
        app.socket("/ws/live?exercise=squat") as ws,
    ):
        recv(ws)
        send_frame(ws, frames[0])  # model warm
        burst = frames[1:7]
        for f in burst:
            ws.send(f)
        replies = [recv_type(ws, "frame", "dropped") for _ in burst]
    by_seq = {r["seq"]: r for r in replies}
    assert sorted(by_seq) == list(range(2, 2 + len(burst)))  # one reply per frame
    processed = [r["seq"] for r in replies if r["type"] == "frame"]
    dropped = [r for r in replies if r["type"] == "dropped"]
    assert dropped and all(r["reason"] == "superseded" for r in dropped)
    assert processed[:2] == [2, 3]  # the model's and the one queued behind it
    assert len(processed) <= 4
    assert processed[-1] == 1 + len(burst)  # the newest frame is the one processed
    assert processed == sorted(processed)


def test_unknown_exercise_and_unknown_session_are_refused_with_reasons(
    fake_app: InProcessApp,
) -> None:
    with fake_app.socket("/ws/live?exercise=moonwalk") as ws:
        err = recv(ws)
        assert err["code"] == "unknown_exercise" and err["fatal"]
        assert "moonwalk" in err["message"] and "squat" in err["message"]
        assert close_code(ws) == 4400
    with fake_app.socket("/ws/live?") as ws:
        assert recv(ws)["code"] == "bad_request"
    with fake_app.socket("/ws/live?exercise=squat&session=bad!id") as ws:
        assert recv(ws)["code"] == "bad_session_id"
    with fake_app.socket("/ws/follow/NoSuchSession1") as ws:
        err = recv(ws)
        assert err["code"] == "unknown_session" and err["fatal"]
        assert close_code(ws) == 4404
    assert fake_app.http.get("/api/sessions/NoSuchSession1").status_code == 404
    assert fake_app.http.get("/follow/x").status_code == 404


def test_therapist_follows_with_landmarks_only_and_can_message_the_patient(
    fake_app: InProcessApp, jpegs: list[bytes]
) -> None:
    frames = jpegs
    with fake_app.socket("/ws/live?exercise=squat") as patient:
        session_id = recv(patient)["session_id"]
        with fake_app.socket(f"/ws/follow/{session_id}") as therapist:
            hello = recv(therapist)
            assert hello["type"] == "follow" and hello["connected"]
            assert hello["exercise"]["id"] == "squat" and "summary" in hello
            assert recv_type(patient, "followers")["count"] == 1

            mine = send_frame(patient, frames[0])
            theirs = recv_type(therapist, "frame")
            assert theirs["seq"] == mine["seq"] and theirs["rep_count"] == mine["rep_count"]
            assert theirs["landmarks"] == mine["landmarks"]

            therapist.send(json.dumps({"type": "message", "text": "  Slow\x00 down\n please "}))
            got = recv_type(patient, "therapist_message")
            assert got["text"] == "Slow down please"
            assert recv_type(therapist, "therapist_message")["delivered"] is True
            therapist.send(json.dumps({"type": "message", "text": "again"}))
            assert recv_type(therapist, "error")["code"] == "too_fast"
            therapist.send(b"\x00\x01")
            assert recv_type(therapist, "error")["code"] == "bad_message"

            # No video unless the patient opts in; then downscaled JPEGs go along.
            patient.send(json.dumps({"type": "share_video", "enabled": True}))
            assert recv_type(therapist, "status")["video"] is True
            send_frame(patient, frames[1])
            data = therapist.recv(timeout=10)
            while isinstance(data, str):
                data = therapist.recv(timeout=10)
            assert data == frames[1]

            patient.send(
                json.dumps(
                    {
                        "type": "client_error",
                        "code": "camera_denied",
                        "message": "Camera access is blocked.",
                    }
                )
            )
            status = recv_type(therapist, "status")
            while status.get("patient") != "problem":
                status = recv_type(therapist, "status")
            assert status["code"] == "camera_denied"
        # The patient leaves: the follower would be told; the summary stays.
    summary = fake_app.http.get(f"/api/sessions/{session_id}").json()
    assert [m["text"] for m in summary["messages"]] == ["Slow down please"]
    assert "Camera access is blocked." in summary["warnings"]


def test_disconnect_frees_the_pipeline_and_a_second_tab_takes_over(
    fake_app: InProcessApp, jpegs: list[bytes]
) -> None:
    registry = fake_app.registry
    with fake_app.socket("/ws/live?exercise=squat") as first:
        session_id = recv(first)["session_id"]
        send_frame(first, jpegs[0])
        session = registry.get(session_id)
        assert session is not None and session.connected and session.pipeline_alive
        with fake_app.socket(f"/ws/live?exercise=squat&session={session_id}") as second:
            assert recv(second)["how"] == "resumed"
            err = recv_type(first, "error")
            assert err["code"] == "taken_over" and err["fatal"]
            assert close_code(first) == 4409
            assert send_frame(second, jpegs[1])["type"] == "frame"
    # The socket goes first, then the pipeline finishes its last frame and is freed.
    wait_until(
        lambda: not session.connected and not session.pipeline_alive, 10, "the pipeline freed"
    )
    summary = fake_app.http.get(f"/api/sessions/{session_id}").json()
    assert summary["state"] == "disconnected"


def test_ending_the_session_returns_the_summary(fake_app: InProcessApp, jpegs: list[bytes]) -> None:
    with fake_app.socket("/ws/live?exercise=squat") as ws:
        session_id = recv(ws)["session_id"]
        send_frame(ws, jpegs[0])
        ws.send(json.dumps({"type": "end"}))
        summary = recv_type(ws, "summary")["summary"]
        assert summary["id"] == session_id and summary["state"] == "ended"
        assert close_code(ws) == 1000
    with fake_app.socket(f"/ws/live?exercise=squat&session={session_id}") as ws:
        assert recv(ws)["code"] == "session_ended"


@pytest.mark.server
@pytest.mark.subprocess
@pytest.mark.model
def test_a_server_restart_keeps_the_count_and_the_follow_link(squat_jpegs: Frames) -> None:
    frames, _ = squat_jpegs
    first = BackgroundServer(create_app()).start()
    port = first.port
    try:
        with open_patient(first) as ws:
            session_id = recv(ws)["session_id"]
            assert send_frame(ws, frames[0])["type"] == "frame"
            first.stop()
            assert close_code(ws) == 1012  # "service restart": the page says so, reconnects
    finally:
        first.stop()

    # The page reconnects to the new server with the count it had shown (here: 4 reps).
    second = BackgroundServer(create_app(), port=port).start()
    try:
        with open_patient(second, f"exercise=squat&session={session_id}&reps=4") as ws:
            hello = recv(ws)
            assert hello["how"] == "restored" and hello["session_id"] == session_id
            assert hello["rep_count"] == 4 and "restarted" in hello["notice"]
            reply = send_frame(ws, frames[1])
            assert reply["type"] == "frame" and reply["rep_count"] == 4
            with connect(ws_url(second, f"/ws/follow/{session_id}")) as therapist:
                assert recv(therapist)["rep_count"] == 4
        summary = httpx.get(f"{second.url}/api/sessions/{session_id}").json()
        assert summary["rep_count"] == 4
        assert any("restarted" in w for w in summary["warnings"])
    finally:
        second.stop()


def test_a_person_leaving_the_frame_pauses_counting_and_says_so(
    live_server: BackgroundServer, squat_jpegs: Frames
) -> None:
    frames, _ = squat_jpegs
    empty = cv2.imencode(".jpg", np.full((270, 480, 3), 90, np.uint8))[1].tobytes()
    with open_patient(live_server) as ws:
        recv(ws)
        replies = [send_frame(ws, f) for f in [frames[0]] * 25]
        assert replies[-1]["stage"] == "active"
        lost: list[dict[str, Any]] = []
        deadline = time.monotonic() + 15.0  # the pause is decided on stream time: on a fast
        while time.monotonic() < deadline:  # machine 40 frames may not be long enough
            reply = send_frame(ws, empty)
            lost.extend(e for e in reply["events"] if e["kind"] == "PoseLost")
            if reply["paused"]:
                break
        assert reply["paused"] and reply["landmarks"] is None
        assert "can't see you" in reply["paused_reason"]
        assert lost and "can't see you" in lost[0]["reason"]
        back = [send_frame(ws, frames[0]) for _ in range(3)]
        assert not back[-1]["paused"]


def test_a_crashed_model_process_is_replaced_and_the_count_kept(
    live_server: BackgroundServer, squat_jpegs: Frames
) -> None:
    frames, _ = squat_jpegs
    registry = registry_of(live_server)
    with open_patient(live_server) as ws:
        session_id = recv(ws)["session_id"]
        send_frame(ws, frames[0])
        session = registry.get(session_id)
        assert session is not None and session.worker_pid is not None
        session.plan._rep_offset = 3  # as if three reps were done before the crash
        crashed = session.worker_pid
        os.kill(crashed, signal.SIGKILL)  # a native crash inside MediaPipe, say
        reply = send_frame(ws, frames[1])
        assert reply["type"] == "error" and reply["code"] == "pipeline_restarted"
        assert "count is kept" in reply["message"] and not reply["fatal"]
        reply = send_frame(ws, frames[2])
        assert reply["type"] == "frame" and reply["rep_count"] == 3
        assert session.worker_pid not in (None, crashed)


@pytest.mark.server
@pytest.mark.model
def test_thread_isolation_runs_the_same_pipeline_in_process(squat_jpegs: Frames) -> None:
    frames, _ = squat_jpegs
    registry = SessionRegistry(decode=decode_frame, isolation="thread")
    with BackgroundServer(create_app(registry)) as server, open_patient(server) as ws:
        recv(ws)
        reply = send_frame(ws, frames[0])
        assert reply["type"] == "frame" and len(reply["landmarks"]) == 33
        assert registry.sessions()[0].worker_pid is None


class ClipClock:
    """The session's clock as the clip's own time: each frame sent moves it on one frame, so
    the session sees the clip's pace however slowly a loaded machine answers (a frame taking
    0.7 s would otherwise read as the pose lost, and a slow rep as abandoned)."""

    def __init__(self, fps: float) -> None:
        self.frames = 0
        self.fps = fps

    def __call__(self) -> float:
        return self.frames / self.fps


@pytest.mark.server
@pytest.mark.model
def test_a_second_person_walking_through_does_not_change_the_count(
    squat_clip: tuple[Path, dict[str, Any]],
    shared_data: Path,
) -> None:
    """Someone from another recording walks across the patient (3-7 s): the count must stay
    right; while they block the view the session pauses and says so."""
    clip, entry = squat_clip
    truth = entry["ground_truth"]["reps"]
    patient = _read_frames(clip, 640)
    other = _read_frames(shared_data / "videos" / "medflex" / "bicep_curl.mp4", 640)
    fps = 24.0
    frames = []
    for i, image in enumerate(patient):
        t = i / fps
        if 3.0 <= t <= 7.0:  # a 240 px wide strip with the other person slides right to left
            image = image.copy()
            x = int(640 - (t - 3.0) / 4.0 * 880)
            strip = other[i % len(other)][:, 200:440]
            x0, x1 = max(0, x), min(640, x + 240)
            if x1 > x0:
                image[:, x0:x1] = strip[:, x0 - x : x1 - x]
        frames.append(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 75])[1].tobytes())
    clock = ClipClock(fps)
    registry = SessionRegistry(decode=decode_frame, isolation="thread", clock=clock)
    with BackgroundServer(create_app(registry)) as server, open_patient(server) as ws:
        recv(ws)

        def tick() -> None:
            clock.frames += 1

        replies = standing_until_active(ws, frames[0], tick)
        for frame in frames:
            tick()
            replies.append(send_frame(ws, frame))
    assert all(r["type"] == "frame" for r in replies)
    assert replies[-1]["rep_count"] == truth
    kinds = [e["kind"] for r in replies for e in r["events"]]
    assert kinds.count("RepCompleted") == truth


def _read_frames(path: Path, width: int) -> list[np.ndarray]:
    return read_clip_scaled(path, width)[0]


def test_a_balance_hold_is_timed_live_and_closed_when_the_patient_leaves(
    live_server: BackgroundServer, shared_data: Path
) -> None:
    """medflex/sls: one foot off the floor for the whole 8 s clip."""
    from tests.helpers.data import manifest_entry

    entry = manifest_entry(shared_data, "medflex/sls")
    lo, hi = entry["ground_truth"]["accept_hold_s"]
    video = shared_data / entry["video"]
    fps = cv2.VideoCapture(str(video)).get(cv2.CAP_PROP_FPS)
    frames = [
        cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, 75])[1].tobytes()
        for f in _read_frames(video, 480)
    ]
    with open_patient(live_server, "exercise=single_leg_stance") as ws:
        hello = recv(ws)
        assert hello["exercise"]["kind"] == "hold" and hello["set"]["unit"] == "hold"
        session_id = hello["session_id"]
        start = time.monotonic()
        replies = []
        while True:  # like a camera: the frame of this instant, skipping those missed
            i = int((time.monotonic() - start) * fps)
            if i >= len(frames):
                break
            replies.append(send_frame(ws, frames[i]))
    frames_seen = [r for r in replies if r["type"] == "frame"]
    elapsed = max(r["hold"]["elapsed_s"] for r in frames_seen)
    assert elapsed > 0.6 * lo, f"hold timer reached only {elapsed:.1f} s"
    assert any(r["hold"]["active"] for r in frames_seen)
    summary = after_disconnect(live_server, session_id, 1)
    assert len(summary["holds"]) == 1  # closed by the disconnect, nothing lost
    assert summary["holds"][0]["duration_s"] <= hi + 0.5
    assert summary["holds_completed"] == 0  # the prescription is 30 s holds
