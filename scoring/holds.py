"""Balance holds: when a hold starts and ends, touch-downs, and postural sway.

A hold starts once its conditions have been true for `min_start_s`; a lapse shorter than
`touchdown_max_s` is a touch-down (the hold goes on), a longer one ends it. Sway is the RMS
distance of the body centre from its mean over the hold, in body heights, so that it does
not depend on how far the patient stands from the camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HoldSettings:
    min_start_s: float = 0.3
    touchdown_max_s: float = 1.0
    min_hold_s: float = 1.0


@dataclass(frozen=True)
class Hold:
    start_s: float
    end_s: float
    duration_s: float
    sway: float
    touch_downs: int


class HoldTracker:
    """Feed (t, condition, centre, body_height); `update` returns a Hold when one ends."""

    def __init__(self, settings: HoldSettings) -> None:
        self.s = settings
        self.active = False
        self._cand_since: float | None = None  # conditions true since (not yet a hold)
        self._start = 0.0
        self._last_true = 0.0
        self._lapse_since: float | None = None
        self._touch_downs = 0
        self._centres: list[tuple[float, float, float]] = []  # x, y, body height

    def elapsed(self, t: float) -> float:
        return (self._last_true - self._start) if self.active else 0.0

    def update(
        self,
        t: float,
        ok: bool | None,
        centre: tuple[float, float] | None = None,
        body_height: float | None = None,
    ) -> Hold | None:
        """`ok` None means "can't see": neither a lapse nor progress, until it lasts too long."""
        if ok is None:
            if self.active and t - self._last_true > self.s.touchdown_max_s:
                return self._end()
            return None
        if ok:
            if not self.active:
                if self._cand_since is None:
                    self._cand_since = t
                if t - self._cand_since >= self.s.min_start_s:
                    self._begin(self._cand_since)
                else:
                    return None
            if self._lapse_since is not None:
                self._touch_downs += 1
                self._lapse_since = None
            self._last_true = t
            if centre is not None and body_height and body_height > 0:
                self._centres.append((centre[0], centre[1], body_height))
            return None
        self._cand_since = None
        if not self.active:
            return None
        if self._lapse_since is None:
            self._lapse_since = t
        if t - self._lapse_since > self.s.touchdown_max_s:
            return self._end()
        return None

    def finish(self, t: float) -> Hold | None:
        """End of stream: close an open hold at its last good instant."""
        return self._end() if self.active else None

    def _begin(self, start: float) -> None:
        self.active = True
        self._start = start
        self._last_true = start
        self._lapse_since = None
        self._touch_downs = 0
        self._centres = []

    def _end(self) -> Hold | None:
        self.active = False
        self._cand_since = None
        self._lapse_since = None
        duration = self._last_true - self._start
        if duration < self.s.min_hold_s:
            return None
        return Hold(
            start_s=self._start,
            end_s=self._last_true,
            duration_s=duration,
            sway=sway(self._centres),
            touch_downs=self._touch_downs,
        )


def sway(centres: list[tuple[float, float, float]]) -> float:
    """RMS excursion of the centre from its mean, divided by the median body height."""
    if len(centres) < 2:
        return 0.0
    arr = np.asarray(centres, dtype=float)
    xy = arr[:, :2] - arr[:, :2].mean(axis=0)
    rms = float(np.sqrt(np.mean(np.sum(xy**2, axis=1))))
    height = float(np.median(arr[:, 2]))
    return rms / height if height > 0 and math.isfinite(height) else 0.0
