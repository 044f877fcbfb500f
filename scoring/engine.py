"""The exercise engine: one definition, landmarks in, typed events out. No I/O, no globals.

Per frame: detect the view, compute the measures the definition needs, run the rep counter
(or hold tracker, or periodicity counter), the fault rules and the cue selector, and report
what was decided as events. Missing landmarks pause counting and say what is not seen.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from pose.landmarks import Landmark as L
from scoring.cues import CueSelector
from scoring.definition import Exercise
from scoring.events import (
    Cue,
    Event,
    FaultDetected,
    HoldEnded,
    HoldProgress,
    PoseFound,
    PoseLost,
    RepCompleted,
    ViewWarning,
)
from scoring.faults import FaultMonitor, rep_peak_short
from scoring.holds import HoldSettings, HoldTracker
from scoring.kinematics import SIDED_MEASURES, compute_measures
from scoring.periodic import GenericRepCounter
from scoring.reference import PersonalReference, features, frame_features, rep_profile
from scoring.reps import Phase, Rep, RepCounter, RepThresholds
from scoring.score import rep_score
from scoring.setup import SetupResult, check_setup
from scoring.signals import side_values
from scoring.smoothness import signal_sparc
from scoring.symmetry import Symmetry, session_symmetry
from scoring.view import ViewDetector, view_satisfies

NAN = float("nan")


@dataclass
class EngineState:
    """A snapshot for displays: what the patient should see right now."""

    rep_count: int = 0
    phase: str = "idle"
    rep_measure: str = ""
    rep_value: float | None = None
    rep_target: float | None = None
    hold_active: bool = False
    hold_elapsed_s: float = 0.0
    hold_target_s: float = 0.0
    view: str = "unknown"
    setup_ok: bool = False
    setup_message: str = ""
    paused: bool = False
    paused_reason: str = ""
    cue: str | None = None
    fault_joints: list[int] = field(default_factory=list)


@dataclass
class _RepInProgress:
    faults: list[str] = field(default_factory=list)
    penalties: dict[str, float] = field(default_factory=dict)
    report_min: float = math.inf
    report_max: float = -math.inf

    def see(self, value: float) -> None:
        if math.isfinite(value):
            self.report_min = min(self.report_min, value)
            self.report_max = max(self.report_max, value)


class ExerciseEngine:
    """Scores one stream of poses against one exercise definition.

    `aspect` is the image width over height. `require_setup` holds counting until the setup
    check passes once (the live page); offline analysis counts from the first frame.
    `reference`, the patient's own good reps (scoring.reference), adds a fault whenever a rep
    differs from them in the fault's direction, on top of the definition's fixed bounds.
    """

    def __init__(
        self,
        exercise: Exercise,
        aspect: float = 1.0,
        *,
        require_setup: bool = False,
        pose_lost_after_s: float = 0.7,
        reference: PersonalReference | None = None,
    ) -> None:
        if aspect <= 0:
            raise ValueError("aspect must be positive")
        if reference is not None and reference.exercise_id != exercise.id:
            raise ValueError(f"the reference is for {reference.exercise_id!r}, not {exercise.id!r}")
        self.exercise = exercise
        self.reference = reference
        self._features = features(exercise)
        # Per-frame fault features over the last rep or so: a completed rep's profile.
        self._feature_trace: deque[tuple[float, dict[str, float]]] = deque()
        self.aspect = aspect
        self.require_setup = require_setup
        self.pose_lost_after_s = pose_lost_after_s
        self._needed: dict[str, list[str]] = {}  # per view: what that view can use
        self._view = ViewDetector()
        self._cues = CueSelector()
        self._faults = FaultMonitor(list(exercise.faults))
        self._counters: dict[str, RepCounter] = {}
        if exercise.rep is not None:
            r = exercise.rep
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
            self._counters = {label: RepCounter(th) for label in labels}
        self._hold = (
            HoldTracker(
                HoldSettings(
                    exercise.hold.min_start_s,
                    exercise.hold.touchdown_max_s,
                    exercise.hold.min_hold_s,
                )
            )
            if exercise.hold
            else None
        )
        g = exercise.generic
        self._generic = (
            GenericRepCounter(aspect, g.min_period_s, g.max_period_s, g.min_prominence)
            if exercise.kind == "any" and g is not None
            else None
        )
        self._current: dict[str, _RepInProgress] = {}
        # Recent samples per counter (t, counted value, left, right): a completed rep's
        # smoothness and per-side range are read from the window it spans.
        self._trace: dict[str, deque[tuple[float, float, float, float]]] = {
            label: deque() for label in self._counters
        }
        self._last_end: dict[str, float] = {}
        self._rest_report: dict[str, float] = {}
        self._last_seen_t: float | None = None
        self._lost = False
        self._lost_reason = ""
        self._warned_view: str | None = None
        self._last_progress_s = -1.0
        self._setup_passed = not require_setup
        self._setup_last = SetupResult(False, "", ())
        self._rep_index = 0
        self.t = 0.0
        self.state = EngineState(
            rep_measure=exercise.rep.measure if exercise.rep else "",
            rep_target=exercise.rep.target if exercise.rep else None,
            hold_target_s=exercise.hold.target_s if exercise.hold else 0.0,
            setup_ok=not require_setup,
        )
        self.reps: list[RepCompleted] = []
        self.holds: list[HoldEnded] = []
        self.faults: list[FaultDetected] = []
        self.view_warnings: list[ViewWarning] = []
        self.frames = 0
        self.frames_with_pose = 0

    # -- public -------------------------------------------------------------------------
    def update(self, t: float, landmarks: np.ndarray | None) -> list[Event]:
        """Advance to time `t` (seconds) with this frame's (33, 4) landmarks or None."""
        self.t = t
        self.frames += 1
        events: list[Event] = []
        if landmarks is None or not np.isfinite(landmarks[:, :2]).all():
            if self._generic is not None:
                self._update_generic(t, None, events)  # keep the time axis whole
            self._on_missing(t, "I can't see you. Step into the camera's view.", ("body",), events)
            self._finish_frame(t, events, hot=set())
            return events
        self.frames_with_pose += 1
        # The view changes slowly: refresh it every few frames (it is a windowed median anyway).
        if self.frames_with_pose % 3 == 1 or self.state.view == "unknown":
            self.state.view = self._view.update(landmarks, self.aspect)
        view = self.state.view
        needed = self._needed.get(view)
        if needed is None:
            needed = self._needed[view] = self.exercise.measures_needed(view)
        measured = compute_measures(landmarks, self.aspect, needed)
        values = {k: float(v[0]) for k, v in measured.items()}
        # The setup check matters before the set and while something is hidden; otherwise a
        # refresh every few frames keeps the page's setup line current.
        if not self._setup_passed or self.frames_with_pose % 5 == 1 or not self._setup_last.ok:
            self._setup_last = check_setup(landmarks, self.exercise.body, self.exercise.view, view)
        setup = self._setup_last
        self.state.setup_ok = setup.ok or self._setup_passed
        self.state.setup_message = setup.message
        if not self._setup_passed:
            if setup.ok:
                self._setup_passed = True
                self._cues.offer("Ready. Start when you are.", 3, "setup")
            else:
                self._cues.offer(setup.message, 4, "setup")
                self.state.paused, self.state.paused_reason = True, setup.message
                self._finish_frame(t, events, hot=set())
                return events
        self._check_view(t, view, events)
        hot: set[int] = set()
        if self._generic is not None:
            self._update_generic(t, landmarks, events)
            self._mark_seen(t, events)
        else:
            if not self._main_signal_visible(values):
                missing = setup.missing or ("the joints this exercise needs",)
                self._on_missing(
                    t,
                    f"I can't see your {', '.join(missing)}. Step back a little.",
                    missing,
                    events,
                )
            else:
                self._mark_seen(t, events)
                if self._counters:
                    self._update_reps(t, values, view, events, hot)
                if self._hold is not None:
                    self._update_hold(t, values, landmarks, view, events, hot)
        self._finish_frame(t, events, hot)
        return events

    def finish(self, t: float | None = None) -> list[Event]:
        """End of stream: close an open hold and count the generic cycles still pending."""
        t = self.t if t is None else t
        events: list[Event] = []
        if self._hold is not None:
            hold = self._hold.finish(t)
            if hold is not None:
                events.append(self._hold_event(hold))
        if self._generic is not None:
            # The whole track settles what the running count could only guess: replace.
            final = self._generic.recount_all()
            self.reps = []
            self._rep_index = 0
            already = len(self._generic.cycles)
            for i, cycle in enumerate(final):
                rep = self._generic_rep(cycle.start_s, cycle.end_s, cycle.amplitude)
                if i >= already:
                    events.append(rep)
            self._generic.cycles = list(final)
        self.state.rep_count = self._rep_index
        return events

    # -- reps -----------------------------------------------------------------------------
    def _update_reps(
        self, t: float, values: dict[str, float], view: str, events: list[Event], hot: set[int]
    ) -> None:
        rule = self.exercise.rep
        assert rule is not None
        signals = side_values(values, rule.measure, rule.side)
        sided = rule.measure in SIDED_MEASURES
        each = side_values(values, rule.measure, "each") if sided else {}
        reported = self._report_values(values, rule.side)
        self._feature_trace.append((t, frame_features(self._features, values, view)))
        while self._feature_trace and self._feature_trace[0][0] < t - rule.max_duration_s - 2.0:
            self._feature_trace.popleft()
        phase = Phase.REST
        shown: list[float] = []
        for label, counter in self._counters.items():
            value = signals.get(label, NAN)
            if math.isfinite(value):
                shown.append(value)
            was_working = counter.phase is Phase.WORKING
            if label:  # a one-sided counter measures only its own side
                left, right = (value, NAN) if label == "left" else (NAN, value)
            else:
                left, right = each.get("left", NAN), each.get("right", NAN)
            self._remember(label, t, value, left, right, rule.max_duration_s)
            rep = counter.update(t, value)
            if counter.attempt is not None:
                events.extend(self._short_attempt(label, counter.attempt))
            now = reported.get(label, NAN)
            if counter.phase is Phase.WORKING or rep is not None:
                phase = Phase.WORKING if counter.phase is Phase.WORKING else phase
                cur = self._current.setdefault(label, _RepInProgress())
                if not was_working:
                    cur.see(self._rest_report.get(label, NAN))  # the resting value before it
                cur.see(now)
                self._rest_report[label] = now if rep is not None else NAN
            elif math.isfinite(now):
                # Lowest reported angle while resting: the start of the next rep's range.
                prev = self._rest_report.get(label, NAN)
                self._rest_report[label] = now if not math.isfinite(prev) else min(prev, now)
            if rep is not None:
                events.extend(self._complete_rep(label, rep))
            elif counter.phase is not Phase.WORKING:
                self._current.pop(label, None)
        self.state.phase = phase.value
        self.state.rep_value = (
            (max(shown) if rule.direction == "increase" else min(shown)) if shown else None
        )
        rep_no = self._rep_index + 1 if phase is Phase.WORKING else None
        hits, hot_now = self._faults.update(t, values, phase.value, view, rep_no)
        hot.update(hot_now)
        for hit in hits:
            for label in self._current or {"": None}:
                cur = self._current.get(label)
                if cur is not None and hit.rule.id not in cur.faults:
                    cur.faults.append(hit.rule.id)
                    cur.penalties[hit.rule.id] = hit.rule.penalty
            events.append(self._fault_event(t, hit.rule, rep_no, hit.joints, hit.side))

    def _complete_rep(self, label: str, rep: Rep) -> list[Event]:
        rule = self.exercise.rep
        assert rule is not None
        cur = self._current.pop(label, _RepInProgress())
        self._rep_index += 1
        events: list[Event] = []
        target_rom = abs(rule.target - rule.exit)
        duration = rep.end_s - rep.start_s
        for f in self._faults.rules:
            short = f.kind == "rep_peak_short" and rep_peak_short(rep, rule.target, f.below or 0)
            hit = short or (f.kind == "rep_too_fast" and duration < (f.below or 0))
            if hit and view_satisfies(self.state.view, f.view) and f.id not in cur.faults:
                cur.faults.append(f.id)
                cur.penalties[f.id] = f.penalty
                events.append(self._fault_event(rep.end_s, f, self._rep_index, (), label))
        profile = self._rep_profile(rep)
        if self.reference is not None:
            rules = {f.id: f for f in self._faults.rules}
            for dev in self.reference.deviations(profile):
                f = rules.get(dev.id)
                if f is None or dev.id in cur.faults:
                    continue
                cur.faults.append(f.id)
                cur.penalties[f.id] = f.penalty
                ev = self._fault_event(rep.end_s, f, self._rep_index, (), label)
                ev = replace(ev, message=f"{f.message} (compared with your reference reps)")
                self.faults[-1] = ev
                events.append(ev)
        score = rep_score(rep.rom, target_rom, cur.penalties.values())
        sparc, rom_left, rom_right = self._rep_control(label, rep.start_s, rep.end_s)
        if rule.report is not None and math.isfinite(cur.report_max):
            rom_deg, peak_deg = cur.report_max - cur.report_min, cur.report_max
        else:
            rom_deg, peak_deg = rep.rom, rep.peak
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
        )
        self.reps.append(done)
        self.state.rep_count = self._rep_index
        return [done, *events]

    def _rep_profile(self, rep: Rep) -> dict[str, float]:
        trace = list(self._feature_trace)
        t = np.array([x[0] for x in trace], dtype=np.float64)
        series = {
            f.id: np.array([x[1].get(f.id, NAN) for x in trace], dtype=np.float64)
            for f in self._features
        }
        return rep_profile(self._features, t, series, rep.start_s, rep.end_s, rep.rom)

    def _remember(
        self, label: str, t: float, value: float, left: float, right: float, span_s: float
    ) -> None:
        trace = self._trace[label]
        trace.append((t, value, left, right))
        # A rep lasts at most max_duration_s; keep that and a little rest before it.
        while trace and trace[0][0] < t - span_s - 2.0:
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

    def symmetry(self) -> Symmetry | None:
        """Left/right symmetry index of the session so far (None when not applicable: the
        counted measure has no sides, or one side was never measured)."""
        rule = self.exercise.rep
        if rule is None or rule.measure not in SIDED_MEASURES:
            return None
        return session_symmetry(self.reps, rule.measure)

    def _short_attempt(self, label: str, attempt: Rep) -> list[Event]:
        """A movement that turned back before the counting threshold is no rep, but the range
        rules (`rep_peak_short`) say why nothing counted."""
        rule = self.exercise.rep
        assert rule is not None
        return [
            self._fault_event(attempt.end_s, f, None, (), label)
            for f in self._faults.rules
            if f.kind == "rep_peak_short"
            and view_satisfies(self.state.view, f.view)
            and rep_peak_short(attempt, rule.target, f.below or 0)
        ]

    def _report_values(self, values: dict[str, float], side: str) -> dict[str, float]:
        """The reported angle per counter label. From the side, the image plane is the
        movement plane: the 2-D angle is exact there and free of MediaPipe's depth noise."""
        rule = self.exercise.rep
        if rule is None or rule.report is None:
            return {}
        name = rule.report
        if self.state.view == "side" and f"{name}_2d" in SIDED_MEASURES:
            name = f"{name}_2d"
        return side_values(values, name, side if side in ("each", "left", "right") else "max")

    def _update_generic(self, t: float, landmarks: np.ndarray | None, events: list[Event]) -> None:
        assert self._generic is not None
        for cycle in self._generic.update(t, landmarks):
            events.append(self._generic_rep(cycle.start_s, cycle.end_s, cycle.amplitude))

    def _generic_rep(self, start: float, end: float, amplitude: float) -> RepCompleted:
        self._rep_index += 1
        rep = RepCompleted(
            t=end,
            index=self._rep_index,
            start_s=round(start, 3),
            end_s=round(end, 3),
            rom_deg=NAN,
            peak_deg=NAN,
            score=NAN,
            duration_s=round(end - start, 3),
        )
        self.reps.append(rep)
        self.state.rep_count = self._rep_index
        return rep

    # -- holds ----------------------------------------------------------------------------
    def _update_hold(
        self,
        t: float,
        values: dict[str, float],
        landmarks: np.ndarray,
        view: str,
        events: list[Event],
        hot: set[int],
    ) -> None:
        assert self._hold is not None and self.exercise.hold is not None
        rule = self.exercise.hold
        ok: bool | None = True
        for cond in rule.conditions:
            vals = [v for v in side_values(values, cond.measure, cond.side).values()]
            finite = [v for v in vals if math.isfinite(v)]
            if not finite:
                ok = None
                break
            v = finite[0]
            if (cond.above is not None and v <= cond.above) or (
                cond.below is not None and v >= cond.below
            ):
                ok = False
        centre, height = _centre_and_height(landmarks, self.aspect)
        hold = self._hold.update(t, ok, centre, height)
        if hold is not None:
            events.append(self._hold_event(hold))
        self.state.hold_active = self._hold.active
        self.state.hold_elapsed_s = round(self._hold.elapsed(t), 2)
        self.state.phase = "working" if self._hold.active else "rest"
        if self._hold.active:
            whole = int(self.state.hold_elapsed_s)
            if whole > self._last_progress_s:
                self._last_progress_s = whole
                events.append(HoldProgress(t=t, elapsed_s=whole, target_s=rule.target_s))
        else:
            self._last_progress_s = -1
        phase = "hold" if self._hold.active else "rest"
        hits, hot_now = self._faults.update(t, values, phase, view, None)
        hot.update(hot_now)
        for hit in hits:
            events.append(self._fault_event(t, hit.rule, None, hit.joints, hit.side))

    def _hold_event(self, hold) -> HoldEnded:  # type: ignore[no-untyped-def]
        ev = HoldEnded(
            t=hold.end_s,
            start_s=round(hold.start_s, 3),
            end_s=round(hold.end_s, 3),
            duration_s=round(hold.duration_s, 2),
            sway=round(hold.sway, 4),
            touch_downs=hold.touch_downs,
        )
        self.holds.append(ev)
        return ev

    # -- faults, view, visibility ---------------------------------------------------------
    def _fault_event(self, t, rule, rep, joints, side) -> FaultDetected:  # type: ignore[no-untyped-def]
        ev = FaultDetected(
            t=t,
            id=rule.id,
            message=rule.message,
            cue=rule.cue,
            rep=rep,
            joints=tuple(joints),
            side=side,
        )
        self.faults.append(ev)
        self._cues.offer(rule.cue, rule.priority, rule.id)
        return ev

    def _check_view(self, t: float, view: str, events: list[Event]) -> None:
        """Warn once per view change: wrong view for the exercise (a cue too), or some fault
        checks skipped because they need another view (a warning for the record only)."""
        if view == "unknown" or view == self._warned_view:
            return
        skipped = self._faults.skipped(view)
        wrong_view = self.exercise.view != "any" and not view_satisfies(view, self.exercise.view)
        if not skipped and not wrong_view:
            return
        self._warned_view = view
        if wrong_view:
            wanted = self.exercise.view
            how = "Turn sideways to the camera" if wanted == "side" else "Face the camera"
            message = f"{how}: this exercise is best seen from the {wanted}"
            if skipped:
                message += f" (checks skipped: {', '.join(skipped)})"
            self._cues.offer(f"{how}.", 2, "view")
        else:
            wanted = _other_view(view)
            message = (
                f"seen from the {view}: {', '.join(skipped)} "
                f"{'needs' if len(skipped) == 1 else 'need'} a {wanted} view and "
                f"{'was' if len(skipped) == 1 else 'were'} not checked"
            )
        ev = ViewWarning(
            t=t, expected=wanted, detected=view, message=message, skipped_faults=tuple(skipped)
        )
        self.view_warnings.append(ev)
        events.append(ev)

    def _main_signal_visible(self, values: dict[str, float]) -> bool:
        if self.exercise.rep is not None:
            sig = side_values(values, self.exercise.rep.measure, self.exercise.rep.side)
            return any(math.isfinite(v) for v in sig.values())
        if self.exercise.hold is not None:
            for cond in self.exercise.hold.conditions:
                sig = side_values(values, cond.measure, cond.side)
                if not any(math.isfinite(v) for v in sig.values()):
                    return False
        return True

    def _on_missing(
        self, t: float, reason: str, missing: tuple[str, ...], events: list[Event]
    ) -> None:
        if self._hold is not None:
            hold = self._hold.update(t, None)
            if hold is not None:
                events.append(self._hold_event(hold))
        last = self._last_seen_t if self._last_seen_t is not None else 0.0
        if not self._lost and t - last >= self.pose_lost_after_s:
            self._lost = True
            self._lost_reason = reason
            events.append(PoseLost(t=t, reason=reason, missing=missing))
            self._cues.offer(reason, 5, "pose_lost")
        if self._lost:
            self.state.paused, self.state.paused_reason = True, self._lost_reason

    def _mark_seen(self, t: float, events: list[Event]) -> None:
        self._last_seen_t = t
        if self._lost:
            self._lost = False
            events.append(PoseFound(t=t))
        self.state.paused, self.state.paused_reason = False, ""

    def _finish_frame(self, t: float, events: list[Event], hot: set[int]) -> None:
        cue = self._cues.select(t)
        if cue is not None:
            events.append(cue)
        active: Cue | None = self._cues.active(t)
        self.state.cue = active.text if active else None
        self.state.fault_joints = sorted(hot)


def _other_view(view: str) -> str:
    return "front" if view == "side" else "side"


def _centre_and_height(
    landmarks: np.ndarray, aspect: float
) -> tuple[tuple[float, float] | None, float | None]:
    """Mid-hip position and shoulder-to-ankle height (image heights), for sway."""
    vis = landmarks[:, 3]
    need = (L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    if min(vis[list(need)]) < 0.5:
        return None, None
    xy = landmarks[:, :2] * np.array([aspect, 1.0])
    hip = (xy[L.LEFT_HIP] + xy[L.RIGHT_HIP]) / 2
    shoulder = (xy[L.LEFT_SHOULDER] + xy[L.RIGHT_SHOULDER]) / 2
    ankles = [xy[a] for a in (L.LEFT_ANKLE, L.RIGHT_ANKLE) if vis[a] >= 0.5]
    bottom = max(a[1] for a in ankles) if ankles else hip[1] + 1.1 * (hip[1] - shoulder[1])
    return (float(hip[0]), float(hip[1])), float(bottom - shoulder[1])
