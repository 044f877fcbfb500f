"""Camera-view classification (front / side / oblique) from constructed poses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pose.landmarks import Landmark as L
from scoring.view import (
    FRONT_MIN_RATIO,
    SIDE_MAX_RATIO,
    ViewDetector,
    classify,
    view_satisfies,
    width_ratio,
)
from tests.scoring.poses import Point, front_points, hide, side_points, to_landmarks


def turned(points: dict[int, Point], degrees: float, cx: float = 0.5) -> dict[int, Point]:
    """The pose rotated about the vertical axis through x = cx (0 = facing the camera)."""
    a = math.radians(degrees)
    out = {}
    for idx, (x, y, z) in points.items():
        dx = x - cx
        out[idx] = (cx + dx * math.cos(a) - z * math.sin(a), y, dx * math.sin(a) + z * math.cos(a))
    return out


def test_front_pose_is_front() -> None:
    lm = to_landmarks(front_points())
    ratio = width_ratio(lm, 1.0)
    assert ratio == pytest.approx(0.2 / 0.25)  # shoulder width 0.2 over trunk 0.25
    assert classify(ratio) == "front"


def test_side_pose_is_side() -> None:
    lm = to_landmarks(side_points())
    assert width_ratio(lm, 1.0) == pytest.approx(0.0, abs=1e-9)
    assert classify(width_ratio(lm, 1.0)) == "side"


@pytest.mark.parametrize(
    ("degrees", "expected"),
    [(0, "front"), (25, "front"), (55, "oblique"), (65, "oblique"), (75, "side"), (90, "side")],
)
def test_turning_away_goes_front_oblique_side(degrees: float, expected: str) -> None:
    # Shoulder width 0.2 shrinks to 0.2 * cos(angle); trunk 0.25.
    lm = to_landmarks(turned(front_points(), degrees))
    ratio = width_ratio(lm, 1.0)
    assert ratio == pytest.approx(0.8 * math.cos(math.radians(degrees)), abs=1e-9)
    assert classify(ratio) == expected


def test_classification_boundaries() -> None:
    assert classify(FRONT_MIN_RATIO) == "front"
    assert classify(FRONT_MIN_RATIO - 1e-3) == "oblique"
    assert classify(SIDE_MAX_RATIO) == "side"
    assert classify(SIDE_MAX_RATIO + 1e-3) == "oblique"
    assert classify(float("nan")) == "unknown"


def test_view_needs_the_right_aspect() -> None:
    # Turned 45 deg in a 16:9 image: with aspect 1 the shoulders look 1.78x too narrow.
    aspect = 16 / 9
    lm = to_landmarks(turned(front_points(aspect / 2), 45, aspect / 2), aspect=aspect)
    right, wrong = width_ratio(lm, aspect), width_ratio(lm, 1.0)
    assert right == pytest.approx(0.8 * math.cos(math.radians(45)))
    assert wrong == pytest.approx(right / aspect)
    assert classify(right) == "front"
    assert classify(wrong) == "oblique"


def test_far_shoulder_hidden_says_side() -> None:
    lm = hide(to_landmarks(side_points()), L.LEFT_SHOULDER)
    assert width_ratio(lm, 1.0) == 0.0
    # ... but not when no hip is seen either: then we cannot tell.
    lm = hide(lm, L.LEFT_HIP, L.RIGHT_HIP)
    assert math.isnan(width_ratio(lm, 1.0))
    both_hidden = hide(to_landmarks(front_points()), L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    assert math.isnan(width_ratio(both_hidden, 1.0))


def test_seated_with_hidden_hips_uses_the_ears_for_the_trunk() -> None:
    lm = hide(to_landmarks(front_points()), L.LEFT_HIP, L.RIGHT_HIP)
    # Ears 0.15 above the shoulder line: trunk ~ 2.2 * 0.15 = 0.33, ratio 0.2 / 0.33.
    assert width_ratio(lm, 1.0) == pytest.approx(0.2 / (2.2 * 0.15))
    assert classify(width_ratio(lm, 1.0)) == "front"
    side = hide(to_landmarks(side_points()), L.LEFT_HIP, L.RIGHT_HIP)
    assert classify(width_ratio(side, 1.0)) == "side"
    no_ears = hide(lm, L.LEFT_EAR, L.RIGHT_EAR)
    assert math.isnan(width_ratio(no_ears, 1.0))


def test_detector_starts_unknown_and_ignores_missing_poses() -> None:
    det = ViewDetector()
    assert det.view == "unknown"
    assert det.update(None, 1.0) == "unknown"
    assert det.update(to_landmarks(front_points(), visibility=0.0), 1.0) == "unknown"
    assert det.update(to_landmarks(side_points()), 1.0) == "side"


def test_one_odd_frame_does_not_flip_the_view() -> None:
    det = ViewDetector(window=15)
    front = to_landmarks(front_points())
    side = to_landmarks(side_points())
    for _ in range(15):
        det.update(front, 1.0)
    assert det.update(side, 1.0) == "front"
    assert det.update(front, 1.0) == "front"
    # A real turn wins once it fills most of the window.
    views = [det.update(side, 1.0) for _ in range(15)]
    assert views[0] == "front"
    assert views[-1] == "side"
    assert views.index("side") <= 8


def test_view_satisfies() -> None:
    assert view_satisfies("front", "front")
    assert view_satisfies("side", "side")
    assert not view_satisfies("front", "side")
    assert not view_satisfies("side", "front")
    for detected in ("front", "side", "oblique", "unknown"):
        assert view_satisfies(detected, "any")
    assert view_satisfies("oblique", "front") and view_satisfies("oblique", "side")
    assert view_satisfies("unknown", "front") and view_satisfies("unknown", "side")


def test_ratio_is_independent_of_distance() -> None:
    near = to_landmarks(front_points())
    far = near.copy()
    far[:, :3] = 0.5 + (far[:, :3] - 0.5) * 0.4  # the same person farther away
    assert width_ratio(far, 1.0) == pytest.approx(width_ratio(near, 1.0))
    assert np.isfinite(width_ratio(far, 1.0))
