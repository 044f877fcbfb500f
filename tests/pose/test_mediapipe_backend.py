"""The MediaPipe backend on a real clip, against landmarks precomputed with the same model."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from pose.estimator import PoseEstimator, create_estimator
from pose.landmarks import NUM_LANDMARKS
from pose.mediapipe_backend import (
    MediaPipePoseEstimator,
    ModelUnavailableError,
    mediapipe_model_path,
)
from pose.sources import VideoFileSource
from pose.types import Frame, Pose
from tests.lanes import uses

CLIP = Path("videos") / "medflex" / "squat.MP4"
REFERENCE = Path("landmarks") / "medflex__squat.MP4.mp_landmarks.npz"


@dataclass
class Run:
    poses: list[Pose | None]
    frames_t: list[float]
    ms: np.ndarray  # per-frame estimate() cost


@pytest.fixture(scope="module")
@uses("model")
def squat_run(shared_data: Path) -> Run:
    """The estimator over all 240 frames of the real squat clip (about 5-12 s)."""
    poses: list[Pose | None] = []
    frames_t: list[float] = []
    ms: list[float] = []
    with VideoFileSource(shared_data / CLIP) as source, MediaPipePoseEstimator() as estimator:
        for frame in source:
            start = time.perf_counter()
            poses.append(estimator.estimate(frame))
            ms.append((time.perf_counter() - start) * 1e3)
            frames_t.append(frame.t)
    return Run(poses, frames_t, np.array(ms))


@pytest.mark.model
def test_pose_found_on_every_frame_with_right_shapes(squat_run: Run) -> None:
    assert len(squat_run.poses) == 240
    assert all(p is not None for p in squat_run.poses)
    for pose, t in zip(squat_run.poses, squat_run.frames_t, strict=True):
        assert pose is not None
        assert pose.landmarks.shape == (NUM_LANDMARKS, 4) and pose.landmarks.dtype == np.float32
        assert pose.world is not None and pose.world.shape == (NUM_LANDMARKS, 3)
        assert pose.t == t and pose.image_size == (1280, 720)


@pytest.mark.model
def test_agrees_with_precomputed_landmarks(squat_run: Run, shared_data: Path) -> None:
    reference = np.load(shared_data / REFERENCE)["lm"]
    ours = np.stack([p.landmarks for p in squat_run.poses if p is not None])
    assert ours.shape == reference.shape
    assert not np.isnan(reference[..., 0]).any()
    diff = np.abs(ours - reference)
    assert np.median(diff[..., 0]) < 0.002 and np.median(diff[..., 1]) < 0.002
    assert np.percentile(diff[..., :2], 95) < 0.02
    assert np.median(diff[..., 3]) < 0.02  # visibility too
    # World landmarks are metres around the hips: a standing adult is 1-2 m tall.
    world = np.stack([p.world for p in squat_run.poses if p is not None and p.world is not None])
    height = world[:, :, 1].max(axis=1) - world[:, :, 1].min(axis=1)
    assert 0.8 < np.median(height) < 2.2


@pytest.mark.model
def test_estimate_cost_is_reported(squat_run: Run) -> None:
    median_ms = float(np.median(squat_run.ms[1:]))
    print(f"\nMediaPipe estimate on 1280x720: median {median_ms:.1f} ms/frame")
    assert median_ms < 500  # sanity only: real-time budgets are measured, not asserted, here


@pytest.mark.model
def test_blank_image_gives_none() -> None:
    with MediaPipePoseEstimator() as estimator:
        black = np.zeros((480, 640, 3), dtype=np.uint8)
        assert estimator.estimate(Frame(black, 0.0, 0)) is None
        assert estimator.estimate(Frame(black, 1 / 30, 1)) is None


@pytest.mark.model
def test_static_mode_on_a_real_still(shared_data: Path) -> None:
    still = shared_data / "stills" / "squat_bottom_side__medflex_squat_f60.jpg"
    image = cv2.imread(str(still))
    assert image is not None
    with MediaPipePoseEstimator(static_image_mode=True) as estimator:
        pose = estimator.estimate(Frame(image, 0.0, 0))
    assert pose is not None
    h, w = image.shape[:2]
    assert pose.image_size == (w, h)
    reference = np.load(shared_data / REFERENCE)["lm"][60]
    # Static mode has no tracking/smoothing, so looser than the video comparison.
    assert np.median(np.abs(pose.landmarks[:, :2] - reference[:, :2])) < 0.02


@pytest.mark.parametrize("complexity", [0, 2])
def test_downloading_complexities_are_refused_offline(complexity: int) -> None:
    path = mediapipe_model_path(complexity)
    if path is not None and path.is_file():
        pytest.skip(f"{path.name} is installed, so complexity {complexity} can run")
    with pytest.raises(ModelUnavailableError, match="model_complexity=1") as err:
        MediaPipePoseEstimator(model_complexity=complexity)
    assert "offline" in str(err.value) and str(path) in str(err.value)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="0, 1 or 2"):
        MediaPipePoseEstimator(model_complexity=3)
    with pytest.raises(ValueError, match="min_detection_confidence"):
        MediaPipePoseEstimator(min_detection_confidence=1.5)


@pytest.mark.model
def test_close_is_idempotent_and_use_after_close_raises() -> None:
    estimator = MediaPipePoseEstimator()
    assert not estimator.closed
    estimator.close()
    estimator.close()
    assert estimator.closed
    with pytest.raises(RuntimeError, match="closed"):
        estimator.estimate(Frame(np.zeros((48, 64, 3), dtype=np.uint8), 0.0, 0))


@pytest.mark.model
def test_rejects_non_bgr_images() -> None:
    with MediaPipePoseEstimator() as estimator, pytest.raises(ValueError, match="uint8"):
        estimator.estimate(Frame(np.zeros((48, 64), dtype=np.uint8), 0.0, 0))


@pytest.mark.model
def test_factory_builds_mediapipe_by_name() -> None:
    with create_estimator("MediaPipe", min_tracking_confidence=0.6) as estimator:
        assert isinstance(estimator, MediaPipePoseEstimator)
        assert isinstance(estimator, PoseEstimator)
