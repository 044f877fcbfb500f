"""Rep mode: count reps on the definition's signal, judge each one, and say why not.

A rep is counted by a hysteresis counter (scoring.reps), one per side for "each". Its faults
come from the frame rules while it lasts (scoring.modes.rep_progress), the per-rep rules when
it ends (range, speed), the patient's own reference and the prescribed range limit
(scoring.modes.range_limit); its score, tempo, smoothness and per-side range come from the
samples kept over the rep's window. Its reported angle is the one the store keeps per frame
(scoring.reported): the peak is that value's maximum within the rep, and the rep says how
well it was seen (scoring.modes.rep_report); below the threshold it reports no angle.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping

import numpy as np

from scoring.definition import Exercise
from scoring.events import Event, RepCompleted
from scoring.faults import measure_joints, rep_peak_short
from scoring.measures import is_sided
from scoring.modes.base import Frame, Mode, Shared, Step
from scoring.modes.range_limit import (
    LIMIT_FRAMES,
    LIMIT_OVER,
    LIMIT_REARM_DEG,
    LIMIT_UNCHECKED,
    LIMIT_WITHIN,
    RANGE_LIMIT_CUE,
    RANGE_LIMIT_ID,
    RANGE_LIMIT_MESSAGE,
    RANGE_LIMIT_PENALTY,
    RangeLimit,
    limit_applies,
    limit_check,
)
from scoring.modes.rep_progress import RepInProgress
from scoring.modes.rep_report import ReportedAngle
from scoring.reference import PersonalReference, features, frame_features, rep_profile
from scoring.reps import Phase, Rep, RepCounter, RepThresholds
from scoring.resting import RestingLevel
from scoring.score import rep_score
from scoring.signals import side_values
from scoring.smoothness import signal_sparc
from scoring.view import view_satisfies
from scoring.words import Say, say

# The range limit's names, where callers have always found them.
__all__ = [
    "LIMIT_FRAMES",
    "LIMIT_OVER",
    "LIMIT_REARM_DEG",
    "LIMIT_UNCHECKED",
    "LIMIT_WITHIN",
    "RANGE_LIMIT_CUE",
    "RANGE_LIMIT_ID",
    "RANGE_LIMIT_MESSAGE",
    "RANGE_LIMIT_PENALTY",
    "RepMode",
    "limit_applies",
]

NAN = float("nan")


class RepMode(Mode):
    """Counts and scores reps of `exercise.rep`; `reference` adds the patient's own limits.

    `limit_deg`, the patient's prescribed range limit: a rep whose reported angle (the number
    `peak_deg` reports) goes past it gets a `range_limit` fault the moment it crosses, with a
    safety cue, and is marked `over_limit` when it completes (scoring.modes.range_limit).
    Ignored (None) when the exercise's reported angle is not in degrees (see `limit_applies`)."""

    def __init__(
        self,
        exercise: Exercise,
        shared: Shared,
        reference: PersonalReference | None = None,
        limit_deg: float | None = None,
    ) -> None:
        if exercise.rep is None:
            raise ValueError(f"{exercise.id!r} has no [rep] table")
        self.rule = r = exercise.rep
        self._sided = is_sided(r.measure)
        self.reference = reference
        self.shared = shared
        self.limit_deg = limit_deg if limit_applies(exercise) else None
        self._limit = (
            RangeLimit(
                self.limit_deg,
                measure_joints(r.report or r.measure, ""),
                between_reps=r.report in (None, r.measure),
                shared=shared,
            )
            if self.limit_deg is not None
            else None
        )
        self._features = features(exercise)
        # Per-frame fault features over the last rep or so: a completed rep's profile.
        self._feature_trace: deque[tuple[float, dict[str, float]]] = deque()
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
        # A rule counted from rest counts each counter's signal less its resting value.
        self._rest = {label: RestingLevel(th.increasing) for label in labels if r.from_rest}
        self._reported = ReportedAngle(r, labels, tuple(exercise.views), exercise.counts_in)
        self._current: dict[str, RepInProgress] = {}
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
            if self._rest:
                value = self._rest[label].update(t, value)
            if math.isfinite(value):
                shown.append(value)
            if label:  # a one-sided counter measures only its own side
                sides = (value, NAN) if label == "left" else (NAN, value)
            else:
                sides = (each.get("left", NAN), each.get("right", NAN))
            self._remember(label, t, value, *sides)
            seen = self._reported.see(label, frame, value)
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
            self._current[label] = RepInProgress()
        if self._limit is not None:
            working = counter.phase is Phase.WORKING
            cur = self._current.get(label)
            self._limit.watch(t, label, now, working, self._rep_index + 1, cur, step)
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
                if cur is not None:
                    cur.add(hit.rule.id, hit.rule.penalty)
            step.events.append(self.shared.fault(t, hit.rule, rep_no, hit.joints, hit.side))

    # -- a rep ends ---------------------------------------------------------------------------
    def _complete_rep(self, label: str, rep: Rep, view: str) -> list[Event]:
        rule, shared = self.rule, self.shared
        cur = self._current.pop(label, RepInProgress())
        self._rep_index += 1
        events: list[Event] = []
        duration = rep.end_s - rep.start_s
        for f in shared.monitor.rules:
            short = f.kind == "rep_peak_short" and rep_peak_short(rep, rule.target, f.below or 0)
            hit = short or (f.kind == "rep_too_fast" and duration < (f.below or 0))
            if hit and view_satisfies(view, f.view) and cur.add(f.id, f.penalty):
                events.append(shared.fault(rep.end_s, f, self._rep_index, (), label))
        profile = self._rep_profile(rep)
        events += self._reference_faults(cur, profile, rep.end_s, label)
        since = self._last_end.get(label, -math.inf)
        rom_deg, peak_deg, seen = self._reported.rep_range(label, rep, since)
        if not seen.measured:
            rom_deg = peak_deg = NAN
        over_limit = False
        if self._limit is not None:
            angles = self._reported.during(label, rep)
            over_limit, told = self._limit.completed(
                rep.end_s, label, self._rep_index, cur, angles, seen.measured
            )
            events += told
        score = rep_score(rep.rom, abs(rule.target - rule.exit), cur.penalties.values())
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
            limit_check=limit_check(self._limit, over_limit, seen.measured),
        )
        shared.reps.append(done)
        shared.state.rep_count = self._rep_index
        return [done, *events]

    def _reference_faults(
        self, cur: RepInProgress, profile: dict[str, float], t: float, label: str
    ) -> list[Event]:
        """Where the rep differs from the patient's own reference reps, the rule's fault."""
        if self.reference is None:
            return []
        events: list[Event] = []
        rules = {f.id: f for f in self.shared.monitor.rules}
        for dev in self.reference.deviations(profile):
            rule_of = rules.get(dev.id)
            if rule_of is None or not cur.add(rule_of.id, rule_of.penalty):
                continue
            message = say("{fault} (compared with your reference reps)", fault=Say(rule_of.message))
            events.append(self.shared.fault(t, rule_of, self._rep_index, (), label, message))
        return events

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
