"""Timed Up and Go taken live over the live WebSocket (`/ws/live?exercise=timed_up_and_go&
pose=device`): a signed-in patient's page sends the landmarks of a real clip (the labelled
trial's stored track, samples/tracks/clinical/, as a page's `landmarks` messages), the frames
carry "Go", the start and the result, and the result is stored as the patient's protocol
result, marked live, beside nothing else: no exercise session. A patient who declined consent
gets the same result on the page and nothing stored. The live result is charted on the
therapist's tests page beside an uploaded one, marked live.

In-process app (no uvicorn: the app is the subject), real SQLite store and recorder, real
engine and tracker; no model (the landmarks are the page's)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coach.live import LiveLimits
from coach.live.landmarks import track_messages
from coach.live.tug import PROTOCOL, TUG_TEST, LiveTug
from coach.offline.protocols import run_tug, track_from_landmarks
from coach.review.progress import week_start
from coach.review.tests_progress import weekly_tests
from coach.store import open_store
from coach.store.consent import ConsentingRecorder
from coach.store.live_recorder import LiveRecorder
from coach.store.models import ProtocolResult
from tests.helpers.store import migrated_sqlite
from tests.machine import scaled
from tests.web.in_process import in_process, threaded_app
from web.routes.protocols import charts_by_test
from web.routes.rights import CONSENT_VERSION

CLIP = Path(__file__).resolve().parents[2] / "samples/tracks/clinical/tug_moeed_trial_2.npz"
LABEL_S = 9.75  # the clip's hand-labelled total (clinical_clips.json, tug_moeed/trial_2)
UNLIMITED = LiveLimits(
    max_landmarks_per_s=1e6, landmark_burst=10**6, max_messages_per_s=1e6, message_burst=10**6
)


def _clip() -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    with np.load(CLIP, allow_pickle=False) as d:
        lm, t = d["lm"].astype(np.float64), d["t"]
        size = (int(d["image_size"][0]), int(d["image_size"][1]))
    return lm, t - t[0], size


def _messages() -> list[dict[str, Any]]:
    """The clip as a page's messages, at its frames' own times (a variable frame rate)."""
    lm, t, size = _clip()
    messages = track_messages(lm, 1 / float(np.median(np.diff(t))), size, lead_s=0.0)
    return [{**m, "t": round(float(ti), 4)} for m, ti in zip(messages, t, strict=True)]


def _offline_total() -> float | None:
    """`coach protocol tug` on the same clip (as benchmarks/everyday.py runs the stored track)."""
    lm, t, size = _clip()
    track = track_from_landmarks(lm, 1 / float(np.median(np.diff(t))), size)
    track.t = t
    return run_tug(track).value


def _take_the_test(app: Any, cookie: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The whole clip through the socket: the hello and every frame reply's events."""
    events: list[dict[str, Any]] = []
    headers = {"cookie": f"coach_session={cookie}"}
    with app.socket(f"/ws/live?exercise={TUG_TEST}&pose=device", headers) as ws:
        hello = json.loads(ws.recv(timeout=scaled(20)))
        for m in _messages():
            ws.send(json.dumps(m))
            while (reply := json.loads(ws.recv(timeout=scaled(10))))["type"] not in (
                "frame",
                "dropped",
                "error",
            ):
                pass
            assert reply["type"] == "frame", reply
            events += reply["events"]
            if reply["stage"] == "done":
                break
    return hello, events


def test_a_live_tug_over_the_socket_is_timed_and_stored(tmp_path: Path) -> None:
    store = open_store(migrated_sqlite(tmp_path / "coach.db"))
    ther = store.create_user("ther", "Dr T", "correct horse battery")
    agreed = store.create_patient(ther.id, "Tug Yes").id
    declined = store.create_patient(ther.id, "Tug No").id
    store.record_consent(agreed, "given", CONSENT_VERSION)
    store.record_consent(declined, "declined", CONSENT_VERSION)
    recorder = ConsentingRecorder(LiveRecorder(store.factory), store.may_record)
    app_ = threaded_app(store=store, recorder=recorder, max_active=1, limits=UNLIMITED)
    totals = {}
    try:
        with in_process(app_) as app:
            for pid in (agreed, declined):
                token = store.create_link(pid)[1]
                app.http.cookies.clear()
                assert app.http.get(f"/p/{token}", follow_redirects=False).status_code == 303
                hello, events = _take_the_test(app, app.http.cookies["coach_session"])
                assert hello["exercise"]["name"] == "Timed Up and Go" and hello["signed_in"]
                assert hello["tug"]["fall_risk_s"] == 12 and "STEADI" in hello["tug"]["source"]
                tug = [e for e in events if e["kind"].startswith("Tug")]
                assert [e["kind"] for e in tug] == ["TugReady", "TugStarted", "TugDone"]
                done = tug[-1]
                assert done["reason"] == "seated" and done["fall_risk"] is False
                totals[pid] = done["total_s"]
                # Walking out of the picture at the far turn: the engine says nothing.
                started = events.index(tug[1])
                assert not any(e["kind"] in ("Cue", "PoseLost") for e in events[started:])
        recorder.flush()
    finally:
        recorder.close()
    # The same frames: the same total (the sessions' clocks start at different times).
    assert totals[agreed] == pytest.approx(totals[declined], abs=1e-9)
    assert abs(totals[agreed] - LABEL_S) <= 0.3
    # The recorded test's total on the same clip (the live one starts once set up, on the
    # page's landmarks rounded to 5 decimals: the same to a hundredth).
    assert totals[agreed] == pytest.approx(_offline_total(), abs=0.01)
    (row,) = store.protocol_results(agreed)
    assert row.protocol == PROTOCOL and row.result["value"] == pytest.approx(
        totals[agreed], abs=1e-3
    )
    assert row.result["measured"]["recording"] == "live" and row.result["measured"]["session"]
    assert row.result["measured"]["phases"][0]["phase"] == "sit_to_stand"
    assert "STEADI" in row.result["interpretation"]
    assert store.session(row.result["measured"]["session"]) is None  # a test, not a session
    assert store.protocol_results(declined) == []


def _at(weeks_ago: int) -> datetime:
    monday = week_start(datetime.now(timezone.utc).date()) - timedelta(weeks=weeks_ago)
    return datetime.combine(monday + timedelta(days=2), datetime.min.time(), timezone.utc)


def test_a_live_tug_is_charted_beside_the_uploaded_ones_and_marked_live(tmp_path: Path) -> None:
    """The live result (the session's own, on the clip's frames) and an uploaded one on the
    therapist's tests page: one chart, a recorded and a live series, the live row marked."""
    lm, t, size = _clip()
    tug = LiveTug()
    for ti, row in zip(t, lm, strict=True):
        tug.frame(float(ti), None, list(size), row if np.isfinite(row[:, :2]).all() else None)
    live = tug.result("abc123")
    assert tug.done and live is not None
    store = open_store(migrated_sqlite(tmp_path / "coach.db"))
    ther = store.create_user("ther", "Dr T", "correct horse battery")
    pid = store.create_patient(ther.id, "Pat").id
    uploaded = {"name": "Timed Up and Go", "unit": "s", "value": 12.6,
                "reference": {"fall_risk_s": 12.0}, "measured": {"total_s": 12.6}}  # fmt: skip
    with store.factory.begin() as db:
        db.add(
            ProtocolResult(patient_id=pid, protocol=PROTOCOL, result=uploaded, created_at=_at(1))
        )
        db.add(ProtocolResult(patient_id=pid, protocol=PROTOCOL, result=live, created_at=_at(0)))
    rows = store.protocol_results(pid)
    (trend,) = weekly_tests(rows)
    assert trend.values == [12.6, pytest.approx(live["value"])] and trend.live == [False, True]
    (svg,) = charts_by_test(rows)
    assert "Timed Up and Go, recorded" in svg and "Timed Up and Go, live" in svg
    with in_process(threaded_app(store=store)) as app:
        password = {"username": "ther", "password": "correct horse battery"}
        assert str(app.http.post("/login", data=password).url).endswith("/therapist")
        page = app.http.get(f"/patients/{pid}/protocols").text
    table = page.split('data-testid="protocol-results"')[1].split("</table>")[0]
    live_row = table.split("<tr id=")[1]  # newest first: the live one
    assert 'data-testid="live-result"' in live_row and "Timed Up and Go" in live_row
    hint = page.split('data-testid="tug-live-hint"')[1].split("</p>")[0]
    assert 'href="/?exercise=timed_up_and_go"' in hint
