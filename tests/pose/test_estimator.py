"""The estimator interface, the backend registry, and that `import pose` stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pose
from pose.estimator import (
    DEFAULT_BACKEND,
    PoseEstimator,
    available_backends,
    configured_backend,
    create_estimator,
    register_backend,
)
from pose.landmarks import NUM_LANDMARKS
from pose.types import Frame, Pose

REPO = Path(__file__).resolve().parents[2]


class CentreEstimator(PoseEstimator):
    """A deterministic stand-in backend: every landmark in the image centre."""

    name = "centre"

    def __init__(self, visibility: float = 1.0) -> None:
        self.visibility = visibility
        self.closed = False

    def estimate(self, frame: Frame) -> Pose | None:
        if self.closed:
            raise RuntimeError("closed")
        lm = np.full((NUM_LANDMARKS, 4), 0.5, dtype=np.float32)
        lm[:, 3] = self.visibility
        return Pose(landmarks=lm, t=frame.t, image_size=frame.size)

    def close(self) -> None:
        self.closed = True


def test_register_and_create_custom_backend() -> None:
    register_backend("centre", CentreEstimator)
    assert "centre" in available_backends() and "mediapipe" in available_backends()
    with create_estimator("centre", visibility=0.7) as estimator:
        assert isinstance(estimator, CentreEstimator) and estimator.visibility == 0.7
    assert estimator.closed  # context manager closed it


def test_the_backend_is_chosen_by_name_from_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    register_backend("centre", CentreEstimator)
    monkeypatch.setenv("COACH_POSE_BACKEND", "Centre")
    assert configured_backend() == "Centre"
    with create_estimator(visibility=0.3) as estimator:  # no name: the configured backend
        assert isinstance(estimator, CentreEstimator) and estimator.visibility == 0.3
    monkeypatch.setenv("COACH_POSE_BACKEND", "openpose")
    with pytest.raises(ValueError, match="unknown pose backend 'openpose'"):
        create_estimator()
    monkeypatch.delenv("COACH_POSE_BACKEND")
    assert configured_backend() == DEFAULT_BACKEND == "mediapipe"


def test_unknown_backend_lists_the_available_ones() -> None:
    with pytest.raises(ValueError, match="unknown pose backend 'openpose'.*mediapipe"):
        create_estimator("openpose")


def test_track_pairs_frames_with_poses() -> None:
    frames = [Frame(np.zeros((4, 6, 3), dtype=np.uint8), i / 10, i) for i in range(3)]
    pairs = list(CentreEstimator().track(frames))
    assert [f.index for f, _ in pairs] == [0, 1, 2]
    assert all(p is not None and p.t == f.t and p.image_size == (6, 4) for f, p in pairs)


@pytest.mark.subprocess
def test_import_pose_loads_neither_mediapipe_nor_opencv() -> None:
    """In a fresh interpreter: this one has imported both long ago."""
    code = (
        "import sys, pose\n"
        "assert 'mediapipe' not in sys.modules, 'mediapipe imported eagerly'\n"
        "assert 'cv2' not in sys.modules, 'cv2 imported eagerly'\n"
        "pose.MediaPipePoseEstimator\n"
        "assert 'mediapipe' not in sys.modules, 'mediapipe imported before use'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_public_names_resolve() -> None:
    for name in pose.__all__:
        assert getattr(pose, name) is not None
    with pytest.raises(AttributeError):
        _ = pose.not_a_name  # type: ignore[attr-defined]
