"""The values a session reports (scoring.reported) and how well they were seen
(scoring.confidence), on constructed poses and series: the per-view choice, the steadying of a
spike, the visibility gate, the jitter estimate and the confidence's factors and reasons."""

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
from scoring.reported import STEADY_FRAMES, ReportedValues

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
        for _ in range(STEADY_FRAMES):
            reading = reported.update(values, view, pose())
        got = reading.values["knee_flexion_left"]
        assert got == expected or (math.isnan(got) and math.isnan(expected)), view
        assert reading.valid["knee_flexion_left"] == (view == "side")
        assert reading.values["hip_height"] == 0.8  # reported as taken, from every view
        assert reading.visibility["knee_flexion_left"] == pytest.approx(
            0.9 if view == "side" else NAN, nan_ok=True
        )


def test_a_spike_of_two_frames_never_shows_and_the_first_frames_wait_for_three() -> None:
    reported = ReportedValues(["knee_flexion_left"])
    raw = [10.0, 11.0, 12.0, 90.0, 95.0, 13.0, 14.0, 15.0]
    got = feed(reported, raw)
    assert all(math.isnan(v) for v in got[:2])  # fewer than three frames measured yet
    assert max(v for v in got if math.isfinite(v)) <= 15.0
    # A frame not measured is not reported; the next is the median of the measured ones.
    assert math.isnan(feed(reported, [NAN])[0])
    assert feed(reported, [16.0])[0] == pytest.approx(14.5)  # median of 13, 14, 15, 16


def test_a_joint_seen_too_faintly_is_not_reported() -> None:
    reported = ReportedValues(["knee_flexion_left"])
    for visibility, measured in ((0.55, False), (0.65, True)):
        reported = ReportedValues(["knee_flexion_left"])
        for _ in range(STEADY_FRAMES):
            reading = reported.update({"knee_flexion_2d_left": 30.0}, "side", pose(visibility))
        assert math.isfinite(reading.values["knee_flexion_left"]) == measured
        assert reading.visibility["knee_flexion_left"] == pytest.approx(visibility)


def test_a_frontal_plane_elbow_is_reported_from_the_front_only_where_the_exercise_counts() -> None:
    for views, measured in ((["any"], True), (["side"], False)):
        reported = ReportedValues(["elbow_flexion_2d_left"], views)
        for _ in range(STEADY_FRAMES):
            reading = reported.update({"elbow_flexion_2d_left": 90.0}, "front", pose())
        assert math.isfinite(reading.values["elbow_flexion_2d_left"]) == measured


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
