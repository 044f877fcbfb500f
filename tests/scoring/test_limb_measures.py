"""The measures added for the wider library: hip abduction, knee lift, reach, stance width.

Poses are built with known geometry (tests/scoring/test_kinematics.py builders), so each
expected value follows from the construction, not from a recording.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pose.landmarks import Landmark as L
from tests.scoring.poses import (
    FLOOR,
    LEG,
    THIGH,
    front_points,
    hide,
    measure,
    side_points,
    to_landmarks,
    with_points,
)


def _abducted(side: str, angle: float, cx: float = 0.5) -> np.ndarray:
    """Front view; this leg swung out `angle` degrees in the image plane (negative = across)."""
    pts = front_points(cx)
    sign = 1.0 if side == "left" else -1.0  # the person's left is the image's +x
    hip = pts[L[f"{side.upper()}_HIP"]]
    a = math.radians(angle)
    knee = (hip[0] + sign * THIGH * math.sin(a), hip[1] + THIGH * math.cos(a), 0.0)
    ankle = (hip[0] + sign * LEG * math.sin(a), hip[1] + LEG * math.cos(a), 0.0)
    return to_landmarks(with_points(pts, **{f"{side}_knee": knee, f"{side}_ankle": ankle}))


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("angle", [0.0, 15.0, 30.0, 45.0, -10.0])
def test_hip_abduction_is_the_constructed_angle(side: str, angle: float) -> None:
    lm = _abducted(side, angle)
    assert measure(lm, f"hip_abduction_{side}") == pytest.approx(angle, abs=1e-6)
    other = "right" if side == "left" else "left"
    assert measure(lm, f"hip_abduction_{other}") == pytest.approx(0.0, abs=1e-6)


def test_hip_abduction_follows_a_tilted_pelvis() -> None:
    # Rotate the whole body 10 degrees in the image plane: the angle to the pelvis is unchanged.
    lm = _abducted("left", 25.0)
    c = np.array([0.5, 0.6])
    rot = math.radians(10.0)
    r = np.array([[math.cos(rot), -math.sin(rot)], [math.sin(rot), math.cos(rot)]])
    lm[:, :2] = (lm[:, :2] - c) @ r.T + c
    assert measure(lm, "hip_abduction_left") == pytest.approx(25.0, abs=1e-6)


def test_hip_abduction_is_nan_when_the_knee_is_hidden() -> None:
    lm = hide(_abducted("left", 20.0), L.LEFT_KNEE)
    assert math.isnan(measure(lm, "hip_abduction_left"))
    assert measure(lm, "hip_abduction_right") == pytest.approx(0.0, abs=1e-6)


def _knee_raised(side: str, hip_flex: float) -> np.ndarray:
    """Front view; this thigh raised `hip_flex` degrees towards the camera, shin hanging."""
    pts = front_points()
    hip = pts[L[f"{side.upper()}_HIP"]]
    a = math.radians(hip_flex)
    knee = (hip[0], hip[1] + THIGH * math.cos(a), -THIGH * math.sin(a))
    ankle = (knee[0], knee[1] + THIGH, knee[2])
    return to_landmarks(with_points(pts, **{f"{side}_knee": knee, f"{side}_ankle": ankle}))


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("hip_flex", [0.0, 45.0, 60.0, 90.0])
def test_knee_lift_in_leg_lengths(side: str, hip_flex: float) -> None:
    lm = _knee_raised(side, hip_flex)
    expected = THIGH * (1 - math.cos(math.radians(hip_flex))) / LEG
    assert measure(lm, f"knee_lift_{side}") == pytest.approx(expected, abs=1e-6)
    other = "right" if side == "left" else "left"
    # The standing knee is below the raised one: not lifted, 0.
    assert measure(lm, f"knee_lift_{other}") == 0.0


def test_knee_lift_needs_the_standing_leg() -> None:
    lm = hide(_knee_raised("right", 60.0), L.LEFT_ANKLE)
    assert math.isnan(measure(lm, "knee_lift_right"))


def _reaching(forward: float, lean: float = 0.0) -> np.ndarray:
    """Side view facing +x; both wrists `forward` image heights ahead of the shoulder."""
    pts = side_points(trunk_lean=lean)
    changes = {}
    for side in ("left", "right"):
        sh = pts[L[f"{side.upper()}_SHOULDER"]]
        changes[f"{side}_elbow"] = (sh[0] + forward / 2, sh[1], sh[2])
        changes[f"{side}_wrist"] = (sh[0] + forward, sh[1], sh[2])
    return to_landmarks(with_points(pts, **changes))


def test_reach_is_zero_with_the_arm_down_and_grows_forward() -> None:
    down = to_landmarks(side_points())
    assert measure(down, "reach_left") == pytest.approx(0.0, abs=1e-6)
    held = _reaching(0.3)  # arm at shoulder height: 0.3 / 0.4 leg lengths
    assert measure(held, "reach_right") == pytest.approx(0.75, abs=1e-6)
    leaning = _reaching(0.3, lean=20.0)  # leaning in carries the shoulder forward too
    shoulder_ahead = 0.25 * math.sin(math.radians(20.0))
    assert measure(leaning, "reach_right") == pytest.approx((0.3 + shoulder_ahead) / LEG, abs=1e-6)


def test_reach_is_nan_when_the_wrist_is_hidden() -> None:
    lm = hide(_reaching(0.3), L.LEFT_WRIST)
    assert math.isnan(measure(lm, "reach_left"))
    assert math.isfinite(measure(lm, "reach_right"))


def test_stance_width_in_hip_widths() -> None:
    assert measure(to_landmarks(front_points()), "stance_width") == pytest.approx(1.0)
    pts = front_points(0.5)
    wide = with_points(
        pts,
        left_ankle=(0.625, FLOOR, 0.0),
        right_ankle=(0.375, FLOOR, 0.0),
    )
    assert measure(to_landmarks(wide), "stance_width") == pytest.approx(2.5)
    assert math.isnan(measure(hide(to_landmarks(wide), L.RIGHT_HIP), "stance_width"))


@pytest.mark.parametrize("aspect", [0.5625, 1.0, 1.7778])
def test_new_measures_do_not_depend_on_the_image_aspect(aspect: float) -> None:
    pts_lm = _abducted("left", 30.0, cx=0.5 * aspect)  # in the middle of the picture
    pts = {i: (pts_lm[i, 0], pts_lm[i, 1], pts_lm[i, 2]) for i in range(len(pts_lm))}
    lm = to_landmarks(pts, aspect)
    assert measure(lm, "hip_abduction_left", aspect) == pytest.approx(30.0, abs=1e-6)


@pytest.mark.parametrize("angle", [0.0, 20.0, 35.0])
def test_head_forward_is_the_ear_angle_ahead_of_the_shoulder(angle: float) -> None:
    pts = side_points()
    changes = {}
    for side in ("left", "right"):
        sh = pts[L[f"{side.upper()}_SHOULDER"]]
        a = math.radians(angle)
        changes[f"{side}_ear"] = (sh[0] + 0.12 * math.sin(a), sh[1] - 0.12 * math.cos(a), sh[2])
    lm = to_landmarks(with_points(pts, **changes))
    assert measure(lm, "head_forward") == pytest.approx(angle, abs=1e-6)
    # The far ear hidden: the near side alone gives the same angle; both hidden: NaN.
    assert measure(hide(lm, L.LEFT_EAR), "head_forward") == pytest.approx(angle, abs=1e-6)
    assert math.isnan(measure(hide(lm, L.LEFT_EAR, L.RIGHT_EAR), "head_forward"))
