"""Rep counting on one smoothed signal with two thresholds (hysteresis).

A rep enters its working phase when the signal passes `enter` and completes only when it
comes back past `exit`; it must also cover `min_rom` and last `min_duration_s`. A single
threshold double-counts on jitter; the band between the two thresholds absorbs it.
A stream that starts inside the working phase counts that rep when it returns (the clip or
the camera started mid-rep). A movement towards the target that turns back before `enter`
but covered `min_rom` for `min_duration_s` is not counted; it is reported once as
`attempt` (a Rep that did not count), so the range rules can say why nothing counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum


class Phase(str, Enum):
    IDLE = "idle"  # no valid sample yet
    REST = "rest"
    WORKING = "working"


@dataclass(frozen=True)
class RepThresholds:
    enter: float
    exit: float
    min_rom: float = 20.0
    min_duration_s: float = 0.4
    max_duration_s: float = 20.0
    increasing: bool = True  # the signal grows during the working phase

    def __post_init__(self) -> None:
        sign = 1 if self.increasing else -1
        if sign * (self.enter - self.exit) <= 0:
            raise ValueError("enter must lie beyond exit in the working direction")
        if self.min_rom <= 0 or self.min_duration_s < 0 or self.max_duration_s <= 0:
            raise ValueError("min_rom and max_duration_s must be positive, min_duration_s >= 0")


@dataclass(frozen=True)
class Rep:
    start_s: float
    end_s: float
    peak_t: float
    peak: float  # signal value at the extreme of the working phase (original units)
    rom: float  # distance between the rest value and the peak
    partial_start: bool = False  # the stream began inside this rep
    rest: float = math.nan  # the resting value the rom is measured from (original units)


class RepCounter:
    """Feed (t, value) samples; `update` returns a Rep when one completes. NaN = not seen."""

    def __init__(self, thresholds: RepThresholds) -> None:
        self.th = thresholds
        self._sign = 1.0 if thresholds.increasing else -1.0
        self.reset()

    def reset(self) -> None:
        """Back to before the first sample: no reps, nothing seen."""
        self.phase = Phase.IDLE
        self.count = 0
        self._rest_min = math.inf  # lowest (direction-normalised) value since the last rep
        self._left_rest_t = 0.0  # last time the signal was at/below exit while resting
        self._start_t = 0.0
        self._peak = -math.inf
        self._peak_t = 0.0
        self._partial = False
        self._stuck = False
        self._try_peak = -math.inf  # furthest value since leaving exit without entering
        self._try_peak_t = 0.0
        self.attempt: Rep | None = None  # set on the sample where a short attempt ended

    @property
    def working_since(self) -> float | None:
        return self._start_t if self.phase is Phase.WORKING else None

    def update(self, t: float, value: float) -> Rep | None:
        self.attempt = None
        if value is None or not math.isfinite(value):
            return None
        v = self._sign * value
        enter, exit_ = self._sign * self.th.enter, self._sign * self.th.exit
        if self.phase is Phase.IDLE:
            if v >= enter:
                self._begin(t, t, partial=True)
                self._peak, self._peak_t = v, t
                self._rest_min = v
            else:
                self.phase = Phase.REST
                self._rest_min, self._left_rest_t = v, t
            return None
        if self.phase is Phase.REST:
            if self._stuck:
                if v > exit_:
                    return None
                self._stuck = False
                self._rest_min = v
            if v <= exit_:
                if self._try_peak > exit_:
                    self.attempt = self._short_attempt(t, v)
                self._try_peak = -math.inf
                self._left_rest_t = t
            elif v > self._try_peak:
                self._try_peak, self._try_peak_t = v, t
            self._rest_min = min(self._rest_min, v)
            if v >= enter:
                self._try_peak = -math.inf
                self._begin(self._left_rest_t, t, partial=False)
                self._peak, self._peak_t = v, t
            return None
        # WORKING
        if v > self._peak:
            self._peak, self._peak_t = v, t
        if t - self._start_t > self.th.max_duration_s:
            # Stuck in the working phase (sat down, walked off): not a rep. Nothing counts
            # until the signal has really come back to rest.
            self.phase = Phase.REST
            self._stuck = True
            self._rest_min, self._left_rest_t = v, t
            return None
        if v <= exit_:
            rep = self._finish(t, v)
            self.phase = Phase.REST
            self._rest_min, self._left_rest_t = v, t
            return rep
        return None

    def _begin(self, start_t: float, t: float, partial: bool) -> None:
        self.phase = Phase.WORKING
        self._start_t = start_t
        self._partial = partial

    def _short_attempt(self, t: float, v_end: float) -> Rep | None:
        base = min(self._rest_min, v_end)
        rom = self._try_peak - base
        if rom < self.th.min_rom or t - self._left_rest_t < self.th.min_duration_s:
            return None
        return Rep(
            start_s=self._left_rest_t,
            end_s=t,
            peak_t=self._try_peak_t,
            peak=self._sign * self._try_peak,
            rom=rom,
            rest=self._sign * base,
        )

    def _finish(self, t: float, v_end: float) -> Rep | None:
        base = min(self._rest_min, v_end)
        rom = self._peak - base
        duration = t - self._start_t
        if rom < self.th.min_rom or duration < self.th.min_duration_s:
            return None
        self.count += 1
        return Rep(
            start_s=self._start_t,
            end_s=t,
            peak_t=self._peak_t,
            peak=self._sign * self._peak,
            rom=rom,
            partial_start=self._partial,
            rest=self._sign * base,
        )
