"""Pose estimators that stand in for the model where the model is not the subject: the
recorded landmarks it produced on a real clip, replayed frame by frame (samples/tracks)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from coach.pipeline import FrameProcessor
from pose.estimator import PoseEstimator
from pose.types import Frame, Pose

TRACKS = Path(__file__).resolve().parents[2] / "samples" / "tracks"


class TrackEstimator(PoseEstimator):
    """Recorded landmarks in place of the model: frame i's pose is row i of the track (the
    track repeats; a NaN row is no person), `delay_s` of work per frame."""

    name = "track"

    def __init__(self, landmarks: np.ndarray, delay_s: float = 0.0) -> None:
        self.landmarks = np.asarray(landmarks, np.float32)
        self.delay_s = delay_s

    def estimate(self, frame: Frame) -> Pose | None:
        if self.delay_s:
            time.sleep(self.delay_s)
        row = self.landmarks[frame.index % len(self.landmarks)]
        if not np.isfinite(row).all():
            return None
        return Pose(row, frame.t, frame.size)


def sample_track(name: str = "formfit_squat") -> np.ndarray:
    """A stored track of samples/tracks (in the repository: no shared data needed)."""
    with np.load(TRACKS / f"{name}.npz", allow_pickle=False) as data:
        return data["lm"].astype(np.float32)


def track_processor_factory(landmarks: np.ndarray, delay_s: float = 0.0) -> Any:
    """A SessionRegistry `processor_factory`: the live pipeline (setup check, filter, engine,
    reference, range limit) on `landmarks` instead of the model."""

    def factory(exercise: Any, reference: Any = None, limit_deg: Any = None, **kw: Any) -> Any:
        estimator = TrackEstimator(landmarks, delay_s)
        return FrameProcessor(
            exercise, estimator, require_setup=True, reference=reference, limit_deg=limit_deg, **kw
        )

    return factory


class ClipTrackEstimator(TrackEstimator):
    """A clip's own stored track in the model's place (the landmarks the model found on it,
    ../shared/data/landmarks or samples/tracks): row i for frame i, and a frame beyond the
    track is an error, not a repeat (the track is of another video)."""

    name = "clip-track"

    def estimate(self, frame: Frame) -> Pose | None:
        assert frame.index < len(self.landmarks), "the video has more frames than its track"
        return super().estimate(frame)
