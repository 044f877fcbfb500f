"""A signed-in patient's live socket follows their program from the real store: the hello
carries the prescription, a set of 1 ends in a rest, `next_set` starts the next set at once,
and the last set ends the counting. Real socket, real store, real engine; the landmarks are
those our pipeline extracted from a real squat (samples/tracks/formfit_squat.npz, 3 reps)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from websockets.sync.client import connect

from coach.live.landmarks import track_messages
from tests.web.review_app import Review

TRACK = Path(__file__).resolve().parents[2] / "samples" / "tracks" / "formfit_squat.npz"


def _frames(ws: Any, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send at the recording's pace (the socket's rate limit drops faster landmarks)."""
    out = []
    start, t0 = time.monotonic(), messages[0]["t"]
    for msg in messages:
        time.sleep(max(0.0, (msg["t"] - t0) - (time.monotonic() - start)))
        ws.send(json.dumps(msg))
        while True:
            reply = json.loads(ws.recv(timeout=10))
            if (
                reply.get("type") in ("frame", "dropped", "error")
                and reply.get("seq") == msg["seq"]
            ):
                break
        if reply["type"] == "frame":
            out.append(reply)
    return out


def test_the_socket_follows_the_program_and_next_set_ends_the_rest(review: Review) -> None:
    patient = review.store.create_patient(review.ther_a.id, "Rx Socket")
    review.store.set_program(
        patient.id, [{"exercise_id": "squat", "sets": 2, "reps": 1, "rest_s": 600}]
    )
    token = review.store.create_link(patient.id)[1]
    with review.client() as c:
        assert c.get(f"/p/{token}").status_code == 303
        cookie = c.cookies["coach_session"]
    with np.load(TRACK) as data:
        lm, fps = data["lm"], float(data["fps"])
        size = (int(data["image_size"][0]), int(data["image_size"][1]))
    messages = track_messages(lm, fps, size)
    url = review.url.replace("http://", "ws://") + "/ws/live?exercise=squat&pose=device"
    with connect(url, additional_headers={"Cookie": f"coach_session={cookie}"}) as ws:
        hello = json.loads(ws.recv(timeout=20))
        assert hello["prescription"] == {
            "sets": 2,
            "reps": 1,
            "hold_s": 0.0,
            "rest_s": 600.0,
            "limit_deg": None,
            "source": "program",
        }
        assert hello["signed_in"] and hello["rest"] is None
        # Rep 1 ends set 1: a 600 s rest; the reps after it do not count.
        sending = time.monotonic()
        first = _frames(ws, messages)
        took_s = time.monotonic() - sending  # the rest began while these were sent
        assert first[-1]["stage"] == "rest" and first[-1]["rep_count"] == 1, [
            (f["t"], f["stage"], f["rep_count"], [e["kind"] for e in f["events"]])
            for f in first
            if f["events"]
        ]
        assert first[-1]["rest"]["next_set"] == 2
        assert 600 - took_s - 0.5 <= first[-1]["rest"]["left_s"] < 600, took_s
        # The patient is ready: set 2 starts now, and its first rep ends the prescription.
        ws.send(json.dumps({"type": "next_set"}))
        later = messages[-1]["t"] + 1.0 / fps
        again = [{**m, "seq": m["seq"] + len(messages), "t": m["t"] + later} for m in messages]
        second = _frames(ws, again)
        kinds = [e["kind"] for f in second for e in f["events"]]
        assert kinds.index("RestEnded") < kinds.index("RepCompleted") < kinds.index("AllSetsDone")
        assert second[-1]["stage"] == "done" and second[-1]["rep_count"] == 2
        ws.send(json.dumps({"type": "end"}))
        while (msg := json.loads(ws.recv(timeout=10)))["type"] != "summary":
            pass
    summary = msg["summary"]
    assert summary["set"]["complete"] and summary["prescription"]["source"] == "program"
