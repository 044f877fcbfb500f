"""The patient's prescribed range limit, watched over each rep's reported angle.

A safety rule, not a definition's fault rule: the rep whose reported angle (the number its
`peak_deg` reports) has been past the limit for a few frames in a row (`RangeLimit.lasted`)
gets a `range_limit` fault the moment it crosses, with a safety cue said at once
(scoring.cues), and is marked `over_limit` when it completes. One frame of the pose estimate
never fires it (a joint seen for a moment), unless it is alone in time in a measured rep: no
other frame within `LIMIT_SPAN_S` either side (a stalled camera or a busy server), where it is
all there is to go on and the rep, whose peak it is, is judged by it when it ends. Once fired
it re-arms only when, between reps, the angle is back well inside.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from scoring.cues import SAFETY_PRIORITY
from scoring.definition import Exercise, TargetTask
from scoring.events import FaultDetected
from scoring.measures import in_degrees
from scoring.modes.base import Shared, Step
from scoring.modes.rep_progress import RepInProgress
from scoring.words import say

RANGE_LIMIT_ID = "range_limit"
RANGE_LIMIT_MESSAGE = "Past your range limit"  # the fault's words begin so (scoring.words)
RANGE_LIMIT_CUE = say("Not so far: stay within your limit")
RANGE_LIMIT_PENALTY = 15.0
LIMIT_REARM_DEG = 5.0  # back this far inside the limit between reps before it can fire again
# Past the limit for this many frames in a row (0.1 s at 30 fps, 0.2 s at 15): the limit
# judges what lasts, never one frame of the pose estimate (a joint seen for a moment)...
LIMIT_FRAMES = 3
# ...or for 2 frames in a row at least this far apart: a slow camera or a busy server (5
# pictures a second or fewer) sees a real excursion in fewer frames, and two readings 0.2 s
# apart are not one picture's error. (At 1-2 a second a rep's 2 s past the limit can show
# in only 2 frames.)
LIMIT_SPAN_S = 0.2
# A rep's verdict against the range limit (RepCompleted.limit_check).
LIMIT_WITHIN, LIMIT_OVER, LIMIT_UNCHECKED = "within", "over", "unchecked"


def limit_applies(exercise: Exercise | TargetTask) -> bool:
    """Whether a range limit in degrees can judge this exercise's reps: their reported angle
    (`report`, else the counted measure) is in degrees and grows over the rep."""
    rule = exercise.rep
    if rule is None:
        return False
    if rule.report is not None:
        return in_degrees(rule.report)
    return in_degrees(rule.measure) and rule.direction == "increase"


class PastRun:
    """The frames in a row past the limit so far: how many, and when the first was."""

    __slots__ = ("frames", "since")

    def __init__(self) -> None:
        self.frames, self.since = 0, 0.0

    def see(self, t: float, past: bool) -> bool:
        """One more frame; whether the run has now lasted (`RangeLimit.lasted`)."""
        self.frames = self.frames + 1 if past else 0
        if self.frames == 1:
            self.since = t
        return past and RangeLimit.lasted(self.frames, t - self.since)


class RangeLimit:
    """Watches one exercise's reported angle against `limit_deg`, per counter (its label).

    `between_reps`: whether the limit also fires while no rep is under way. Not when the
    reported angle is not the counted measure (a squat counts hip height, reports knee
    flexion): between reps the counted measure says no rep is under way, and a bent-knee
    reading there is a step or the stand-up's last frames, not a rep past the limit."""

    def __init__(
        self, limit_deg: float, joints: Iterable[int], between_reps: bool, shared: Shared
    ) -> None:
        self.limit_deg = limit_deg
        self.joints = tuple(joints)
        self.between_reps = between_reps
        self.shared = shared
        self._said: dict[str, bool] = {}  # per counter: fired for this excursion
        self._runs: dict[str, PastRun] = {}  # per counter: its frames in a row past the limit
        self._fired_rep: dict[str, int] = {}  # per counter: the rep it last fired for

    def past(self, angle: float) -> bool:
        """The reported angle, as a rep reports it (0.1 degree), is past the range limit."""
        return math.isfinite(angle) and round(angle, 1) > self.limit_deg

    @staticmethod
    def lasted(frames: int, span_s: float) -> bool:
        """`frames` in a row past the limit, the first `span_s` before the last, are an
        excursion, not a moment of the pose estimate."""
        return frames >= LIMIT_FRAMES or (frames >= 2 and span_s >= LIMIT_SPAN_S - 1e-6)

    def watch(
        self,
        t: float,
        label: str,
        angle: float,
        working: bool,
        rep_no: int,
        cur: RepInProgress | None,
        step: Step,
    ) -> None:
        """Fire the range limit's fault the frame the reported angle has been past it long
        enough (`lasted`; once per excursion and rep: it re-arms when, between
        reps, the angle is back `LIMIT_REARM_DEG` inside), and mark the rep in progress."""
        quiet = not working and not self.between_reps
        lasted = self._runs.setdefault(label, PastRun()).see(t, self.past(angle))
        if lasted and not quiet:
            step.hot.update(self.joints)
            if not self._said.get(label):
                self._said[label] = True
                if self._fired_rep.get(label) != rep_no:
                    self._fired_rep[label] = rep_no
                    step.events.append(self.crossed(t, label, rep_no))
            if cur is not None and not cur.over_limit:
                self.mark(cur)
        elif not working and math.isfinite(angle) and angle <= self.limit_deg - LIMIT_REARM_DEG:
            self._said[label] = False

    def stayed_past(self, angles: Iterable[tuple[float, float]], measured: bool) -> bool:
        """A rep's reported angles, (time, angle) in order, stayed past the limit long enough
        (`lasted`), or, in a `measured` rep, were past it in frames alone in time
        (`alone_past`): caught when the rep completes where the frames' checks could not
        (between two, or with no frame after)."""
        seen = [(t, self.past(angle)) for t, angle in angles]
        run = PastRun()
        return any(run.see(t, past) for t, past in seen) or (measured and alone_past(seen))

    def completed(
        self,
        t: float,
        label: str,
        rep_no: int,
        cur: RepInProgress,
        angles: Iterable[tuple[float, float]],
        measured: bool,
    ) -> tuple[bool, list[FaultDetected]]:
        """A completed rep's verdict (`measured`: whether its reported angle was), whether it
        went past the limit, and the fault to tell when that was found only now (past it
        between two frames' checks, or in a frame alone in time)."""
        if cur.over_limit:
            return True, []
        if not self.stayed_past(angles, measured):
            return False, []
        self.mark(cur)
        if self._fired_rep.get(label) == rep_no:
            return True, []
        self._fired_rep[label] = rep_no
        return True, [self.crossed(t, label, rep_no)]

    @staticmethod
    def mark(cur: RepInProgress) -> None:
        cur.over_limit = True
        cur.add(RANGE_LIMIT_ID, RANGE_LIMIT_PENALTY)

    def crossed(self, t: float, label: str, rep_no: int) -> FaultDetected:
        """The range limit's fault, with the safety cue (said at once, see scoring.cues)."""
        return self.shared.alert(
            t,
            RANGE_LIMIT_ID,
            say("Past your range limit ({limit}°)", limit=float(self.limit_deg or 0.0)),
            RANGE_LIMIT_CUE,
            SAFETY_PRIORITY,
            rep_no,
            self.joints,
            label,
        )


def alone_past(seen: list[tuple[float, bool]]) -> bool:
    """Whether some run of frames past the limit, in (time, past) of a rep's frames in order,
    has no other frame within `LIMIT_SPAN_S` before or after it: no picture close to it in
    time, so nothing says it was the pose estimate's moment (a glitch is told by its
    neighbours; a stalled camera or a busy server leaves none)."""
    first = -1  # the run's first frame (-1: none under way)
    for i, (_, past) in enumerate([*seen, (math.inf, False)]):  # the end closes the last run
        if past and first < 0:
            first = i
        elif not past and first >= 0:
            before = seen[first][0] - seen[first - 1][0] if first > 0 else math.inf
            after = seen[i][0] - seen[i - 1][0] if i < len(seen) else math.inf
            if min(before, after) >= LIMIT_SPAN_S - 1e-6:
                return True
            first = -1
    return False


def limit_check(limit: RangeLimit | None, over_limit: bool, measured: bool) -> str:
    """A rep's verdict against the range limit ("" when none is set)."""
    if limit is None:
        return ""
    if over_limit:
        return LIMIT_OVER
    return LIMIT_WITHIN if measured else LIMIT_UNCHECKED
