"""One stream's pipeline: frame -> pose -> landmark filter -> exercise engine -> events.

The same `FrameProcessor` serves a video file (`coach analyze`), the webcam (`coach live`)
and the browser page (one per WebSocket session), so all three count the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pose.estimator import PoseEstimator, create_estimator
from pose.filters import LandmarkFilter
from pose.types import Frame, Pose
from scoring.definition import Exercise
from scoring.engine import EngineState, ExerciseEngine
from scoring.events import Event
from scoring.reference import PersonalReference


def _clean(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 2)


@dataclass
class FrameResult:
    t: float
    pose: Pose | None
    events: list[Event]
    state: EngineState

    def to_message(self) -> dict[str, Any]:
        """JSON-ready dict for the live page (see docs/LIVE-PROTOCOL.md)."""
        s = self.state
        landmarks = None
        if self.pose is not None:
            lm = self.pose.landmarks
            landmarks = [
                [round(float(x), 4), round(float(y), 4), round(float(v), 3), round(float(z), 4)]
                for x, y, v, z in lm[:, [0, 1, 3, 2]]
            ]
        return {
            "type": "frame",
            "t": round(self.t, 3),
            "landmarks": landmarks,
            "fault_joints": list(s.fault_joints),
            "rep_count": s.rep_count,
            "phase": s.phase,
            "measure": {
                "name": s.rep_measure,
                "value": _clean(s.rep_value),
                "target": _clean(s.rep_target),
            },
            "hold": {
                "active": s.hold_active,
                "elapsed_s": s.hold_elapsed_s,
                "target_s": s.hold_target_s,
            },
            "setup": {"ok": s.setup_ok, "message": s.setup_message},
            "view": s.view,
            "paused": s.paused,
            "paused_reason": s.paused_reason,
            "cue": s.cue,
            "events": [_event_json(e) for e in self.events],
        }


def _event_json(event: Event) -> dict[str, Any]:
    out = event.to_dict()
    for k, v in out.items():
        if isinstance(v, float) and not math.isfinite(v):
            out[k] = None
        elif isinstance(v, tuple):
            out[k] = list(v)
    return out


@dataclass
class FrameProcessor:
    """Estimator + landmark filter + engine for one stream. Not thread-safe: one per stream.

    `reference`: the patient's own good reps (scoring.reference), when the stream is theirs."""

    exercise: Exercise
    estimator: PoseEstimator | None = None
    require_setup: bool = False
    smooth: bool = True
    reference: PersonalReference | None = None
    _engine: ExerciseEngine | None = field(default=None, init=False, repr=False)
    _filter: LandmarkFilter = field(default_factory=LandmarkFilter, init=False, repr=False)
    _owns_estimator: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.estimator is None:
            self.estimator = create_estimator()
            self._owns_estimator = True

    @property
    def engine(self) -> ExerciseEngine | None:
        return self._engine

    def process(self, frame: Frame) -> FrameResult:
        assert self.estimator is not None
        raw = self.estimator.estimate(frame)
        return self.process_pose(frame.t, raw, frame.size)

    def process_pose(self, t: float, raw: Pose | None, image_size: tuple[int, int]) -> FrameResult:
        """The rest of the pipeline, for callers that already have landmarks."""
        if self._engine is None:
            w, h = image_size
            self._engine = ExerciseEngine(
                self.exercise,
                w / h if h else 1.0,
                require_setup=self.require_setup,
                reference=self.reference,
            )
        pose = self._filter(raw) if self.smooth else raw
        landmarks = pose.landmarks if pose is not None else None
        events = self._engine.update(t, landmarks)
        return FrameResult(t, pose, events, self._engine.state)

    def finish(self) -> list[Event]:
        return self._engine.finish() if self._engine is not None else []

    def close(self) -> None:
        if self._owns_estimator and self.estimator is not None:
            self.estimator.close()
            self.estimator = None
