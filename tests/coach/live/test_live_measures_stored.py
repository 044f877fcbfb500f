"""A live session stores the engine's own per-frame values (issue 26): they travel from the
pipeline in the frame message, the session takes them out before the pages get it, and the
recorder keeps them, so a live rep's peak is the largest stored value within it, as offline.

Real parts: the registry, a `pose=device` LiveSession with its real filter and engine, the
LiveRecorder and a SQLite store, fed the landmarks of real side-view curls (samples/tracks)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np

from coach.live import LandmarkMessage, SessionRegistry
from coach.store import open_store
from coach.store.live_recorder import LiveRecorder
from tests.coach.live.helpers import StepClock, load_track


def test_a_live_session_stores_what_its_engine_reported(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    recorder = LiveRecorder(store.factory)
    lm, times, size = load_track("formfit_curl")
    clock = StepClock()
    registry = SessionRegistry(
        decode=lambda _b: np.zeros((2, 2, 3), np.uint8),
        isolation="thread",
        clock=clock,
        recorder=recorder,
    )

    async def go() -> tuple[Any, list[dict[str, Any]]]:
        session, _ = registry.open("bicep_curl", pose="device")
        outbox = await session.attach_patient("device")
        sent = []
        for i, (pose, t) in enumerate(zip(lm, times, strict=True)):
            clock.now = float(t)
            session.offer_landmarks(LandmarkMessage(i + 1, float(t), size, pose))
            sent.append(session.last_message)
        await session.detach_patient(outbox)
        session.end()
        return session, sent

    try:
        session, sent = asyncio.run(go())
        recorder.flush()
        assert all("measures" not in m for m in sent)  # never the pages'
        frames = store.session_frames(session.id)
        reps = store.session(session.id).reps
        assert len(reps) == 5 and len(frames.t) == len(lm)
        elbow = np.fmax(
            frames.measures["elbow_flexion_2d_left"], frames.measures["elbow_flexion_2d_right"]
        )
        assert np.isfinite(elbow).mean() > 0.9  # from the side: measured
        for rep in reps:
            assert rep.confidence is not None and rep.confidence >= 0.5
            inside = elbow[(frames.t >= rep.start_s) & (frames.t <= rep.end_s)]
            assert rep.peak_deg is not None
            assert abs(rep.peak_deg - float(np.nanmax(inside))) <= 0.1  # float16 storage
    finally:
        recorder.close()
        store.close()
