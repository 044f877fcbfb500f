"""SPARC on synthetic speed profiles whose smoothness is known by construction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoring.smoothness import signal_sparc, sparc, speed_profile

FS = 100.0


def min_jerk_speed(duration: float, fs: float = FS, start: float = 0.0, total: float = 0.0):
    """Speed of one minimum-jerk movement of unit amplitude (Flash & Hogan 1985)."""
    t = np.arange(0.0, max(total, start + duration) + 1e-9, 1.0 / fs)
    tau = np.clip((t - start) / duration, 0.0, 1.0)
    return 30.0 * tau**2 * (1.0 - tau) ** 2 / duration


def min_jerk_position(t: np.ndarray, duration: float) -> np.ndarray:
    tau = np.clip(t / duration, 0.0, 1.0)
    return 10 * tau**3 - 15 * tau**4 + 6 * tau**5


def test_one_minimum_jerk_movement() -> None:
    # About -1.41 for a single minimum-jerk movement, whatever its amplitude or duration:
    # SPARC is dimensionless.
    value = sparc(min_jerk_speed(1.0), FS)
    assert value == pytest.approx(-1.406, abs=0.005)
    assert sparc(25.0 * min_jerk_speed(1.0), FS) == pytest.approx(value, abs=1e-9)
    assert sparc(min_jerk_speed(2.0), FS) == pytest.approx(value, abs=0.005)


def test_sub_movements_score_worse_than_one_smooth_movement() -> None:
    smooth = sparc(min_jerk_speed(1.0), FS)
    # Two overlapping sub-movements that separate more and more: smoothness falls.
    total = 1.9
    two = [
        sparc(min_jerk_speed(1.0, total=total) + min_jerk_speed(1.0, start=gap, total=total), FS)
        for gap in (0.6, 0.75, 0.9)
    ]
    assert all(v < smooth - 0.2 for v in two)
    assert two[0] > two[1] > two[2]
    three = min_jerk_speed(0.6, total=1.8)
    three = three + min_jerk_speed(0.6, start=0.6, total=1.8)
    three = three + min_jerk_speed(0.6, start=1.2, total=1.8)
    assert sparc(three, FS) < min(two)


@pytest.mark.parametrize("tremor_hz", [4.0, 6.0, 8.0])
def test_tremor_on_the_position_makes_the_rep_less_smooth(tremor_hz: float) -> None:
    t = np.arange(0.0, 2.0, 1.0 / 30.0)  # a webcam's frame rate
    angle = 90.0 * min_jerk_position(t, 2.0)
    smooth = signal_sparc(t, angle)
    shaky = signal_sparc(t, angle + 2.0 * np.sin(2 * np.pi * tremor_hz * t))
    assert smooth == pytest.approx(-1.40, abs=0.05)
    assert shaky < smooth - 0.5


def test_a_rep_out_and_back_is_two_movements() -> None:
    # A rep goes out to the peak and comes back: two speed lobes, less smooth than one way.
    t = np.arange(0.0, 4.0, 1.0 / 30.0)
    out_back = 90.0 * np.where(t < 2.0, min_jerk_position(t, 2.0), min_jerk_position(4 - t, 2.0))
    one_way = signal_sparc(t[t < 2.0], out_back[t < 2.0])
    assert signal_sparc(t, out_back) < one_way


def test_uneven_frames_and_missing_samples() -> None:
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.uniform(0.028, 0.038, 70))
    angle = 90.0 * min_jerk_position(t - t[0], t[-1] - t[0])
    angle[[10, 11, 40]] = np.nan  # joints not seen for a few frames
    assert signal_sparc(t, angle) == pytest.approx(-1.40, abs=0.1)


def test_too_short_or_still_gives_nan() -> None:
    assert math.isnan(signal_sparc([0.0, 0.03, 0.06], [1.0, 2.0, 3.0]))
    assert math.isnan(sparc(np.zeros(50), FS))
    assert math.isnan(signal_sparc(np.arange(20) / 30, np.full(20, np.nan)))
    speed, fs = speed_profile([0.0], [1.0])
    assert len(speed) == 0 and fs == 0.0


def test_cut_off_never_reads_past_nyquist() -> None:
    # At 12 fps the 10 Hz cut-off lies above Nyquist (6 Hz): only 0-6 Hz is read, so the
    # result equals an explicit 6 Hz cut-off.
    v = min_jerk_speed(1.5, fs=12.0)
    assert sparc(v, 12.0) == pytest.approx(sparc(v, 12.0, fc=6.0))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        sparc(np.ones((3, 3)), FS)
    with pytest.raises(ValueError):
        sparc(np.ones(20), 0.0)
