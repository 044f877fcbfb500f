"""Timed Up and Go live: one pose at a time, seated -> up -> seated again, then the recorded
test's timing (scoring.protocols.tug) on the frames of the attempt.

The live part only decides *when* the attempt begins and ends; it times nothing itself. It
reads the thighs (`thigh_drop`, as the recorded test does: about 1 standing, 0.1-0.3 seated,
from the side or the front), as the median of the last `MEDIAN_S`:

- seated (below `SEATED_BELOW`) and seen for `READY_S`: ready (`TugReady`: the page says "Go");
- then up (above `UP_ABOVE`): the rise (`TugStarted`: the page's clock runs);
- up for at least the recorded test's `MIN_STAND_S`, then seated again for `SEATED_AGAIN_S`:
  the attempt is over. `timed_up_and_go` runs on every frame kept (the raw landmarks, as
  `coach protocol tug` reads them) and its total is the result (`TugDone`), so the live and
  the recorded test give the same total for the same frames.

Before the rise only the last `KEEP_S` are kept (the rise onset looks back `REST_WINDOW`); the
patient may leave the picture while walking (the far turn often is out of view). Not seated
again within `MAX_S` of the rise: the attempt is given up (`TugDone`, no total).

Pure: landmarks and timestamps in, typed events (numbers, no words) and the result out.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Literal

import numpy as np

from pose.types import Array, FloatArray
from scoring.events import Event, TugDone, TugReady, TugStarted
from scoring.measures import compute_measures, frame_measures, per_frame
from scoring.protocols.norms import Norms, ProtocolResult
from scoring.protocols.tug import MIN_STAND_S, REST_WINDOW, TUG_MEASURES, timed_up_and_go

SEATED_BELOW = 0.5  # thigh drop (shank lengths): seated (0.1-0.35 on the labelled clips)
UP_ABOVE = 0.8  # thigh drop: up (standing and walking read 0.75-1.4)
MEDIAN_S = 0.3  # the thighs' level: the median over this long (a frame's jitter is not a sit)
READY_S = 1.0  # seated and seen this long before "Go"
SEATED_AGAIN_S = 0.7  # seated this long after the walk: the attempt is over
KEEP_S = 2 * REST_WINDOW[0] + 6.0  # seconds kept before the rise (the onset looks back 2 s)
MAX_S = 120.0  # not seated again this long after the rise: given up

Phase = Literal["waiting", "ready", "up", "done"]
_NAMES = [n for m in TUG_MEASURES for n in per_frame(m)]
_THIGHS = per_frame("thigh_drop")


class TugTracker:
    """Runs one timed up-and-go on a stream of poses (see the module)."""

    def __init__(self, *, norms: Norms) -> None:
        self.norms = norms
        self.fall_risk_s = norms.constant("fall_risk_s")
        self.phase: Phase = "waiting"
        self._t: list[float] = []
        self._rows: list[Array] = []
        self._aspect = 0.0
        self._levels: deque[tuple[float, float]] = deque()  # (t, thigh drop) over MEDIAN_S
        self._since: float | None = None  # when the present state (seated, up) began
        self._up_at: float | None = None  # the rise (TugStarted)
        self._result: ProtocolResult | None = None

    @property
    def done(self) -> bool:
        return self.phase == "done"

    @property
    def started_at(self) -> float | None:
        """When the rise was seen (the page's clock), None before."""
        return self._up_at

    def update(self, t: float, landmarks: Array | None, aspect: float) -> list[Event]:
        """One raw pose (33, 4) at stream time `t` (None: no person): the events it decides."""
        if self.done or not (aspect > 0 and math.isfinite(aspect)):
            return []
        self._aspect = aspect
        row = np.full((33, 4), np.nan) if landmarks is None else np.asarray(landmarks, float)
        self._t.append(t)
        self._rows.append(row)
        level = self._level(t, row, aspect)
        if self.phase == "waiting":
            self._trim(t)
            return self._wait(t, level)
        if self.phase == "ready":
            self._trim(t)
            if level is not None and level > UP_ABOVE:
                self.phase, self._up_at, self._since = "up", t, None
                return [TugStarted(t)]
            return []
        return self._walk(t, level)

    def finish(self, t: float) -> list[Event]:
        """The stream ends before the patient sat down again: no total."""
        if self.phase != "up":
            return []
        return self._end(t, "ended")

    # ---- per frame -----------------------------------------------------------------------
    def _level(self, t: float, row: Array, aspect: float) -> float | None:
        """The thighs' level (median over MEDIAN_S), None while they are not seen."""
        if not np.isfinite(row[:, :2]).all():
            value = math.nan
        else:
            value = frame_measures(row, aspect, _THIGHS)[_THIGHS[0]]
        self._levels.append((t, value))
        while self._levels and self._levels[0][0] < t - MEDIAN_S:
            self._levels.popleft()
        seen = [v for _, v in self._levels if math.isfinite(v)]
        if not math.isfinite(value) or len(seen) * 2 < len(self._levels):
            return None
        return float(np.median(seen))

    def _wait(self, t: float, level: float | None) -> list[Event]:
        if level is None or level >= SEATED_BELOW:
            self._since = None
            return []
        self._since = t if self._since is None else self._since
        if t - self._since >= READY_S:
            self.phase = "ready"
            return [TugReady(t)]
        return []

    def _walk(self, t: float, level: float | None) -> list[Event]:
        assert self._up_at is not None
        if t - self._up_at >= MAX_S:
            return self._end(t, "too_long")
        seated = level is not None and level < SEATED_BELOW
        if not seated or t - self._up_at < MIN_STAND_S:
            self._since = None
            return []
        self._since = t if self._since is None else self._since
        if t - self._since >= SEATED_AGAIN_S:
            return self._end(t, "seated")
        return []

    def _trim(self, t: float) -> None:
        """Before the rise, only the last KEEP_S are kept."""
        drop = 0
        while drop < len(self._t) and self._t[drop] < t - KEEP_S:
            drop += 1
        if drop:
            del self._t[:drop], self._rows[:drop]

    # ---- the result --------------------------------------------------------------------------
    def _end(self, t: float, reason: str) -> list[Event]:
        self.phase = "done"
        result = self.result()
        total = result.value if reason == "seated" else None
        if total is None or not math.isfinite(total):
            total = None
            reason = reason if reason != "seated" else "not_found"
        risk = total is not None and total >= self.fall_risk_s
        return [TugDone(t, total, self.fall_risk_s, risk, reason)]

    def frames(self) -> tuple[FloatArray, FloatArray, float]:
        """(t, raw landmarks (T, 33, 4), aspect) of the frames kept: the attempt's track."""
        return np.asarray(self._t, float), np.asarray(self._rows, float), self._aspect

    def result(self) -> ProtocolResult:
        """The recorded test's result (scoring.protocols.tug) on the frames kept, marked live."""
        if self._result is None:
            t, rows, aspect = self.frames()
            values = compute_measures(rows, aspect, _NAMES)
            res = timed_up_and_go(t, values, norms=self.norms, width=aspect)
            res.measured["recording"] = "live"
            self._result = res
        return self._result
