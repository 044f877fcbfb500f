"""A signal's resting value in this session, for rep rules counted from rest rather than 0.

Some measures have no fixed zero. Heel lift (heel above the toes, in leg lengths) rests near 0
seen from the side, but from behind the toes are hidden behind the heel and it rests at -0.03,
and a plate under the feet shifts it too: a heel raise from there never reached an absolute
`enter` of 0.05 although it swung twice `min_rom` (evaluation set, finding 9). A rule with
`from_rest = true` counts the measure minus its resting value: a low percentile (high, for a
decreasing signal) of the last minute's samples, which a set of reps spends at least a fifth
of at rest (re-read every half second; from the first sample on).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

# The share of the last WINDOW_S at or beyond the resting value, and how often it is re-read.
REST_SHARE = 0.10
WINDOW_S = 60.0
REFRESH_S = 0.5


class RestingLevel:
    """Feed (t, value); `update` gives the value relative to its resting level (NaN stays
    NaN). `increasing`: the signal grows away from rest during a rep."""

    def __init__(self, increasing: bool = True) -> None:
        self._q = REST_SHARE if increasing else 1.0 - REST_SHARE
        self._samples: deque[tuple[float, float]] = deque()
        self._level = math.nan
        self._read_t = -math.inf

    @property
    def level(self) -> float:
        """The resting value so far (NaN before the first finite sample)."""
        return self._level

    def update(self, t: float, value: float) -> float:
        if not math.isfinite(value):
            return math.nan
        samples = self._samples
        samples.append((t, value))
        while samples[0][0] < t - WINDOW_S:
            samples.popleft()
        if math.isnan(self._level):
            self._level = value
        if t - self._read_t >= REFRESH_S:
            self._read_t = t
            self._level = float(np.quantile([v for _, v in samples], self._q))
        return value - self._level
