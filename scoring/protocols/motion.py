"""Signals over time for the tests that time movements (timed up-and-go, gait, the balance
stages in one recording): zero-phase smoothing, rates, level crossings, runs.

Offline, a test sees the whole recording, so it smooths forwards and backwards (a Gaussian
kernel over each sample's own timestamp: no lag, whatever the frame rate, variable rates
included) rather than with the live path's causal One Euro filter, whose lag would move every
event later. NaN samples (not seen) get no weight and stay NaN when nothing seen is near.
"""

from __future__ import annotations

import math

import numpy as np

from pose.types import Array, FloatArray


def smooth(t: Array, x: Array, sigma_s: float) -> FloatArray:
    """`x` smoothed by a Gaussian of `sigma_s` seconds over the timestamps `t` (zero phase).

    A sample is NaN when the seen samples within one sigma carry less than a third of the
    weight a fully seen neighbourhood would: gaps are not bridged."""
    t = np.asarray(t, float)
    x = np.asarray(x, float)
    n = len(t)
    if n == 0 or sigma_s <= 0:
        return x.copy()
    ok = np.isfinite(x)
    values = np.where(ok, x, 0.0)
    dt = float(np.median(np.diff(t))) if n > 1 else 1.0
    reach = max(1, int(math.ceil(3 * sigma_s / max(dt, 1e-6))))
    total = np.zeros(n)
    weight = np.zeros(n)
    full = np.zeros(n)
    for k in range(-reach, reach + 1):
        lo, hi = max(0, -k), min(n, n - k)  # i in [lo, hi): i + k is inside
        i = np.arange(lo, hi)
        w = np.exp(-0.5 * ((t[i + k] - t[i]) / sigma_s) ** 2)
        full[i] += w
        total[i] += w * values[i + k]
        weight[i] += w * ok[i + k]
    out: FloatArray = np.where(weight >= full / 3, total / np.maximum(weight, 1e-12), np.nan)
    return out


def rate(t: Array, x: Array) -> FloatArray:
    """dx/dt by central differences over each sample's own timestamps (NaN next to NaN)."""
    t = np.asarray(t, float)
    x = np.asarray(x, float)
    out = np.full(len(x), np.nan)
    if len(x) < 3:
        return out
    out[1:-1] = (x[2:] - x[:-2]) / np.maximum(t[2:] - t[:-2], 1e-9)
    out[0] = (x[1] - x[0]) / max(t[1] - t[0], 1e-9)
    out[-1] = (x[-1] - x[-2]) / max(t[-1] - t[-2], 1e-9)
    return out


def crossings(t: Array, x: Array, level: float, *, rising: bool) -> list[float]:
    """The times `x` passes `level` upwards (`rising`) or downwards, interpolated between
    the two samples around each passage; samples next to NaN are skipped."""
    t = np.asarray(t, float)
    x = np.asarray(x, float)
    a, b = x[:-1], x[1:]
    with np.errstate(invalid="ignore"):
        hit = (a < level) & (b >= level) if rising else (a > level) & (b <= level)
    out = []
    for i in np.flatnonzero(hit):
        f = (level - a[i]) / (b[i] - a[i])
        out.append(float(t[i] + f * (t[i + 1] - t[i])))
    return out


def runs(mask: Array) -> list[tuple[int, int]]:
    """(first, last + 1) index of each run of True in `mask`."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def at(t: Array, x: Array, when: float) -> float:
    """`x` at time `when`, linearly interpolated between the seen samples (NaN outside)."""
    t = np.asarray(t, float)
    x = np.asarray(x, float)
    ok = np.isfinite(x)
    if not ok.any() or not (t[ok][0] <= when <= t[ok][-1]):
        return math.nan
    return float(np.interp(when, t[ok], x[ok]))
