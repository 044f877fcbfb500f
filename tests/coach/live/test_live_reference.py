"""A signed-in patient's live session is judged by their personal reference; the same frames
in a session of a patient without one are not.

The live machinery is the real one (SessionRegistry, LiveSession, its pipeline worker,
FrameProcessor, the engine, the reference from a real store); only the pose model is replaced
by the recorded landmarks it would have produced (UI-PRMD subject 1's sit-to-stand), and the
session clock steps 1/30 s per frame, the recording's rate, so the run is exact and fast.
"""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from coach.live import Outbox, SessionRegistry
from coach.live.spec import ExerciseOrTask
from coach.pipeline import FrameProcessor
from coach.review.references import set_reference_from_session
from coach.store import open_store
from pose.estimator import PoseEstimator
from pose.types import Frame, Pose
from scoring.reference import PersonalReference
from tests.coach.store.uiprmd_sessions import EXERCISE, subject_track, write_session

MARK = "(compared with your reference reps)"


class TrackEstimator(PoseEstimator):
    """Recorded landmarks in place of the model: frame i's pose is row i of the track."""

    name = "track"

    def __init__(self, landmarks: np.ndarray) -> None:
        self.landmarks = landmarks

    def estimate(self, frame: Frame) -> Pose | None:
        row = self.landmarks[frame.index]
        return Pose(row.astype(np.float32), frame.t, frame.size)


def track_processor(
    landmarks: np.ndarray,
    exercise: ExerciseOrTask,
    reference: PersonalReference | None = None,
    limit_deg: float | None = None,
) -> FrameProcessor:
    return FrameProcessor(
        exercise, TrackEstimator(landmarks), reference=reference, limit_deg=limit_deg
    )


class StepClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _reply(outbox: Outbox, seq: int) -> dict[str, Any]:
    while True:
        msg = await asyncio.wait_for(outbox.get(), timeout=30)
        if isinstance(msg, dict) and msg.get("seq") == seq:
            return msg


async def _stream(
    registry: SessionRegistry, clock: StepClock, patient_id: int, landmarks: np.ndarray
) -> list[dict[str, Any]]:
    session, how = registry.open(EXERCISE, patient_id=patient_id)
    assert how == "new"
    outbox = await session.attach_patient()
    for i in range(len(landmarks)):
        clock.now = i / 30.0
        reply = await _reply(outbox, session.offer_frame(b"frame"))
        assert reply["type"] == "frame", reply
    await session.detach_patient(outbox)
    return session.events


def test_a_live_session_is_judged_by_the_patients_reference(
    tmp_path: Path, shared_data: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    try:
        ther = store.create_user("ther1", "T One", "a long secret pw")
        with_ref = store.create_patient(ther.id, "Has a reference").id
        without = store.create_patient(ther.id, "Has none").id
        good, aspect = subject_track(shared_data, "correct", 9)
        set_reference_from_session(store, with_ref, write_session(store, with_ref, good, aspect))
        bad, _ = subject_track(shared_data, "incorrect", 10)
        height = 480
        image = np.zeros((height, round(height * aspect), 3), np.uint8)
        clock = StepClock()
        registry = SessionRegistry(
            decode=lambda _data: image,
            processor_factory=partial(track_processor, bad),
            isolation="thread",
            reference_for=store.reference,
            # One set longer than the recording: every rep counts (no rest between sets).
            prescription_for=lambda _p, _e: SimpleNamespace(
                sets=1, reps=20, hold_s=0.0, rest_s=None, max_rom_deg=None
            ),
            clock=clock,
        )

        async def both() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            judged = await _stream(registry, clock, with_ref, bad)
            plain = await _stream(registry, clock, without, bad)
            return judged, plain

        judged, plain = asyncio.run(both())
    finally:
        store.close()

    def faults(events: list[dict[str, Any]]) -> list[str]:
        return [e["message"] for e in events if e["kind"] == "FaultDetected"]

    def reps(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [e for e in events if e["kind"] == "RepCompleted"]

    assert len(reps(judged)) == len(reps(plain)) >= 8  # the same set, counted the same
    started = [e for e in judged + plain if e["kind"] == "SessionStarted"]
    assert [e["reference"] for e in started] == [True, False]
    by_reference = [m for m in faults(judged) if MARK in m]
    assert len(by_reference) >= 3
    assert by_reference[0].startswith("Leaning far forward")
    assert not any(MARK in m for m in faults(plain))
    # The reps carry the features the reference compared.
    assert all("trunk_lean" in r["profile"] for r in reps(judged))
