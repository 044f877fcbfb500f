"""Rep mode: count reps on the definition's signal, judge each one, and say why not.

A rep is counted by a hysteresis counter (scoring.reps), one per side for "each". Its faults
come from the frame rules while it lasts, the per-rep rules when it ends (range, speed) and
the patient's own reference; its score, reported range, tempo, smoothness and per-side range
come from the samples kept over the rep's window. Its reported angle is the one the store
keeps per frame (scoring.reported): the peak is that value's maximum within the rep, and the
rep says how well it was seen (scoring.confidence); below the threshold it reports no angle.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from scoring.confidence import NOT_SEEN, Confidence, seen_confidence
from scoring.cues import SAFETY_PRIORITY
from scoring.definition import Exercise, TargetTask
from scoring.events import Event, FaultDetected, RepCompleted
from scoring.faults import measure_joints, rep_peak_short
from scoring.measures import (
    in_degrees,
    is_frame_name,
    is_sided,
    reported_error,
    reports_by_view,
)
from scoring.modes.base import Frame, Mode, Shared, Step
from scoring.reference import PersonalReference, features, frame_features, rep_profile
from scoring.reps import Phase, Rep, RepCounter, RepThresholds
from scoring.score import rep_score
from scoring.signals import side_values
from scoring.smoothness import signal_sparc
from scoring.view import view_satisfies
from scoring.words import Say, say

NAN = float("nan")

# The prescribed range limit (a safety rule, not a definition's fault rule).
RANGE_LIMIT_ID = "range_limit"
RANGE_LIMIT_CUE = say("Not so far: stay within your limit")
RANGE_LIMIT_PENALTY = 15.0
LIMIT_REARM_DEG = 5.0  # back this far inside the limit between reps before it can fire again
# Past the limit for this many frames in a row (0.1 s at 30 fps, 0.2 s at 15): the limit
# judges what lasts, never one frame of the pose estimate (a joint seen for a moment).
LIMIT_FRAMES = 3
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


@dataclass
class _RepInProgress:
    """A rep being made: its faults so far, and whether the range limit fired in it."""

    faults: list[str] = field(default_factory=list)
    penalties: dict[str, float] = field(default_factory=dict)
    over_limit: bool = False  # the range limit's fault has fired for this rep


@dataclass(frozen=True)
class _Seen:
    """One frame of a counter's reported angle: the value it reports (its sides combined),
    and per side read (`channels`) the value, its landmarks' visibility and whether the view
    can measure it."""

    t: float
    now: float
    values: tuple[float, ...]
    visibility: tuple[float, ...]
    valid: tuple[bool, ...]
    view: str


def _visibility_of(seen: _Seen) -> float:
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


class RepMode(Mode):
    """Counts and scores reps of `exercise.rep`; `reference` adds the patient's own limits.

    `limit_deg`, the patient's prescribed range limit: a rep whose reported angle (the number
    `peak_deg` reports) goes past it gets a `range_limit` fault the moment it crosses, with a
    safety cue, and is marked `over_limit` when it completes. Ignored (None) when the exercise's
    reported angle is not in degrees (see `limit_applies`)."""

    def __init__(
        self,
        exercise: Exercise,
        shared: Shared,
        reference: PersonalReference | None = None,
        limit_deg: float | None = None,
    ) -> None:
        if exercise.rep is None:
            raise ValueError(f"{exercise.id!r} has no [rep] table")
        self.rule = exercise.rep
        self._sided = is_sided(self.rule.measure)
        # What a rep reports: its `report` angle, else the counted measure; a joint angle is
        # read as scoring.reported gives it (only from views that can measure it).
        self._angle = self.rule.report or self.rule.measure
        self._by_view = reports_by_view(self._angle)
        self._views = tuple(exercise.views)
        self._counts_in = exercise.counts_in
        self.reference = reference
        self.limit_deg = limit_deg if limit_applies(exercise) else None
        self._limit_joints = measure_joints(self.rule.report or self.rule.measure, "")
        self._limit_said: dict[str, bool] = {}  # per counter: fired for this excursion
        self._past_frames: dict[str, int] = {}  # per counter: frames in a row past the limit
        self._limit_rep: dict[str, int] = {}  # per counter: the rep it last fired for
        self.shared = shared
        self._features = features(exercise)
        # Per-frame fault features over the last rep or so: a completed rep's profile.
        self._feature_trace: deque[tuple[float, dict[str, float]]] = deque()
        r = self.rule
        th = RepThresholds(
            enter=r.enter,
            exit=r.exit,
            min_rom=r.min_rom,
            min_duration_s=r.min_duration_s,
            max_duration_s=r.max_duration_s,
            increasing=r.direction == "increase",
        )
        # One counter per side for "each"; a one-sided exercise labels its reps with its
        # side; "both" and "max" combine the sides into one unlabelled signal.
        labels = {"each": ("left", "right"), "left": ("left",), "right": ("right",)}.get(
            r.side, ("",)
        )
        self._counters: dict[str, RepCounter] = {label: RepCounter(th) for label in labels}
        self._read = {label: _channels(self._angle, label) for label in labels}
        self._seen: dict[str, deque[_Seen]] = {label: deque() for label in labels}
        self._current: dict[str, _RepInProgress] = {}
        # Recent samples per counter (t, counted value, left, right): a completed rep's
        # smoothness and per-side range are read from the window it spans.
        self._trace: dict[str, deque[tuple[float, float, float, float]]] = {
            label: deque() for label in self._counters
        }
        self._last_end: dict[str, float] = {}
        self._rep_index = 0

    def visible(self, values: Mapping[str, float]) -> bool:
        """The counted signal is seen on at least one side."""
        sig = side_values(values, self.rule.measure, self.rule.side)
        return any(math.isfinite(v) for v in sig.values())

    def update(self, frame: Frame) -> Step:
        rule, state, step = self.rule, self.shared.state, Step()
        t, values, view = frame.t, frame.values, frame.view
        signals = side_values(values, rule.measure, rule.side)
        each = side_values(values, rule.measure, "each") if self._sided else {}
        self._feature_trace.append((t, frame_features(self._features, values, view)))
        while self._feature_trace and self._feature_trace[0][0] < t - rule.max_duration_s - 2.0:
            self._feature_trace.popleft()
        phase = Phase.REST
        shown: list[float] = []
        for label, counter in self._counters.items():
            value = signals.get(label, NAN)
            if math.isfinite(value):
                shown.append(value)
            if label:  # a one-sided counter measures only its own side
                sides = (value, NAN) if label == "left" else (NAN, value)
            else:
                sides = (each.get("left", NAN), each.get("right", NAN))
            self._remember(label, t, value, *sides)
            seen = self._see(label, frame, value)
            self._update_counter(label, counter, t, value, seen.now, view, step)
            if counter.phase is Phase.WORKING:
                phase = Phase.WORKING
        state.phase = phase.value
        state.rep_value = (
            (max(shown) if rule.direction == "increase" else min(shown)) if shown else None
        )
        self._frame_faults(t, values, phase, view, step)
        return step

    def _update_counter(
        self,
        label: str,
        counter: RepCounter,
        t: float,
        value: float,
        now: float,
        view: str,
        step: Step,
    ) -> None:
        """One counter's frame: the counted `value`, the reported angle `now`; the rep in
        progress, the range limit, and a completed rep."""
        rep = counter.update(t, value)
        if counter.attempt is not None:
            step.events.extend(self._short_attempt(label, counter.attempt, view))
        if (counter.phase is Phase.WORKING or rep is not None) and label not in self._current:
            self._current[label] = _RepInProgress()
        if self.limit_deg is not None:
            self._watch_limit(t, label, now, counter.phase is Phase.WORKING, step)
        if rep is not None:
            step.events.extend(self._complete_rep(label, rep, view))
        elif counter.phase is not Phase.WORKING:
            self._current.pop(label, None)

    def _frame_faults(
        self, t: float, values: Mapping[str, float], phase: Phase, view: str, step: Step
    ) -> None:
        """The frame's fault rules: each hit joins the faults of the reps in progress."""
        rep_no = self._rep_index + 1 if phase is Phase.WORKING else None
        hits, hot = self.shared.monitor.update(t, values, phase.value, view, rep_no)
        step.hot |= hot
        for hit in hits:
            for label in self._current or ("",):
                cur = self._current.get(label)
                if cur is not None and hit.rule.id not in cur.faults:
                    cur.faults.append(hit.rule.id)
                    cur.penalties[hit.rule.id] = hit.rule.penalty
            step.events.append(self.shared.fault(t, hit.rule, rep_no, hit.joints, hit.side))

    # -- a rep ends ---------------------------------------------------------------------------
    def _complete_rep(self, label: str, rep: Rep, view: str) -> list[Event]:
        rule, shared = self.rule, self.shared
        cur = self._current.pop(label, _RepInProgress())
        self._rep_index += 1
        events: list[Event] = []
        target_rom = abs(rule.target - rule.exit)
        duration = rep.end_s - rep.start_s
        for f in shared.monitor.rules:
            short = f.kind == "rep_peak_short" and rep_peak_short(rep, rule.target, f.below or 0)
            hit = short or (f.kind == "rep_too_fast" and duration < (f.below or 0))
            if hit and view_satisfies(view, f.view) and f.id not in cur.faults:
                cur.faults.append(f.id)
                cur.penalties[f.id] = f.penalty
                events.append(shared.fault(rep.end_s, f, self._rep_index, (), label))
        profile = self._rep_profile(rep)
        events += self._reference_faults(cur, profile, rep.end_s, label)
        rom_deg, peak_deg, seen = self._reported_range(label, rep)
        if not seen.measured:
            rom_deg = peak_deg = NAN
        over_limit = cur.over_limit or self._stayed_past_limit(label, rep)
        if over_limit and not cur.over_limit:  # past the limit between two frames' checks
            self._mark_over_limit(cur)
            if self._limit_rep.get(label) != self._rep_index:
                self._limit_rep[label] = self._rep_index
                events.append(self._limit_crossed(rep.end_s, label, self._rep_index))
        score = rep_score(rep.rom, target_rom, cur.penalties.values())
        sparc, rom_left, rom_right = self._rep_control(label, rep.start_s, rep.end_s)
        done = RepCompleted(
            t=rep.end_s,
            index=self._rep_index,
            start_s=round(rep.start_s, 3),
            end_s=round(rep.end_s, 3),
            rom_deg=round(rom_deg, 1),
            peak_deg=round(peak_deg, 1),
            score=score,
            faults=tuple(cur.faults),
            side=label,
            duration_s=round(duration, 3),
            up_s=round(rep.peak_t - rep.start_s, 3),
            down_s=round(rep.end_s - rep.peak_t, 3),
            sparc=round(sparc, 3),
            rom_left=rom_left,
            rom_right=rom_right,
            profile={k: round(v, 3) for k, v in profile.items()},
            over_limit=over_limit,
            measured=seen.measured,
            confidence=seen.value,
            confidence_reason=seen.reason,
            limit_check=self._limit_check(over_limit, seen),
        )
        shared.reps.append(done)
        shared.state.rep_count = self._rep_index
        return [done, *events]

    def _reference_faults(
        self, cur: _RepInProgress, profile: dict[str, float], t: float, label: str
    ) -> list[Event]:
        """Where the rep differs from the patient's own reference reps, the rule's fault."""
        if self.reference is None:
            return []
        events: list[Event] = []
        rules = {f.id: f for f in self.shared.monitor.rules}
        for dev in self.reference.deviations(profile):
            rule_of = rules.get(dev.id)
            if rule_of is None or dev.id in cur.faults:
                continue
            cur.faults.append(rule_of.id)
            cur.penalties[rule_of.id] = rule_of.penalty
            message = say("{fault} (compared with your reference reps)", fault=Say(rule_of.message))
            events.append(self.shared.fault(t, rule_of, self._rep_index, (), label, message))
        return events

    def _stayed_past_limit(self, label: str, rep: Rep) -> bool:
        """The reported angle stayed past the limit for `LIMIT_FRAMES` frames in a row within
        the rep (caught here when the frames' checks could not: between two of them)."""
        run = 0
        for s in self._seen[label]:
            if rep.start_s <= s.t <= rep.end_s:
                run = run + 1 if self._past_limit(s.now) else 0
                if run >= LIMIT_FRAMES:
                    return True
        return False

    def _past_limit(self, angle: float) -> bool:
        """The reported angle, as a rep reports it (0.1 degree), is past the range limit."""
        return (
            self.limit_deg is not None and math.isfinite(angle) and round(angle, 1) > self.limit_deg
        )

    def _watch_limit(self, t: float, label: str, angle: float, working: bool, step: Step) -> None:
        """Fire the range limit's fault the frame the reported angle has been past it for
        `LIMIT_FRAMES` frames in a row (once per excursion and rep: it re-arms when, between
        reps, the angle is back `LIMIT_REARM_DEG` inside), and mark the rep in progress. When
        the reported angle is not the counted measure (a squat counts hip height, reports knee
        flexion), only within a rep: between
        reps the counted measure says no rep is under way, and a bent-knee reading there is a
        step or the stand-up's last frames, not a rep past the limit."""
        assert self.limit_deg is not None
        between_reps = not working and self.rule.report not in (None, self.rule.measure)
        past = self._past_limit(angle)
        self._past_frames[label] = self._past_frames.get(label, 0) + 1 if past else 0
        if past and self._past_frames[label] >= LIMIT_FRAMES and not between_reps:
            step.hot.update(self._limit_joints)
            rep_no = self._rep_index + 1
            if not self._limit_said.get(label):
                self._limit_said[label] = True
                if self._limit_rep.get(label) != rep_no:
                    self._limit_rep[label] = rep_no
                    step.events.append(self._limit_crossed(t, label, rep_no))
            cur = self._current.get(label)
            if cur is not None and not cur.over_limit:
                self._mark_over_limit(cur)
        elif not working and math.isfinite(angle) and angle <= self.limit_deg - LIMIT_REARM_DEG:
            self._limit_said[label] = False

    @staticmethod
    def _mark_over_limit(cur: _RepInProgress) -> None:
        cur.over_limit = True
        if RANGE_LIMIT_ID not in cur.faults:
            cur.faults.append(RANGE_LIMIT_ID)
            cur.penalties[RANGE_LIMIT_ID] = RANGE_LIMIT_PENALTY

    def _limit_crossed(self, t: float, label: str, rep_no: int) -> FaultDetected:
        """The range limit's fault, with the safety cue (said at once, see scoring.cues)."""
        return self.shared.alert(
            t,
            RANGE_LIMIT_ID,
            say("Past your range limit ({limit}°)", limit=float(self.limit_deg or 0.0)),
            RANGE_LIMIT_CUE,
            SAFETY_PRIORITY,
            rep_no,
            self._limit_joints,
            label,
        )

    def _rep_profile(self, rep: Rep) -> dict[str, float]:
        trace = list(self._feature_trace)
        t = np.array([x[0] for x in trace], dtype=np.float64)
        series = {
            f.id: np.array([x[1].get(f.id, NAN) for x in trace], dtype=np.float64)
            for f in self._features
        }
        return rep_profile(self._features, t, series, rep.start_s, rep.end_s, rep.rom)

    def _remember(self, label: str, t: float, value: float, left: float, right: float) -> None:
        trace = self._trace[label]
        trace.append((t, value, left, right))
        # A rep lasts at most max_duration_s; keep that and a little rest before it.
        while trace and trace[0][0] < t - self.rule.max_duration_s - 2.0:
            trace.popleft()

    def _rep_control(self, label: str, start_s: float, end_s: float) -> tuple[float, ...]:
        """SPARC of the counted signal and each side's range, over the rep's window."""
        trace = np.array(self._trace.get(label, ()), dtype=np.float64).reshape(-1, 4)
        rep = trace[(trace[:, 0] >= start_s) & (trace[:, 0] <= end_s)]
        if len(rep) == 0:
            return NAN, NAN, NAN
        sparc = signal_sparc(rep[:, 0], rep[:, 1])
        # A rep starts where the signal leaves the exit threshold; each side's range starts
        # from its resting value, so look back up to 1 s (not into the previous rep).
        since = max(start_s - 1.0, self._last_end.get(label, -math.inf))
        around = trace[(trace[:, 0] >= since) & (trace[:, 0] <= end_s)]
        self._last_end[label] = end_s
        ranges = []
        for col in (2, 3):
            seen = around[np.isfinite(around[:, col]), col]
            ranges.append(float(seen.max() - seen.min()) if len(seen) >= 2 else NAN)
        return sparc, ranges[0], ranges[1]

    def _short_attempt(self, label: str, attempt: Rep, view: str) -> list[Event]:
        """A movement that turned back before the counting threshold is no rep, but the range
        rules (`rep_peak_short`) say why nothing counted."""
        return [
            self.shared.fault(attempt.end_s, f, None, (), label)
            for f in self.shared.monitor.rules
            if f.kind == "rep_peak_short"
            and view_satisfies(view, f.view)
            and rep_peak_short(attempt, self.rule.target, f.below or 0)
        ]

    # -- the reported angle ------------------------------------------------------------------
    def _see(self, label: str, frame: Frame, value: float) -> _Seen:
        """This frame's reported angle for a counter, kept over the last rep or so."""
        names = self._read[label]
        reading = frame.reading
        if self._by_view and reading is not None:
            values = tuple(reading.values.get(n, NAN) for n in names)
            visibility = tuple(reading.visibility.get(n, NAN) for n in names)
            valid = tuple(reading.valid.get(n, False) for n in names)
        elif self.rule.report is None:  # the counted signal itself
            values, visibility, valid = (value,), (NAN,), (self._counts_in(frame.view),)
        else:
            side = self.rule.side if self.rule.side in ("each", "left", "right") else "max"
            now = side_values(frame.values, self.rule.report, side).get(label, NAN)
            values, visibility, valid = (now,), (NAN,), (self._counts_in(frame.view),)
        finite = [v for v in values if math.isfinite(v)]
        seen = _Seen(frame.t, max(finite) if finite else NAN, values, visibility, valid, frame.view)
        trace = self._seen[label]
        trace.append(seen)
        while trace and trace[0].t < frame.t - self.rule.max_duration_s - 2.0:
            trace.popleft()
        return seen

    def _reported_range(self, label: str, rep: Rep) -> tuple[float, float, Confidence]:
        """(range, peak, confidence) of the reported angle over the rep. A joint angle
        reported by view, or a `report` angle: the peak is its furthest reported value within
        the rep in the direction it moves (a `report` angle grows: a squat's knee bends as the
        hips drop), the range runs from the other extreme since the last rep ended. Any
        other measure: the counter's own peak and range."""
        trace = self._seen[label]
        window = [s for s in trace if rep.start_s <= s.t <= rep.end_s]
        if not window:
            return NAN, NAN, NOT_SEEN
        if not (self._by_view or self.rule.report is not None):
            return rep.rom, rep.peak, self._confidence(window)
        sign = 1.0 if self.rule.report is not None or self.rule.direction == "increase" else -1.0
        since = self._last_end.get(label, -math.inf)
        around = [sign * s.now for s in trace if since <= s.t <= rep.end_s and math.isfinite(s.now)]
        peaks = [sign * s.now for s in window if math.isfinite(s.now)]
        if not peaks:
            return NAN, NAN, self._confidence(window)
        peak = max(peaks)
        return peak - min(around), sign * peak, self._confidence(window)

    def _confidence(self, window: list[_Seen]) -> Confidence:
        """How well the reported angle was seen over the rep: each frame's value as reported
        (its sides combined), with the visibility of the side it came from."""
        views = [s.view for s in window if any(s.valid)]
        view = max(set(views), key=views.count) if views else "unknown"
        return seen_confidence(
            np.array([s.now for s in window], dtype=np.float64),
            np.array([any(s.valid) for s in window], dtype=bool),
            np.array([_visibility_of(s) for s in window], dtype=np.float64),
            reported_error(self._angle, view, self._views),
            degrees=in_degrees(self._angle),
        )

    def _limit_check(self, over_limit: bool, seen: Confidence) -> str:
        """The rep's verdict against the range limit ("" when none is set)."""
        if self.limit_deg is None:
            return ""
        if over_limit:
            return LIMIT_OVER
        return LIMIT_WITHIN if seen.measured else LIMIT_UNCHECKED
