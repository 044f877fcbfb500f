"""What a completed rep reports: its angle's peak and range, and how well it was seen.

A rep reports its `report` angle, else the counted measure; a joint angle is read as
scoring.reported gives it (only from the views that can measure it, with its joints seen).
`ReportedAngle` keeps, per counter, each frame's reported value over the last rep or so;
when a rep completes it gives the peak (that value's maximum within the rep), the range
(from the other extreme since the last rep ended) and the rep's confidence
(scoring.confidence), below whose threshold the rep reports no angle.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from scoring.confidence import NOT_SEEN, Confidence, seen_confidence
from scoring.definition import RepRule
from scoring.measures import in_degrees, is_frame_name, reported_error, reports_by_view
from scoring.modes.base import Frame
from scoring.reps import Rep
from scoring.signals import side_values

NAN = float("nan")


@dataclass(frozen=True)
class Seen:
    """One frame of a counter's reported angle: the value it reports (its sides combined),
    and per side read (`channels`) the value, its landmarks' visibility and whether the view
    can measure it."""

    t: float
    now: float
    values: tuple[float, ...]
    visibility: tuple[float, ...]
    valid: tuple[bool, ...]
    view: str


def _visibility_of(seen: Seen) -> float:
    """The visibility of the side a frame's reported value came from (of the better seen
    side when none was measured)."""
    for value, visibility in zip(seen.values, seen.visibility, strict=True):
        if value == seen.now:
            return visibility
    known = [v for v in seen.visibility if math.isfinite(v)]
    return max(known) if known else NAN


def _channels(angle: str, label: str) -> tuple[str, ...]:
    """The per-frame names a counter's reported angle reads: itself (no sides), its one
    side (a one-sided counter), or both sides (combined by their maximum)."""
    if is_frame_name(angle):
        return (angle,)
    if label:
        return (f"{angle}_{label}",)
    return (f"{angle}_left", f"{angle}_right")


class ReportedAngle:
    """The reported angle of one exercise's counters (labelled "", "left" or "right"), frame
    by frame, and what each completed rep reports of it.

    `views`: the exercise's (a joint angle is measured only from those it counts in);
    `counts_in`: whether counting works in a detected view (a measure reported as itself is
    valid only there)."""

    def __init__(
        self,
        rule: RepRule,
        labels: Iterable[str],
        views: tuple[str, ...],
        counts_in: Callable[[str], bool],
    ) -> None:
        self.rule = rule
        self.angle = rule.report or rule.measure
        self.by_view = reports_by_view(self.angle)
        self.views = views
        self.counts_in = counts_in
        self._read = {label: _channels(self.angle, label) for label in labels}
        self._seen: dict[str, deque[Seen]] = {label: deque() for label in self._read}

    def see(self, label: str, frame: Frame, value: float) -> Seen:
        """This frame's reported angle for a counter whose counted value is `value`, kept
        over the last rep or so."""
        names = self._read[label]
        reading = frame.reading
        if self.by_view and reading is not None:
            values = tuple(reading.values.get(n, NAN) for n in names)
            visibility = tuple(reading.visibility.get(n, NAN) for n in names)
            valid = tuple(reading.valid.get(n, False) for n in names)
        elif self.rule.report is None:  # the counted signal itself
            values, visibility, valid = (value,), (NAN,), (self.counts_in(frame.view),)
        else:
            side = self.rule.side if self.rule.side in ("each", "left", "right") else "max"
            now = side_values(frame.values, self.rule.report, side).get(label, NAN)
            values, visibility, valid = (now,), (NAN,), (self.counts_in(frame.view),)
        finite = [v for v in values if math.isfinite(v)]
        seen = Seen(frame.t, max(finite) if finite else NAN, values, visibility, valid, frame.view)
        trace = self._seen[label]
        trace.append(seen)
        while trace and trace[0].t < frame.t - self.rule.max_duration_s - 2.0:
            trace.popleft()
        return seen

    def during(self, label: str, rep: Rep) -> list[tuple[float, float]]:
        """(time, reported angle) of each frame of the rep, in order (NaN where not measured)."""
        return [(s.t, s.now) for s in self._seen[label] if rep.start_s <= s.t <= rep.end_s]

    def rep_range(self, label: str, rep: Rep, since: float) -> tuple[float, float, Confidence]:
        """(range, peak, confidence) of the reported angle over the rep, the previous rep
        having ended at `since`. A joint angle reported by view, or a `report` angle: the
        peak is its furthest reported value within the rep in the direction it moves (a
        `report` angle grows: a squat's knee bends as the hips drop), the range runs from the
        other extreme since the last rep ended. Any other measure: the counter's own peak and
        range."""
        trace = self._seen[label]
        window = [s for s in trace if rep.start_s <= s.t <= rep.end_s]
        if not window:
            return NAN, NAN, NOT_SEEN
        if not (self.by_view or self.rule.report is not None):
            return rep.rom, rep.peak, self._confidence(window)
        sign = 1.0 if self.rule.report is not None or self.rule.direction == "increase" else -1.0
        around = [sign * s.now for s in trace if since <= s.t <= rep.end_s and math.isfinite(s.now)]
        peaks = [sign * s.now for s in window if math.isfinite(s.now)]
        if not peaks:
            return NAN, NAN, self._confidence(window)
        peak = max(peaks)
        return peak - min(around), sign * peak, self._confidence(window)

    def _confidence(self, window: list[Seen]) -> Confidence:
        """How well the reported angle was seen over the rep: each frame's value as reported
        (its sides combined), with the visibility of the side it came from."""
        views = [s.view for s in window if any(s.valid)]
        view = max(set(views), key=views.count) if views else "unknown"
        return seen_confidence(
            np.array([s.now for s in window], dtype=np.float64),
            np.array([any(s.valid) for s in window], dtype=bool),
            np.array([_visibility_of(s) for s in window], dtype=np.float64),
            reported_error(self.angle, view, self.views),
            degrees=in_degrees(self.angle),
        )
