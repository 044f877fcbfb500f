"""The values a session reports (scoring.reported) and how well they were seen
(scoring.confidence), on constructed poses and series: the per-view choice, the pose a
frontal-plane elbow needs, the visibility gate, the jitter estimate and the confidence's
factors and reasons."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pose.landmarks import Landmark as L
from scoring.confidence import (
    HIDDEN,
    JITTER,
    MEASURED_MIN,
    VIEW,
    jitter_deg,
    seen_confidence,
)
from scoring.reported import ReportedValues

NAN = float("nan")


def pose(visibility: float = 0.9) -> np.ndarray:
    """A (33, 4) pose whose left knee's landmarks have `visibility`."""
    lm = np.zeros((33, 4))
    lm[:, 3] = 0.9
    lm[[L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE], 3] = visibility
    return lm


def feed(reported: ReportedValues, raw: list[float], view: str = "side") -> list[float]:
    """The left knee's reported values for a series of its 2-D angles seen from `view`."""
    return [
        reported.update({"knee_flexion_2d_left": v}, view, pose()).values["knee_flexion_left"]
        for v in raw
    ]


def test_the_knee_is_its_image_plane_angle_from_the_side_and_not_measured_elsewhere() -> None:
    names = ["knee_flexion_left", "hip_height"]
    values = {"knee_flexion_2d_left": 40.0, "knee_flexion_left": 70.0, "hip_height": 0.8}
    for view, expected in (("side", 40.0), ("front", NAN), ("oblique", NAN), ("unknown", NAN)):
        reported = ReportedValues(names, ["side", "front"])
        reading = reported.update(values, view, pose())
        got = reading.values["knee_flexion_left"]
        assert got == expected or (math.isnan(got) and math.isnan(expected)), view
        assert reading.valid["knee_flexion_left"] == (view == "side")
        assert reading.values["hip_height"] == 0.8  # reported as taken, from every view
        assert reading.visibility["knee_flexion_left"] == pytest.approx(
            0.9 if view == "side" else NAN, nan_ok=True
        )


def test_the_reported_values_are_the_frames_own_without_lag() -> None:
    """No median: a movement is reported as it is, frame by frame (the range limit asks a
    few frames in a row instead, scoring.modes.reps)."""
    reported = ReportedValues(["knee_flexion_left"])
    raw = [10.0, 30.0, 60.0, NAN, 90.0]
    got = feed(reported, raw)
    assert got[:3] == raw[:3] and math.isnan(got[3]) and got[4] == 90.0


def test_a_joint_seen_too_faintly_is_not_reported() -> None:
    reported = ReportedValues(["knee_flexion_left"])
    for visibility, measured in ((0.55, False), (0.65, True)):
        reported = ReportedValues(["knee_flexion_left"])
        reading = reported.update({"knee_flexion_2d_left": 30.0}, "side", pose(visibility))
        assert math.isfinite(reading.values["knee_flexion_left"]) == measured
        assert reading.visibility["knee_flexion_left"] == pytest.approx(visibility)


def test_an_elbow_seen_from_the_front_is_not_reported_even_with_the_arm_out() -> None:
    """From the front the elbow is "not measured", arms out to the sides or not
    (scoring.measures: no frame condition made the front view trustworthy)."""
    for views in (["any"], ["front"]):
        reported = ReportedValues(["elbow_flexion_2d_left"], views)
        values = {"elbow_flexion_2d_left": 90.0, "upper_arm_elevation_2d_left": 85.0}
        reading = reported.update(values, "front", pose())
        assert math.isnan(reading.values["elbow_flexion_2d_left"])
        assert not reading.valid["elbow_flexion_2d_left"]
    # From the side it is measured, where the exercise counts from the side.
    side = ReportedValues(["elbow_flexion_2d_left"]).update(values, "side", pose())
    assert side.values["elbow_flexion_2d_left"] == 90.0


def test_jitter_is_the_noise_not_the_movement() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(0, 3, 1 / 30)
    movement = 60 - 60 * np.cos(2 * np.pi * t / 1.5)  # a 1.5 s rep of 120 degrees
    assert jitter_deg(movement) < 0.5
    noisy = movement + rng.normal(0, 3.0, len(t))
    assert jitter_deg(noisy) == pytest.approx(3.0, rel=0.2)
    gaps = noisy.copy()
    gaps[::10] = np.nan  # runs of 9 measured frames
    assert jitter_deg(gaps) == pytest.approx(3.0, rel=0.3)
    assert math.isnan(jitter_deg(np.array([1.0, 2.0, NAN, 3.0])))


def rep(n: int = 40) -> np.ndarray:
    return 50 - 50 * np.cos(2 * np.pi * np.arange(n) / n)


def test_a_rep_seen_well_from_the_side_is_measured() -> None:
    c = seen_confidence(rep(), np.ones(40, bool), np.full(40, 0.95), 6.0)
    assert c.measured and c.reason == "" and 0.8 <= c.value <= 1.0


@pytest.mark.parametrize(
    ("values", "valid", "visibility", "reason"),
    [
        # Seen from the front the whole rep: nothing measured, the view is why.
        (np.full(40, NAN), np.zeros(40, bool), np.full(40, NAN), VIEW),
        # From the side for only a fifth of the rep.
        (np.where(np.arange(40) < 8, rep(), NAN), np.arange(40) < 8, np.full(40, 0.9), VIEW),
        # From the side, but the joints faint (seen in a third of the frames).
        (np.where(np.arange(40) % 3 == 0, rep(), NAN), np.ones(40, bool), np.full(40, 0.55),
         HIDDEN),
        # From the side, seen, but jumping by 12 degrees frame to frame.
        (rep() + np.random.default_rng(2).normal(0, 12, 40), np.ones(40, bool), np.full(40, 0.9),
         JITTER),
    ],
)  # fmt: skip
def test_a_rep_not_measured_says_why(
    values: np.ndarray, valid: np.ndarray, visibility: np.ndarray, reason: str
) -> None:
    c = seen_confidence(values, valid, visibility, 6.0)
    assert not c.measured and c.value < MEASURED_MIN and c.reason == reason


def test_the_upper_arm_elevation_is_measured_in_the_image_without_the_hip() -> None:
    from scoring.measures import compute_measures

    lm = np.zeros((33, 4))
    lm[:, 3] = 0.9
    lm[[L.LEFT_HIP, L.RIGHT_HIP], 3] = 0.1  # seated: the hips hidden
    lm[L.LEFT_SHOULDER, :2] = (0.6, 0.3)
    for elbow, expected in (((0.6, 0.45), 0.0), ((0.75, 0.3), 90.0), ((0.6, 0.15), 180.0),
                            ((0.7, 0.4), 45.0)):  # fmt: skip
        lm[L.LEFT_ELBOW, :2] = elbow
        got = compute_measures(lm, 1.0, ["upper_arm_elevation_2d_left"])
        assert got["upper_arm_elevation_2d_left"][0] == pytest.approx(expected, abs=1e-6)
