"""A hand-eye targets run recorded into a store from a stored landmark track."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from coach.offline.targets import record_targets
from coach.store.models import ExerciseSession
from coach.store.store import Store
from exercises import load_task
from scoring.targets import TargetSpec

TRACK = Path(__file__).resolve().parents[2] / "samples/tracks/rehab_bme410_shoulder_abduction.npz"


PLACED = [
    TargetSpec(1, "left", 1.0, 0.0, 0.5, 0.25, 4.0, at=(0.88, 0.30)),
    TargetSpec(2, "right", 1.0, 0.0, 0.5, 0.25, 4.0, at=(0.12, 0.30)),
]


def record(into: Store, patient_id: int | None, **kw: object) -> tuple[str, object]:
    d = np.load(TRACK)
    size = (int(d["image_size"][0]), int(d["image_size"][1]))
    task = load_task("targets_reach_seated")
    return record_targets(into, task, d["t"], d["lm"], size, patient_id=patient_id, **kw)  # type: ignore[arg-type]


def stored_targets(
    into: Store, patient_id: int, when: datetime, task: str = "targets_reach_seated", **kw: Any
) -> tuple[str, Any]:
    """Score `task` on the real track, store it for the patient and date it `when`."""
    d = np.load(TRACK)
    size = (int(d["image_size"][0]), int(d["image_size"][1]))
    sid, run = record_targets(
        into, load_task(task), d["t"], d["lm"], size, patient_id=patient_id, **kw
    )
    with into.factory() as db:
        db.get(ExerciseSession, sid).started_at = when  # type: ignore[union-attr]
        db.commit()
    return sid, run
