"""The measures added for the rules validated on labelled data, on constructed poses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pose.landmarks import Landmark as L
from tests.scoring.poses import FLOOR, Point, hide, measure, side_points, to_landmarks, with_points


@pytest.mark.parametrize("angle", [0.0, 20.0, 45.0, 90.0])
@pytest.mark.parametrize("side", ["left", "right"])
def test_arm_trunk_angle_follows_the_upper_arm_swinging_forward(angle: float, side: str) -> None:
    pts = side_points()
    sh = pts[L[f"{side.upper()}_SHOULDER"]]
    a = math.radians(angle)
    elbow = (sh[0] + 0.15 * math.sin(a), sh[1] + 0.15 * math.cos(a), sh[2])
    lm = to_landmarks(with_points(pts, **{f"{side}_elbow": elbow}))
    assert measure(lm, f"arm_trunk_angle_2d_{side}") == pytest.approx(angle, abs=1e-6)


def test_arm_trunk_angle_is_true_in_a_wide_image_and_missing_when_the_elbow_is_hidden() -> None:
    pts = side_points()
    sh = pts[L.LEFT_SHOULDER]
    elbow = (sh[0] + 0.15 * math.sin(math.radians(30)), sh[1] + 0.15 * math.cos(math.radians(30)))
    lm = to_landmarks(with_points(pts, left_elbow=(*elbow, sh[2])), aspect=16 / 9)
    assert measure(lm, "arm_trunk_angle_2d_left", 16 / 9) == pytest.approx(30.0, abs=1e-6)
    assert math.isnan(measure(hide(lm, L.LEFT_ELBOW), "arm_trunk_angle_2d_left", 16 / 9))


def lunge_points(front_knee_x: float, facing: float = 1.0) -> dict[int, Point]:
    """A side-view lunge: left leg in front (ankle 0.2 ahead of the hips), right leg behind,
    both feet pointing the way the person faces (+x when `facing` is 1, -x when -1)."""
    cx = 0.5
    pts = side_points(cx)
    f = facing
    front_ankle = (cx + f * 0.2, FLOOR, 0.05)
    back_ankle = (cx - f * 0.25, FLOOR, -0.05)
    return with_points(
        pts,
        left_hip=(cx, FLOOR - 0.3, 0.05),
        right_hip=(cx, FLOOR - 0.3, -0.05),
        left_ankle=front_ankle,
        left_heel=(front_ankle[0] - f * 0.03, FLOOR + 0.02, 0.05),
        left_foot_index=(front_ankle[0] + f * 0.06, FLOOR + 0.02, 0.05),
        left_knee=(cx + f * (front_knee_x - 0.5), FLOOR - 0.18, 0.05),
        # The back knee is far past its own toes, as in every lunge: it must not count.
        right_ankle=back_ankle,
        right_heel=(back_ankle[0] - f * 0.03, FLOOR - 0.02, -0.05),
        right_foot_index=(back_ankle[0] + f * 0.06, FLOOR + 0.02, -0.05),
        right_knee=(cx - f * 0.05, FLOOR - 0.04, -0.05),
    )


@pytest.mark.parametrize("facing", [1.0, -1.0])
@pytest.mark.parametrize("knee_x", [0.7, 0.76, 0.82])
def test_front_knee_past_toe_in_shank_lengths_either_way_the_person_faces(
    knee_x: float, facing: float
) -> None:
    lm = to_landmarks(lunge_points(knee_x, facing))
    shank = math.hypot(knee_x - 0.7, 0.18)
    expected = (knee_x - 0.76) / shank  # the toe tip is 0.06 ahead of the front ankle
    assert measure(lm, "front_knee_past_toe") == pytest.approx(expected, abs=1e-6)


def test_front_knee_past_toe_sign_and_missing_when_the_front_foot_is_hidden() -> None:
    over_ankle = to_landmarks(lunge_points(0.7))
    past = to_landmarks(lunge_points(0.85))
    assert measure(over_ankle, "front_knee_past_toe") < 0 < measure(past, "front_knee_past_toe")
    hidden = hide(past, L.LEFT_FOOT_INDEX)
    assert math.isnan(measure(hidden, "front_knee_past_toe"))
    no_ankles = hide(past, L.LEFT_ANKLE, L.RIGHT_ANKLE)
    assert math.isnan(measure(no_ankles, "front_knee_past_toe"))
    assert np.isfinite(measure(past, "front_knee_past_toe", 1.0))
