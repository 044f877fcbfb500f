"""Skeleton and text overlays, checked on the pixels they draw."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pose.drawing import GREEN, RED, draw_skeleton, draw_text_panel
from pose.landmarks import NUM_LANDMARKS, Landmark
from pose.types import Pose

W, H = 320, 240


def standing_pose(visibility: float = 1.0) -> Pose:
    """A rough front-view figure in normalised coordinates."""
    lm = np.zeros((NUM_LANDMARKS, 4), dtype=np.float32)
    lm[:, 3] = visibility
    points = {
        Landmark.NOSE: (0.5, 0.15),
        Landmark.LEFT_SHOULDER: (0.6, 0.3),
        Landmark.RIGHT_SHOULDER: (0.4, 0.3),
        Landmark.LEFT_ELBOW: (0.7, 0.45),
        Landmark.RIGHT_ELBOW: (0.3, 0.45),
        Landmark.LEFT_WRIST: (0.75, 0.6),
        Landmark.RIGHT_WRIST: (0.25, 0.6),
        Landmark.LEFT_HIP: (0.56, 0.55),
        Landmark.RIGHT_HIP: (0.44, 0.55),
        Landmark.LEFT_KNEE: (0.57, 0.72),
        Landmark.RIGHT_KNEE: (0.43, 0.72),
        Landmark.LEFT_ANKLE: (0.57, 0.88),
        Landmark.RIGHT_ANKLE: (0.43, 0.88),
        Landmark.LEFT_HEEL: (0.56, 0.91),
        Landmark.RIGHT_HEEL: (0.44, 0.91),
        Landmark.LEFT_FOOT_INDEX: (0.6, 0.92),
        Landmark.RIGHT_FOOT_INDEX: (0.4, 0.92),
    }
    for idx, (x, y) in points.items():
        lm[idx, :2] = (x, y)
    return Pose(landmarks=lm, t=0.0, image_size=(W, H))


def pixel(image: np.ndarray, pose: Pose, idx: int) -> np.ndarray:
    x, y = pose.landmarks[idx, :2]
    return image[round(y * image.shape[0]), round(x * image.shape[1])]


def test_draws_joints_green_and_highlight_red_in_place() -> None:
    image = np.zeros((H, W, 3), dtype=np.uint8)
    pose = standing_pose()
    out = draw_skeleton(image, pose, highlight=[Landmark.LEFT_KNEE])
    assert out is image
    assert tuple(pixel(image, pose, Landmark.RIGHT_KNEE)) == GREEN
    assert tuple(pixel(image, pose, Landmark.LEFT_KNEE)) == RED
    # A bone between two joints is drawn: the midpoint of the right thigh is white-ish.
    hip, knee = pose.landmarks[Landmark.RIGHT_HIP, :2], pose.landmarks[Landmark.RIGHT_KNEE, :2]
    mx, my = (hip + knee) / 2
    assert image[round(my * H), round(mx * W)].min() > 150
    # Points outside the body skeleton (eyes, fingers; left at (0, 0) here) are not drawn.
    assert image[:3, :3].sum() == 0


def test_invisible_landmarks_and_their_bones_are_skipped() -> None:
    image = np.zeros((H, W, 3), dtype=np.uint8)
    pose = standing_pose()
    pose.landmarks[Landmark.LEFT_WRIST, 3] = 0.1
    draw_skeleton(image, pose, min_visibility=0.5)
    assert pixel(image, pose, Landmark.LEFT_WRIST).sum() == 0
    elbow, wrist = pose.landmarks[Landmark.LEFT_ELBOW, :2], pose.landmarks[Landmark.LEFT_WRIST, :2]
    mx, my = (elbow + 3 * wrist) / 4  # near the wrist, away from the elbow dot
    assert image[round(my * H), round(mx * W)].sum() == 0
    blank = np.zeros((H, W, 3), dtype=np.uint8)
    draw_skeleton(blank, standing_pose(visibility=0.2))
    assert blank.sum() == 0


def test_nan_and_far_off_screen_landmarks_do_not_crash() -> None:
    image = np.zeros((H, W, 3), dtype=np.uint8)
    pose = standing_pose()
    pose.landmarks[Landmark.LEFT_ANKLE, :2] = (1e9, -1e9)
    pose.landmarks[Landmark.RIGHT_ANKLE] = np.nan
    draw_skeleton(image, pose, highlight=[99])  # out-of-range highlight ignored
    assert image.sum() > 0


def test_rejects_non_colour_image() -> None:
    with pytest.raises(ValueError):
        draw_skeleton(np.zeros((H, W), dtype=np.uint8), standing_pose())


def test_text_panel_darkens_background_and_writes_text() -> None:
    image = np.full((H, W, 3), 255, dtype=np.uint8)
    box = draw_text_panel(image, ["Reps: 3", "Knee 92°", "Fault: knees in"], origin=(10, 30))
    x0, y0, x1, y1 = box
    assert 0 <= x0 < x1 <= W and 0 <= y0 < y1 <= H
    assert y1 - y0 > 40  # three lines tall
    panel = image[y0:y1, x0:x1]
    assert (panel < 128).mean() > 0.5  # mostly dark box
    assert (panel > 200).any()  # white text on it
    outside = image[y1 + 2 :, x1 + 2 :]
    assert outside.min() == 255  # nothing drawn elsewhere


def test_text_panel_edge_cases() -> None:
    image = np.zeros((H, W, 3), dtype=np.uint8)
    assert draw_text_panel(image, []) == (0, 0, 0, 0)
    assert image.sum() == 0
    box = draw_text_panel(image, ["a very long line of text that runs off"], origin=(W - 20, H - 2))
    assert box[2] <= W and box[3] <= H


def test_overlay_on_real_frame_with_real_landmarks(shared_data: Path, tmp_path: Path) -> None:
    still = cv2.imread(str(shared_data / "stills" / "squat_bottom_side__medflex_squat_f60.jpg"))
    assert still is not None
    lm = np.load(shared_data / "landmarks" / "medflex__squat.MP4.mp_landmarks.npz")["lm"][60]
    h, w = still.shape[:2]
    pose = Pose(landmarks=lm, t=2.5, image_size=(w, h))
    before = still.copy()
    draw_skeleton(still, pose, highlight=[Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE])
    draw_text_panel(still, ["Reps: 1", "Knee angle: 85 deg"])
    changed = np.any(still != before, axis=2)
    assert 0.001 < changed.mean() < 0.2  # an overlay, not a repaint
    assert cv2.imwrite(str(tmp_path / "overlay.jpg"), still)
