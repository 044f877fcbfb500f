"""A hand-eye targets run on a landmark track, into the store like any other session.

The landmarks are kept frame by frame (the session page's replay), the per-target results,
what was shown, and the left/right comparison go into the session's summary under "targets"
(the JSON export and the session page read them there), with the level, the seed that drew
the schedule and the timing resolution.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from coach.sinks import FrameInfo
from coach.store.store import Store
from scoring.definition import TargetTask
from scoring.modes.targets import TargetRun, score_targets, targets_summary
from scoring.targets import TargetSpec, make_schedule

__all__ = ["record_targets", "targets_summary"]


def record_targets(
    store: Store,
    task: TargetTask,
    times: Any,
    landmarks: Any,
    image_size: tuple[int, int],
    *,
    patient_id: int | None,
    level: int = 1,
    seed: int = 0,
    schedule: list[TargetSpec] | None = None,
    latency_s: float = math.nan,
    source: str = "analyze",
) -> tuple[str, TargetRun]:
    """Score `task` (the seeded schedule at `level`, or a given `schedule`) on a track of
    `times` and (T, 33, 4) `landmarks`, and store it as a session; (session id, run)."""
    if schedule is None:
        schedule = make_schedule(task, level, seed)
        how: tuple[int | None, int | None] = (level, seed)
    else:
        how = (None, None)
    w, h = image_size
    t = np.asarray(times, dtype=np.float64)
    lm = np.asarray(landmarks, dtype=np.float64)
    run = score_targets(task, schedule, t, lm, w / h, latency_s)
    session_id = store.new_session_id()
    writer = store.writer(session_id, task, patient_id=patient_id, source=source)
    fps = 1.0 / run.frame_interval_s if run.frame_interval_s > 0 else None
    writer.start(image_size, fps)
    info = FrameInfo(image_size=image_size)
    for ti, row in zip(t, lm, strict=True):
        writer.frame(float(ti), row if np.isfinite(row[:, :2]).all() else None, info)
    writer.finish(summary={"targets": targets_summary(task, run, *how, latency_s)})
    return session_id, run
