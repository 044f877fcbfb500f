"""One stream's pipeline: frame -> pose -> landmark filter -> exercise engine -> events.

The same `FrameProcessor` serves a video file (`coach analyze`), the webcam (`coach live`),
the browser page (one per WebSocket session) and stored landmark tracks (`score_track`), so
all count the same way. Given a `sink` (coach.sinks), it feeds it every event and frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coach.sinks import MEASURES_KEY, EventSink, FrameInfo
from pose.estimator import PoseEstimator, create_estimator, create_model_estimator
from pose.filters import LandmarkFilter
from pose.guard import GuardedEstimator
from pose.types import Frame, Pose
from scoring.definition import Exercise, TargetTask
from scoring.engine import EngineState, ExerciseEngine
from scoring.events import Event, to_json
from scoring.reference import PersonalReference
from scoring.targets import TargetSpec
from scoring.words import said


def _clean(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 2)


@dataclass
class FrameResult:
    t: float
    pose: Pose | None
    events: list[Event]
    state: EngineState

    def to_message(self, landmarks: bool = True) -> dict[str, Any]:
        """JSON-ready dict for the live page (see docs/LIVE-PROTOCOL.md); without its
        `landmarks` when not asked for (a caller that adds `landmark_rows()` only if needed)."""
        s = self.state
        message = {
            "type": "frame",
            "t": round(self.t, 3),
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
            "setup": {
                "ok": s.setup_ok,
                "message": s.setup_message,
                "tip": s.setup_tip,
                **said(message=s.setup_message, tip=s.setup_tip),
            },
            "view": s.view,
            "paused": s.paused,
            "paused_reason": s.paused_reason,
            "cue": s.cue,
            # The messages' ids and parameters (scoring.words), for the page's language.
            **said(paused_reason=s.paused_reason, cue=s.cue or ""),
            "events": [to_json(e) for e in self.events],
            # For the session's recorder, not the pages: a live session takes it out of the
            # message (coach.live.session.LiveSession.publish) before sending it on.
            MEASURES_KEY: dict(s.measures),
        }
        if landmarks:
            message["landmarks"] = self.landmark_rows()
        return message

    def landmark_rows(self) -> list[list[float]] | None:
        """The pose as the frame message's `landmarks`: [x, y, visibility, z] rows rounded to
        4, 4, 3 and 4 decimals; None when no person was seen."""
        if self.pose is None:
            return None
        # np.round's own method (to 4 decimals, then v to 3), without its overhead.
        lm = np.rint(self.pose.landmarks[:, [0, 1, 3, 2]].astype(np.float64) * 1e4)
        lm /= 1e4
        lm[:, 2] = np.rint(lm[:, 2] * 1e3) / 1e3
        rows: list[list[float]] = lm.tolist()
        return rows


# A frame without a pose (the stranger's was dropped) keeps the warning this long after the
# pose layer last said someone else was in view.
OTHERS_HOLD_S = 1.0


def guarded(estimator: PoseEstimator) -> PoseEstimator:
    """The default MediaPipe estimator kept on the patient when someone else is in view
    (pose.guard); another backend as it is."""
    from pose.mediapipe_backend import MediaPipePoseEstimator

    if not isinstance(estimator, MediaPipePoseEstimator):
        return estimator
    from pose.mediapipe_detector import MediaPipePersonDetector

    complexity = estimator.model_complexity
    return GuardedEstimator(
        estimator,
        lambda: create_estimator("mediapipe", model_complexity=complexity, static_image_mode=True),
        spotter=MediaPipePersonDetector,
    )


class LandmarksOnly(PoseEstimator):
    """The estimator of a processor fed landmarks (`process_pose`): there is no model."""

    name = "landmarks"

    def estimate(self, frame: Frame) -> Pose | None:
        raise RuntimeError("this processor is fed landmarks: call process_pose")


@dataclass
class FrameProcessor:
    """Estimator + landmark filter + engine for one stream. Not thread-safe: one per stream.

    `reference`: the patient's own good reps (scoring.reference), when the stream is theirs;
    `limit_deg`: their prescribed range limit in degrees (a safety rule, see ExerciseEngine).
    A hand-eye `TargetTask` as the `exercise` runs its `schedule` of targets (scoring.targets).
    `sink` (coach.sinks.EventSink) gets each frame's events (JSON), then the frame, and the
    events `finish` returns."""

    exercise: Exercise | TargetTask
    estimator: PoseEstimator | None = None
    require_setup: bool = False
    smooth: bool = True
    reference: PersonalReference | None = None
    sink: EventSink | None = None
    limit_deg: float | None = None
    pose_model: str = "full"
    """The model of the estimator made when none is given (pose.estimator.POSE_MODELS)."""
    schedule: list[TargetSpec] | None = None
    _engine: ExerciseEngine | None = field(default=None, init=False, repr=False)
    _filter: LandmarkFilter = field(default_factory=LandmarkFilter, init=False, repr=False)
    _owns_estimator: bool = field(default=False, init=False, repr=False)
    _others_t: float | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.estimator is None:
            self.estimator = guarded(create_model_estimator(self.pose_model))
            self._owns_estimator = True

    @property
    def engine(self) -> ExerciseEngine | None:
        return self._engine

    def process(self, frame: Frame) -> FrameResult:
        assert self.estimator is not None
        return self.process_estimated(frame, self.estimator.estimate(frame))

    def process_estimated(self, frame: Frame, raw: Pose | None) -> FrameResult:
        """The rest of the pipeline for `frame`, whose pose `raw` this processor's estimator
        gave, on another thread maybe (`coach analyze` estimates the next frame meanwhile)."""
        return self._step(frame.t, raw, frame.size, frame.image)

    def process_pose(self, t: float, raw: Pose | None, image_size: tuple[int, int]) -> FrameResult:
        """The rest of the pipeline, for callers that already have landmarks."""
        return self._step(t, raw, image_size, None)

    def engine_for(self, image_size: tuple[int, int]) -> ExerciseEngine:
        """The stream's engine, made for frames of `image_size` (width, height) on first use."""
        if self._engine is None:
            w, h = image_size
            self._engine = ExerciseEngine(
                self.exercise,
                w / h if h else 1.0,
                require_setup=self.require_setup,
                reference=self.reference,
                limit_deg=self.limit_deg,
                schedule=self.schedule,
            )
        return self._engine

    def _step(
        self, t: float, raw: Pose | None, image_size: tuple[int, int], image: np.ndarray | None
    ) -> FrameResult:
        engine = self.engine_for(image_size)
        pose = self._filter(raw) if self.smooth else raw
        landmarks = pose.landmarks if pose is not None else None
        world = pose.world if pose is not None else None
        if raw is not None and raw.others_in_view:
            self._others_t = t
        others = self._others_t is not None and t - self._others_t <= OTHERS_HOLD_S
        events = engine.update(t, landmarks, world, others)
        result = FrameResult(t, pose, events, engine.state)
        if self.sink is not None:
            for event in events:
                self.sink.event(to_json(event))
            info = FrameInfo(
                image_size=image_size,
                pose=pose,
                state=engine.state,
                image=image,
                measures=engine.state.measures,
            )
            self.sink.frame(t, landmarks, info)
        return result

    def finish(self) -> list[Event]:
        events = self._engine.finish() if self._engine is not None else []
        if self.sink is not None:
            for event in events:
                self.sink.event(to_json(event))
        return events

    def close(self) -> None:
        if self._owns_estimator and self.estimator is not None:
            self.estimator.close()
            self.estimator = None
