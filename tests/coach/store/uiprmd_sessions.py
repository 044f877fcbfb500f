"""Stored sessions made from real recordings: UI-PRMD subject 1's sit-to-stand seen from the
side (one rep per file, files played one after another), scored by the real engine and written
by the real `SessionWriter`. Shared by the store, CLI and web tests of personal references."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from coach.store.store import Store
from exercises import load_exercise
from labelled_data import uiprmd
from scoring.engine import ExerciseEngine
from scoring.reference import PersonalReference

EXERCISE = "sit_to_stand"


def subject_track(shared_data: Path, label: str, count: int = 9) -> tuple[np.ndarray, float]:
    """Subject 1's first `count` files of one label, end to end: ((T, 33, 4), aspect)."""
    root = shared_data / "labelled" / "ui_prmd_kinect"
    tracks = [t for t in uiprmd.load(root, "m05", label, "side") if t.id.startswith("m05_s01_")]
    tracks = tracks[:count]
    return np.concatenate([t.landmarks for t in tracks]), tracks[0].aspect


def write_session(
    store: Store,
    patient_id: int | None,
    landmarks: np.ndarray,
    aspect: float,
    *,
    reference: PersonalReference | None = None,
    exercise_id: str = EXERCISE,
) -> str:
    """Score the track (30 fps) and store it as a session of the patient; its id."""
    exercise = load_exercise(exercise_id)
    sid = store.new_session_id()
    writer = store.writer(sid, exercise, patient_id=patient_id, source="analyze")
    size = (round(1000 * aspect), 1000)
    writer.start(size, 30.0)
    engine = ExerciseEngine(exercise, aspect, reference=reference)
    for i, row in enumerate(landmarks):
        t = i / 30.0
        events = engine.update(t, row)
        writer.frame(t, row)
        for event in events:
            writer.event(event.to_dict())
    for event in engine.finish():
        writer.event(event.to_dict())
    writer.finish("completed", {"rep_count": len(engine.reps)})
    return sid
