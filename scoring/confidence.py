"""How well a rep's (or a range-of-motion test's) angle was seen: a confidence from 0 to 1.

Four things say it, each a factor from 0 to 1 over the frames of the rep:

- the view: the share of frames seen from a view that can measure the angle (its measure's
  per-view rule and the definition's views, scoring.measures);
- visibility: the median, over those frames, of the lowest visibility of the angle's three
  landmarks, with the share of them in which the angle was measured at all;
- the error to expect: the benchmark's error for that view (scoring.measures.ViewReport)
  combined with the jitter of the angle over the rep (its high-frequency residual, in
  degrees: what the pose estimate added frame to frame).

The confidence is their product. Below `MEASURED_MIN` the angle is "not measured": a rep keeps
its count and score but reports no peak or range, and a range limit is not judged on it. The
reason is the id of the weakest factor (`VIEW`, `HIDDEN`, `JITTER`), for the words at the edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pose.types import Array

# The angle is "not measured" below this confidence.
MEASURED_MIN = 0.5
# Why not measured (ids: words are the pages' and the reports' business).
VIEW = "view"  # seen from a view that cannot measure it (turn side-on)
HIDDEN = "hidden"  # its joints were not seen well enough (step back, light, clothing)
JITTER = "jitter"  # it jumped from frame to frame more than a movement can
REASONS = (VIEW, HIDDEN, JITTER)

# View share: all frames in a valid view count fully from VIEW_FULL, nothing below VIEW_NONE.
VIEW_NONE, VIEW_FULL = 0.25, 0.75
# Landmark visibility (MediaPipe's 0-1): 0.5 is the measures' own gate.
VISIBILITY_NONE, VISIBILITY_FULL = 0.5, 0.8
# The error to expect (degrees, benchmark error and jitter in quadrature): within ERROR_FULL
# nothing is lost; at ERROR_NONE the figure says nothing a therapist can act on.
ERROR_FULL, ERROR_NONE = 5.0, 15.0
# Savitzky-Golay smoothing over 7 frames, order 2: what a movement is; the rest is jitter.
_SMOOTH = np.array([-2.0, 3.0, 6.0, 7.0, 6.0, 3.0, -2.0]) / 21.0
_RESIDUAL_SCALE = math.sqrt(2.0 / 3.0)  # residual SD of white noise of SD 1 after _SMOOTH


@dataclass(frozen=True)
class Confidence:
    """`value` 0-1; `reason` "" when measured, else the weakest factor's id."""

    value: float
    reason: str = ""

    @property
    def measured(self) -> bool:
        return self.value >= MEASURED_MIN


NOT_SEEN = Confidence(0.0, VIEW)


def _ramp(x: float, low: float, high: float) -> float:
    """0 at or below `low`, 1 at or above `high`, linear between; 1 for NaN (not known)."""
    if not math.isfinite(x):
        return 1.0
    return float(min(1.0, max(0.0, (x - low) / (high - low))))


def jitter_deg(values: Array) -> float:
    """The frame-to-frame noise of an angle (degrees, an SD): the residual from a local
    quadratic fit over 7 frames, over its runs of measured frames; NaN under 7 of them."""
    v = np.asarray(values, dtype=np.float64)
    residuals: list[Array] = []
    run: list[float] = []
    for x in [*v.tolist(), math.nan]:
        if math.isfinite(x):
            run.append(x)
            continue
        if len(run) >= len(_SMOOTH):
            a = np.asarray(run)
            residuals.append(a[3:-3] - np.convolve(a, _SMOOTH[::-1], mode="valid"))
        run = []
    if not residuals:
        return math.nan
    r = np.concatenate(residuals)
    return float(np.sqrt(np.mean(r * r)) / _RESIDUAL_SCALE)


def seen_confidence(
    values: Array,
    valid: Array,
    visibility: Array,
    error_deg: float | None,
    *,
    degrees: bool = True,
) -> Confidence:
    """The confidence of one angle over the frames of a rep (each with a pose): its reported
    values (NaN: not measured), whether each frame's view can measure it, its landmarks'
    lowest visibility (NaN: not known), and the error to expect from the view (None: no
    figure). `degrees` False (a length ratio): no jitter in degrees to judge."""
    v = np.asarray(values, dtype=np.float64)
    ok = np.asarray(valid, dtype=bool)
    if len(v) == 0 or not ok.any():
        return NOT_SEEN
    view = _ramp(float(ok.mean()), VIEW_NONE, VIEW_FULL)
    seen = np.isfinite(v[ok])
    visible = _ramp(float(seen.mean()), VIEW_NONE, VIEW_FULL)
    vis = np.asarray(visibility, dtype=np.float64)[ok]
    vis = vis[np.isfinite(vis)]
    if len(vis):
        visible *= _ramp(float(np.median(vis)), VISIBILITY_NONE, VISIBILITY_FULL)
    jitter = jitter_deg(v) if degrees else math.nan
    expected = math.hypot(error_deg or 0.0, jitter if math.isfinite(jitter) else 0.0)
    steady = _ramp(ERROR_NONE - expected, 0.0, ERROR_NONE - ERROR_FULL)
    value = round(view * visible * steady, 3)
    factors = {VIEW: view, HIDDEN: visible, JITTER: steady}
    reason = "" if value >= MEASURED_MIN else min(factors, key=lambda k: factors[k])
    return Confidence(value, reason)
