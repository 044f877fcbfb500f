"""Counting repetitions of a movement no definition covers, from its periodicity.

The body's joint trajectories are reduced to their main component (PCA over the frames):
for a repeated movement that component swings back and forth once per repetition. Cycles
are then counted with hysteresis on the standardised component, and cycles much shorter
than the dominant period (found by autocorrelation) are merged away as jitter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose.landmarks import Landmark as L
from pose.types import Array

BODY_POINTS = (
    L.LEFT_SHOULDER,
    L.RIGHT_SHOULDER,
    L.LEFT_ELBOW,
    L.RIGHT_ELBOW,
    L.LEFT_WRIST,
    L.RIGHT_WRIST,
    L.LEFT_HIP,
    L.RIGHT_HIP,
    L.LEFT_KNEE,
    L.RIGHT_KNEE,
    L.LEFT_ANKLE,
    L.RIGHT_ANKLE,
    L.NOSE,
)
MIN_VIS = 0.5
# Smallest movement counted, as the 5-95 % range of the main component in image heights:
# landmark jitter of a still person is ~0.01 there, a small arm raise already ~0.1.
MIN_AMPLITUDE = 0.04


@dataclass(frozen=True)
class Cycle:
    start_s: float
    end_s: float
    amplitude: float  # peak-to-peak of the main component, in standard deviations


def trajectory_matrix(landmarks: Array, aspect: float) -> Array:
    """(T, 2k) body-point coordinates relative to the body centre; NaN where unseen."""
    pts = landmarks[:, BODY_POINTS, :2].astype(float) * np.array([aspect, 1.0])
    vis = landmarks[:, BODY_POINTS, 3]
    pts[vis < MIN_VIS] = np.nan
    matrix: Array = pts.reshape(len(landmarks), -1)
    return matrix


def main_component(x: Array) -> Array:
    """First principal component over frames; columns mostly missing are dropped."""
    keep = np.mean(np.isfinite(x), axis=0) >= 0.8
    if not keep.any():
        return np.full(len(x), np.nan)
    x = x[:, keep]
    col_mean = np.nanmean(x, axis=0)
    filled = np.where(np.isfinite(x), x, col_mean)
    centred = filled - col_mean
    row_ok = np.mean(np.isfinite(x), axis=1) >= 0.5
    if row_ok.sum() < 3:
        return np.full(len(x), np.nan)
    _, _, vt = np.linalg.svd(centred[row_ok], full_matrices=False)
    comp: Array = centred @ vt[0]
    comp[~row_ok] = np.nan
    return comp


def _smooth(x: Array, n: int) -> Array:
    if n <= 1:
        return x
    finite = np.isfinite(x)
    filled = np.interp(np.arange(len(x)), np.flatnonzero(finite), x[finite]) if finite.any() else x
    kernel = np.ones(n) / n
    padded = np.pad(filled, (n // 2, n - 1 - n // 2), mode="edge")
    out = np.convolve(padded, kernel, mode="valid")
    out[~finite] = np.nan
    return out


def dominant_period(x: Array, fps: float, min_s: float, max_s: float) -> float | None:
    finite = np.isfinite(x)
    if finite.sum() < 8:
        return None
    y = np.where(finite, x - np.nanmean(x), 0.0)
    n = len(y)
    ac = np.correlate(y, y, mode="full")[n - 1 :]
    if ac[0] <= 0:
        return None
    ac = ac / ac[0]
    lo, hi = max(1, int(min_s * fps)), min(n - 1, int(max_s * fps))
    if hi <= lo:
        return None
    lag = lo + int(np.argmax(ac[lo:hi]))
    return lag / fps if ac[lag] > 0.1 else None


def _hysteresis_cycles(t: Array, z: Array, h: float) -> list[Cycle]:
    """Cycles low -> high -> low of a centred signal, crossing -h then +h then -h."""
    cycles: list[Cycle] = []
    state, start, peak = "low", None, -np.inf
    for ti, zi in zip(t, z, strict=True):
        if not np.isfinite(zi):
            continue
        if state == "low":
            if zi <= -h:
                start = ti
            if zi >= h and start is not None:
                state, peak = "high", zi
        else:
            peak = max(peak, zi)
            if zi <= -h:
                assert start is not None  # (set before the signal went high)
                cycles.append(Cycle(float(start), float(ti), float(peak + h)))
                state, start = "low", ti
    return cycles


def _merge_short(cycles: list[Cycle], period: float | None) -> list[Cycle]:
    if not period:
        return cycles
    min_len = 0.5 * period
    merged: list[Cycle] = []
    for c in cycles:
        if (
            merged
            and c.end_s - merged[-1].start_s < min_len * 1.5
            and c.end_s - c.start_s < min_len
        ):
            prev = merged.pop()
            c = Cycle(prev.start_s, c.end_s, max(prev.amplitude, c.amplitude))
        merged.append(c)
    return merged


def count_cycles(
    t: Array,
    component: Array,
    min_period_s: float,
    max_period_s: float,
    min_prominence: float,
    min_amplitude: float = MIN_AMPLITUDE,
) -> list[Cycle]:
    """Cycles of a 1-D signal (in image heights), by hysteresis around the middle of its range.

    The band is `min_prominence` of the 5-95 % range, centred between those percentiles (not
    on the median: a patient who rests between reps spends most of the time at one end).
    Movements smaller than `min_amplitude` are not repetitions (a person standing still).
    Both polarities are counted and the larger count kept: which end of a symmetric movement
    is "up" is not knowable from the trajectory alone.
    """
    finite = np.isfinite(component)
    if finite.sum() < 8:
        return []
    fps = (finite.sum() - 1) / max(1e-6, t[finite][-1] - t[finite][0])
    x = _smooth(component, max(1, int(round(0.1 * fps))))
    lo, hi = np.nanpercentile(x, 5), np.nanpercentile(x, 95)
    if not np.isfinite(hi - lo) or hi - lo < min_amplitude:
        return []
    z = (x - (lo + hi) / 2) / (hi - lo)
    period = dominant_period(z, fps, min_period_s, max_period_s)
    h = min_prominence / 2
    best: list[Cycle] = []
    for signal in (z, -z):
        found = _merge_short(_hysteresis_cycles(t, signal, h), period)
        found = [c for c in found if c.end_s - c.start_s >= min_period_s * 0.5]
        if len(found) > len(best):
            best = found
    return best


class GenericRepCounter:
    """Streaming wrapper: keeps the trajectory and recounts it every `every_s` seconds."""

    def __init__(
        self,
        aspect: float,
        min_period_s: float,
        max_period_s: float,
        min_prominence: float,
        every_s: float = 0.5,
    ) -> None:
        self.aspect = aspect
        self.params = (min_period_s, max_period_s, min_prominence)
        self.every_s = every_s
        self._t: list[float] = []
        self._rows: list[Array] = []
        self._last_count_t = -1e9
        self.cycles: list[Cycle] = []

    def update(self, t: float, landmarks: Array | None) -> list[Cycle]:
        """New cycles completed since the last call (only ever adds)."""
        row = (
            trajectory_matrix(landmarks[None], self.aspect)[0]
            if landmarks is not None
            else np.full(2 * len(BODY_POINTS), np.nan)
        )
        self._t.append(t)
        self._rows.append(row)
        if t - self._last_count_t < self.every_s:
            return []
        return self._recount(t)

    def recount_all(self) -> list[Cycle]:
        """Every cycle of the whole track (the definitive answer at the end of a stream)."""
        if not self._t:
            return []
        comp = main_component(np.asarray(self._rows))
        return count_cycles(np.asarray(self._t), comp, *self.params)

    def _recount(self, t: float) -> list[Cycle]:
        self._last_count_t = t
        comp = main_component(np.asarray(self._rows))
        found = count_cycles(np.asarray(self._t), comp, *self.params)
        new = found[len(self.cycles) :]
        self.cycles.extend(new)
        return new
