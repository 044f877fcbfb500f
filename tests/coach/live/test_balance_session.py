"""The four-stage balance test live (coach.live.balance): a `pose=device` session of
`four_stage_balance` with its real filter and engine, fed a track made from real standing
(samples/make_balance_tracks.py: the tandem stance lost after 6 s). The stage events travel in
the frame messages, the session's plan is done after stage 3, and the recorder keeps the
result as a protocol result of the signed-in patient, marked live, and no exercise session.

Real parts: the registry, the session, the LiveRecorder and a SQLite store; no model (the
landmarks are the page's)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coach.live import LandmarkMessage, LiveLimits, SessionRegistry
from coach.live.balance import BALANCE_TEST, PROTOCOL
from coach.live.landmarks import track_messages
from coach.store import open_store
from coach.store.live_recorder import LiveRecorder
from coach.store.models import ProtocolResult
from tests.coach.live.helpers import StepClock
from tests.machine import scaled
from tests.scoring.tracks import balance_script
from tests.web.in_process import in_process, threaded_app

LEAD_S = 1.0  # the first pose held first, as a patient stands before the test
UNLIMITED = LiveLimits(
    max_landmarks_per_s=1e6, landmark_burst=10**6, max_messages_per_s=1e6, message_burst=10**6
)


def _run(registry: SessionRegistry, clock: StepClock, patient_id: int | None) -> Any:
    lm, t, size, _ = balance_script().made_track("tandem_fails")
    fps = 1.0 / float(np.median(np.diff(t)))
    lead = np.repeat(lm[:1], round(LEAD_S * fps), axis=0)
    poses = np.concatenate([lead, lm])
    times = np.arange(len(poses)) / fps

    async def go() -> tuple[Any, list[dict[str, Any]]]:
        session, _ = registry.open(BALANCE_TEST, pose="device", patient_id=patient_id)
        outbox = await session.attach_patient("device")
        sent = []
        for i, (pose, ti) in enumerate(zip(poses, times, strict=True)):
            clock.now = float(ti)
            session.offer_landmarks(LandmarkMessage(i + 1, float(ti), size, pose))
            sent.append(session.last_message)
        await session.detach_patient(outbox)
        session.end()
        return session, sent

    return asyncio.run(go())


def _recorded_registry(recorder: LiveRecorder) -> tuple[StepClock, SessionRegistry]:
    """A thread-isolated registry on a step clock, recording into `recorder`."""
    clock = StepClock()
    registry = SessionRegistry(
        decode=lambda _b: np.zeros((2, 2, 3), np.uint8),
        isolation="thread",
        clock=clock,
        recorder=recorder,
    )
    return clock, registry


def test_a_live_balance_test_runs_the_stages_and_stores_its_result(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    recorder = LiveRecorder(store.factory)
    ther = store.create_user("ther", "Dr T", "correct horse battery")
    pid = store.create_patient(ther.id, "Pat").id
    clock, registry = _recorded_registry(recorder)
    try:
        session, sent = _run(registry, clock, pid)
        recorder.flush()
    finally:
        recorder.close()
    hello = session.hello()
    assert hello["exercise"]["id"] == BALANCE_TEST
    assert [s["demo"] for s in hello["balance"]["stages"]] == [
        "feet_together_stance",
        "semi_tandem_stance",
        "tandem_stance",
        "single_leg_stance",
    ]
    assert "STEADI" in hello["balance"]["source"]
    events = [e for m in sent if m for e in m.get("events", [])]
    kinds = [e["kind"] for e in events]
    assert "HoldProgress" not in kinds and "HoldEnded" not in kinds  # the tracker times them
    ended = [e for e in events if e["kind"] == "StageEnded"]
    assert [(e["id"], e["passed"]) for e in ended] == [
        ("feet_together", True),
        ("semi_tandem", True),
        ("tandem", False),
    ]
    assert ended[2]["reason"] == "stepped" and ended[2]["held_s"] == pytest.approx(6.0, abs=0.5)
    (done,) = [e for e in events if e["kind"] == "BalanceDone"]
    assert done["last_stage_passed"] == 2 and done["fall_risk"] is True
    assert session.plan.ends_session and session.progress()["unit"] == "stage"
    summary = session.summary()
    assert summary["balance"]["last_stage_passed"] == 2 and summary["no_count_reason"] is None
    assert store.session(session.id) is None  # a test, not an exercise session
    (row,) = store.protocol_results(pid)
    assert row.protocol == PROTOCOL and row.result["value"] == 2
    assert row.result["measured"]["recording"] == "live"
    assert row.result["measured"]["session"] == session.id
    assert "increased fall risk" in row.result["interpretation"]


def test_an_anonymous_balance_test_stores_nothing(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    recorder = LiveRecorder(store.factory)
    clock, registry = _recorded_registry(recorder)
    try:
        session, _ = _run(registry, clock, None)
        recorder.flush()
    finally:
        recorder.close()
    assert session.plan.ends_session
    assert store.session(session.id) is None
    with store.factory() as db:
        assert db.query(ProtocolResult).count() == 0


def _reply(ws: Any) -> dict[str, Any]:
    while True:
        msg = json.loads(ws.recv(timeout=scaled(10)))
        if msg["type"] in ("frame", "dropped", "error"):
            return msg


def test_the_page_says_a_hand_went_to_a_support_over_the_socket() -> None:
    """`{"type": "support"}` on the live socket (web/live_ws.py) fails the stance in progress:
    the next frame carries its StageEnded ("support") and the test is over."""
    lm, t, (w, h), _ = balance_script().made_track("all")
    fps = 1.0 / float(np.median(np.diff(t)))
    messages = track_messages(lm[: int(6 * fps)], fps, (w, h))
    with (
        in_process(threaded_app(max_active=1, limits=UNLIMITED)) as app,
        app.socket(f"/ws/live?exercise={BALANCE_TEST}&pose=device") as ws,
    ):
        hello = json.loads(ws.recv(timeout=scaled(20)))
        assert hello["exercise"]["name"] == "Four-stage balance test"
        assert hello["set"]["unit"] == "stage" and hello["balance"]["hold_s"] == 10
        events: list[dict[str, Any]] = []
        for m in messages:
            ws.send(json.dumps(m))
            events += _reply(ws)["events"]
        assert [e["kind"] for e in events if e["kind"].startswith("Stage")] == [
            "StageShown",
            "StageStarted",
        ]
        ws.send(json.dumps({"type": "support"}))
        later = messages[-1]["t"] + 0.5
        ws.send(json.dumps({**messages[-1], "seq": messages[-1]["seq"] + 1, "t": later}))
        last = _reply(ws)
    (ended,) = [e for e in last["events"] if e["kind"] == "StageEnded"]
    (started,) = [e for e in events if e["kind"] == "StageStarted"]
    assert ended["reason"] == "support" and not ended["passed"]
    # Timed to the last frame before the page said so (stream time), not the frame after.
    assert ended["t"] == pytest.approx(last["t"] - 0.5, abs=0.01)
    assert ended["held_s"] == pytest.approx(ended["t"] - started["start_s"], abs=0.01)
    (done,) = [e for e in last["events"] if e["kind"] == "BalanceDone"]
    assert done["last_stage_passed"] == 0 and done["fall_risk"] is True
    assert last["stage"] == "done"
