"""Movement smoothness of one rep: SPARC, the spectral arc length of the speed profile.

Balasubramanian, Melendez-Calderon, Roby-Brami & Burdet (2015), "On the analysis of movement
smoothness", J NeuroEng Rehabil 12:112. A smooth movement has a compact, single-peaked speed
spectrum and a short arc length (SPARC near -1.4 for one minimum-jerk movement); tremor and
sub-movements add spectral bumps, so the arc grows and SPARC becomes more negative. It is
dimensionless and independent of the movement's amplitude. Standard parameters: cut-off
frequency 10 Hz, adaptive amplitude threshold 0.05, zero-padding to 2^(ceil(log2 N) + 4).

Here the "movement" is the counted measure of a rep (an angle, a height in leg lengths):
its speed is the absolute rate of change of that signal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from pose.types import Array

FC_HZ = 10.0  # cut-off frequency of the spectrum considered
AMP_THRESHOLD = 0.05  # the spectrum is cut where it last rises above this (normalised)
PAD_LEVEL = 4  # zero-padding: FFT length 2^(ceil(log2 N) + PAD_LEVEL)
MIN_SAMPLES = 8  # fewer samples than this cannot describe a movement's spectrum


def sparc(
    speed: Sequence[float] | Array,
    fs: float,
    padlevel: int = PAD_LEVEL,
    fc: float = FC_HZ,
    amp_th: float = AMP_THRESHOLD,
) -> float:
    """SPARC of a uniformly sampled speed profile (fs in Hz); NaN when it cannot be computed.

    Follows the authors' reference implementation; the cut-off is kept at or below the
    Nyquist frequency, since above it the two-sided spectrum would read its mirror image.
    """
    v = np.asarray(speed, dtype=np.float64)
    if v.ndim != 1 or fs <= 0:
        raise ValueError("speed must be 1-D and fs positive")
    if len(v) < MIN_SAMPLES or not np.isfinite(v).all() or not np.any(v):
        return math.nan
    nfft = int(2 ** (math.ceil(math.log2(len(v))) + padlevel))
    f = np.arange(nfft) * (fs / nfft)
    mag = np.abs(np.fft.fft(v, nfft))
    mag = mag / mag.max()
    keep = f <= min(fc, fs / 2.0)
    f_sel, m_sel = f[keep], mag[keep]
    above = np.nonzero(m_sel >= amp_th)[0]
    f_sel = f_sel[above[0] : above[-1] + 1]
    m_sel = m_sel[above[0] : above[-1] + 1]
    if len(f_sel) < 2:
        return math.nan
    df = np.diff(f_sel) / (f_sel[-1] - f_sel[0])
    return float(-np.sum(np.sqrt(df**2 + np.diff(m_sel) ** 2)))


def speed_profile(
    t: Sequence[float] | Array, values: Sequence[float] | Array
) -> tuple[Array, float]:
    """(speed, fs) of a signal sampled at times `t` (seconds), NaN samples left out.

    Frames from a camera are not exactly evenly spaced: resample on the median frame interval
    before differentiating, as SPARC needs a uniform sampling rate.
    """
    times = np.asarray(t, dtype=np.float64)
    x = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(times) & np.isfinite(x)
    times, x = times[ok], x[ok]
    if len(times) < 2:
        return np.zeros(0), 0.0
    order = np.argsort(times, kind="stable")
    times, x = times[order], x[order]
    dt = float(np.median(np.diff(times)))
    if dt <= 0:
        return np.zeros(0), 0.0
    grid = np.arange(times[0], times[-1] + dt / 2, dt)
    xs = np.interp(grid, times, x)
    return np.abs(np.gradient(xs, dt)), 1.0 / dt


def signal_sparc(t: Sequence[float] | Array, values: Sequence[float] | Array) -> float:
    """SPARC of the movement described by one signal over one rep; NaN if too short."""
    speed, fs = speed_profile(t, values)
    if len(speed) < MIN_SAMPLES:
        return math.nan
    return sparc(speed, fs)
