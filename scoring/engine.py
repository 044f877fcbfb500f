"""The exercise engine: one definition, landmarks in, typed events out. No I/O, no globals.

Per frame: detect the view, compute the measures the definition needs, check the setup and
that what is counted is seen, then hand the frame to the exercise's mode (scoring.modes:
rep counter, hold tracker or periodicity counter), pick a cue and report what was decided as
events. Missing landmarks pause counting and say what is not seen.
"""

from __future__ import annotations

import math

import numpy as np

from pose.types import Array
from scoring.cues import CueSelector
from scoring.definition import Exercise, TargetTask
from scoring.events import (
    Cue,
    Event,
    FaultDetected,
    HoldEnded,
    PersonWarning,
    PoseFound,
    PoseLost,
    RepCompleted,
    ViewWarning,
)
from scoring.faults import FaultMonitor
from scoring.measure_words import measure_words, view_words
from scoring.measures import frame_measures, is_sided, per_frame, reports_by_view
from scoring.modes.base import EngineState, Frame, Mode, Shared
from scoring.modes.generic import GenericMode
from scoring.modes.holds import HoldMode
from scoring.modes.jump import JumpMode
from scoring.modes.reps import RepMode, limit_applies
from scoring.modes.targets import TargetMode
from scoring.reference import PersonalReference
from scoring.reported import Reading, ReportedValues
from scoring.setup import (
    FACE_CAMERA,
    TURN_SIDEWAYS,
    SetupResult,
    check_setup,
    parts_words,
    view_tip,
)
from scoring.symmetry import Symmetry, session_symmetry
from scoring.targets import TargetSpec
from scoring.view import ViewTracker
from scoring.words import Say, nsay, say

__all__ = ["EngineState", "ExerciseEngine", "check_limit"]

_all = np.logical_and.reduce  # ndarray.all without its Python wrapper (once a frame)
NAN = float("nan")


class ExerciseEngine:
    """Scores one stream of poses against one exercise definition.

    `aspect` is the image width over height. `require_setup` holds counting until the setup
    check passes once (the live page); offline analysis counts from the first frame.
    `reference`, the patient's own good reps (scoring.reference), adds a fault whenever a rep
    differs from them in the fault's direction, on top of the definition's fixed bounds.
    `limit_deg`, the patient's prescribed range limit (degrees, 0-180): a safety rule on the
    rep's reported angle (scoring.modes.reps: a `range_limit` fault as it is crossed, reps
    marked `over_limit`); `limit_note` says why when the exercise cannot apply it.
    A hand-eye `TargetTask` runs its `schedule` of targets (scoring.targets.make_schedule)
    as the mode (scoring.modes.targets.TargetMode), after the same setup check.
    """

    def __init__(
        self,
        exercise: Exercise | TargetTask,
        aspect: float = 1.0,
        *,
        require_setup: bool = False,
        pose_lost_after_s: float = 0.7,
        reference: PersonalReference | None = None,
        limit_deg: float | None = None,
        schedule: list[TargetSpec] | None = None,
    ) -> None:
        if aspect <= 0:
            raise ValueError("aspect must be positive")
        check_limit(limit_deg)
        if reference is not None and reference.exercise_id != exercise.id:
            raise ValueError(f"the reference is for {reference.exercise_id!r}, not {exercise.id!r}")
        self.exercise = exercise
        self.reference = reference
        self.aspect = aspect
        self.require_setup = require_setup
        self.pose_lost_after_s = pose_lost_after_s
        self.limit_deg = limit_deg
        self.limit_note = _limit_note(exercise, limit_deg)
        self._needed: dict[str, list[str]] = {}  # per view: what that view can use
        # What is reported per frame (scoring.reported).
        self._reported = ReportedValues(exercise.measures_named(), exercise.views)
        self._view = ViewTracker()
        self._stretch = 1.0  # scoring.view.sagittal_stretch, refreshed with the view
        self._cues = CueSelector()
        self._ask = AskForTheAngle(exercise, self._cues, limit_deg)  # to turn, when it must
        self.state = EngineState(
            rep_measure=exercise.rep.measure if exercise.rep else "",
            rep_target=exercise.rep.target if exercise.rep else None,
            hold_target_s=exercise.hold.target_s if exercise.hold else 0.0,
            setup_ok=not require_setup,
        )
        self._faults = FaultMonitor(list(exercise.faults))
        self._shared = Shared(self.state, self._cues, self._faults)
        self._modes = _modes_for(exercise, aspect, self._shared, reference, limit_deg, schedule)
        self._whole_body = any(mode.whole_body for mode in self._modes)
        self._last_seen_t: float | None = None
        self._lost = False
        self._lost_reason = ""
        self._warned_view: str | None = None
        self._view_since: tuple[str, float] = ("unknown", 0.0)  # the view, and since when
        self._tips: dict[str, str] = {}  # per view: the better-view tip (scoring.setup)
        self._tip_said: str | None = None  # the view whose tip was said
        self._setup_passed = not require_setup
        self._setup_last = SetupResult(False, "", ())
        self.t = 0.0
        self.view_warnings: list[ViewWarning] = []
        self.person_warnings: list[PersonWarning] = []
        self._others = False
        self.frames = 0
        self.frames_with_pose = 0

    # -- public -------------------------------------------------------------------------
    @property
    def reps(self) -> list[RepCompleted]:
        """Every rep so far (for `any`, replaced by the whole track's count at `finish`)."""
        return self._shared.reps

    @property
    def holds(self) -> list[HoldEnded]:
        return self._shared.holds

    @property
    def faults(self) -> list[FaultDetected]:
        return self._shared.faults

    def update(
        self,
        t: float,
        landmarks: Array | None,
        world: Array | None = None,
        others_in_view: bool = False,
    ) -> list[Event]:
        """Advance to time `t` (seconds) with this frame's (33, 4) landmarks or None, and
        its (33, 3) world landmarks when the pose backend gives them (scoring.measures:
        metric 3-D angles; scoring.view: the body's turn at three-quarter views).
        `others_in_view`: the pose layer saw someone besides the patient (pose.guard)."""
        if world is not None and (world.shape != (33, 3) or not np.isfinite(world).all()):
            world = None
        self.t = t
        self.frames += 1
        events: list[Event] = []
        self._note_others(t, others_in_view, events)
        if landmarks is None or not _all(np.isfinite(landmarks[:, :2]), axis=None):
            self.state.measures = self._reported.update(None, self.state.view, None).values
            self._on_missing(t, NOT_SEEN_CUE, ("body",), events)
            self._finish_frame(t, events, hot=set())
            return events
        self.frames_with_pose += 1
        view = self._refresh_view(landmarks, world)
        needed = self._needed.get(view)
        if needed is None:
            needed = self._needed[view] = self.exercise.measures_needed(view)
        values = self._measure(landmarks, needed, world)
        reading = self._reported.update(values, view, landmarks)
        self.state.measures = reading.values
        setup = self._check_setup(landmarks, view)
        self._check_view(t, view, events)
        if not self._setup_gate(setup):
            self._finish_frame(t, events, hot=set())
            return events
        angle_here = self._ask(t, view, self._view_since[1], reading)
        if setup.tip and self._tip_said != view and not (angle_here and self.limit_deg is not None):
            # until said, once per view; not when a range limit needs this view's angle
            self._cues.offer(setup.tip, 1, "tip")
        hot = self._seen(Frame(t, landmarks, values, view, reading), setup, events)
        self._finish_frame(t, events, hot)
        return events

    def finish(self, t: float | None = None) -> list[Event]:
        """End of stream: close an open hold and count the generic cycles still pending."""
        t = self.t if t is None else t
        events: list[Event] = []
        for mode in self._modes:
            events += mode.finish(t)
        self.state.rep_count = len(self.reps)
        return events

    def symmetry(self) -> Symmetry | None:
        """Left/right symmetry index of the session so far (None when not applicable: the
        counted measure has no sides, or one side was never measured)."""
        rule = self.exercise.rep
        if rule is None or not is_sided(rule.measure):
            return None
        return session_symmetry(self.reps, rule.measure)

    # -- the mode, view, setup, visibility ----------------------------------------------------
    def _refresh_view(self, landmarks: Array, world: Array | None) -> str:
        """The view changes slowly: refreshed every few frames (scoring.view.ViewTracker), and
        the stretch of a turned body with it."""
        self.state.view = self._view.update(landmarks, self.aspect, world)
        self._stretch = self._view.stretch
        return self.state.view

    def _check_setup(self, landmarks: Array, view: str) -> SetupResult:
        """The setup check, which matters before the set and while something is hidden;
        otherwise a refresh every few frames keeps the page's setup line current."""
        if not self._setup_passed or self.frames_with_pose % 5 == 1 or not self._setup_last.ok:
            tip = self._tips.get(view)
            if tip is None:
                tip = self._tips[view] = view_tip(self.exercise.views, self.exercise.faults, view)
            self._setup_last = check_setup(
                landmarks, self.exercise.body, self.exercise.views, view, tip
            )
        setup = self._setup_last
        self.state.setup_ok = setup.ok or self._setup_passed
        self.state.setup_message = setup.message
        self.state.setup_tip = setup.tip
        return setup

    def _setup_gate(self, setup: SetupResult) -> bool:
        """Whether counting goes on: once the setup check has passed (the first time, say
        so); until then, say what to fix and pause."""
        if self._setup_passed:
            return True
        if setup.ok:
            self._setup_passed = True
            self._cues.offer(READY_CUE, 3, "setup")
            return True
        self._cues.offer(setup.message, 4, "setup")
        self.state.paused, self.state.paused_reason = True, setup.message
        return False

    def _seen(self, frame: Frame, setup: SetupResult, events: list[Event]) -> set[int]:
        """Count a frame whose pose is seen, unless what is counted is hidden (then say
        what); the landmarks to mark in red."""
        hot: set[int] = set()
        if self._whole_body:
            # Counted from the whole skeleton: nothing to check first, and counted as found.
            self._count(frame, events, hot)
            self._mark_seen(frame.t, events)
        elif self._modes and not self._modes[0].visible(frame.values):
            missing = setup.missing
            reason = (
                say("I can't see your {parts}. Step back a little.", parts=parts_words(missing))
                if missing
                else say("I can't see the joints this exercise needs. Step back a little.")
            )
            self._on_missing(
                frame.t, reason, missing or ("the joints this exercise needs",), events
            )
        else:
            self._mark_seen(frame.t, events)
            self._count(frame, events, hot)
        return hot

    def _measure(self, landmarks: Array, names: list[str], world: Array | None) -> dict[str, float]:
        """This frame's measures (scoring.measures.frame_measures: `compute_measures`' values
        for one pose, without numpy's per-call overhead)."""
        return frame_measures(
            landmarks, self.aspect, names, world=world, sagittal_stretch=self._stretch
        )

    def _note_others(self, t: float, others: bool, events: list[Event]) -> None:
        """Someone else in view: a warning when they appear (for the record and the page),
        and the cue while they stay (said again at most every few seconds, scoring.cues)."""
        if others and not self._others:
            ev = PersonWarning(t=t, message=OTHERS_MESSAGE)
            self.person_warnings.append(ev)
            events.append(ev)
        if others:
            self._cues.offer(OTHERS_CUE, 4, "others")
        self._others = others

    def _count(self, frame: Frame, events: list[Event], hot: set[int]) -> None:
        for mode in self._modes:
            step = mode.update(frame)
            events += step.events
            hot |= step.hot

    def _check_view(self, t: float, view: str, events: list[Event]) -> None:
        """Warn once per view change: some fault checks skipped because they need another
        view (at once, for the record only), or, after `WRONG_VIEW_AFTER_S` in a view the
        exercise does not count in, why and how to stand (a cue too)."""
        if view != self._view_since[0]:
            self._view_since = (view, t)
        if view == "unknown" or view == self._warned_view:
            return
        skipped = self._faults.skipped(view)
        wrong_view = not self.exercise.counts_in(view)
        if wrong_view and t - self._view_since[1] < WRONG_VIEW_AFTER_S:
            return
        if not skipped and not wrong_view:
            return
        self._warned_view = view
        if wrong_view:
            wanted: str = self.exercise.view
            message = _wrong_view_words(self.exercise, view, skipped)
            self._cues.offer(TURN_SIDEWAYS if wanted == "side" else FACE_CAMERA, 2, "view")
        else:
            wanted = _other_view(view)
            message = nsay(
                "seen from the {view}: {checks} needs a {wanted} view and was not checked",
                "seen from the {view}: {checks} need a {wanted} view and were not checked",
                len(skipped),
                view=view_words(view),
                checks=", ".join(skipped),
                wanted=view_words(wanted),
            )
        ev = ViewWarning(
            t=t, expected=wanted, detected=view, message=message, skipped_faults=tuple(skipped)
        )
        self.view_warnings.append(ev)
        events.append(ev)

    def _on_missing(
        self, t: float, reason: str, missing: tuple[str, ...], events: list[Event]
    ) -> None:
        for mode in self._modes:
            events += mode.unseen(t)
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
            if cue.source == "tip":
                self._tip_said = self.state.view
            elif cue.source == ANGLE_VIEW_CUE_ID:
                self._ask.tip_said = self.state.view
        active: Cue | None = self._cues.active(t)
        self.state.cue = active.text if active else None
        self.state.fault_joints = sorted(hot)


READY_CUE = say("Ready. Start when you are.")
NOT_SEEN_CUE = say("I can't see you. Step into the camera's view.")
# Someone besides the patient in view (pose.guard): the coach stays on the patient.
OTHERS_CUE = say("Someone else is in view.")
OTHERS_MESSAGE = say("Someone else came into view: only the patient was followed and counted")

# How long in a view the exercise does not count in before saying why and how to stand: a
# patient turning round, or walking to the start, is not nagged.
WRONG_VIEW_AFTER_S = 10.0

# The rep's reported angle cannot be measured from this view (scoring.measures), or its joints
# are hidden: ask the patient to turn, or step back, rather than coach on noise. Cue ids (the
# Cue's `source`) and their words, by the joint whose angle is measured.
ANGLE_VIEW_CUE_ID = "angle_view"
ANGLE_HIDDEN_CUE_ID = "angle_hidden"
_TURN_FOR_ANGLE = {
    "knee": say("Turn side-on to the camera so I can see how far your knee bends."),
    "hip": say("Turn side-on to the camera so I can see how far your hip bends."),
    "elbow": say("Turn side-on to the camera so I can see how far your elbow bends."),
}
_STEP_BACK_FOR_ANGLE = {
    "knee": say("Step back so I can see how far your knee bends."),
    "hip": say("Step back so I can see how far your hip bends."),
    "elbow": say("Step back so I can see how far your elbow bends."),
}
_TURN_FOR_THE_ANGLE = say("Turn side-on to the camera so I can see the angle.")
_STEP_BACK_FOR_THE_ANGLE = say("Step back so I can see the angle.")
ASK_TURN_LIMIT_AFTER_S = 2.0  # a range limit is not being checked: soon
ASK_TURN_AFTER_S = 5.0  # no limit: a tip, once the patient has settled in the view


class AskForTheAngle:
    """Asks the patient to turn side-on (or step back) when the view cannot measure the
    rep's reported angle, rather than coach on noise. `tip_said`: the view the turn was last
    said in as a tip (the engine notes it when the cue is said)."""

    def __init__(self, exercise: Exercise | TargetTask, cues: CueSelector, limit: float | None):
        self._angle = _angle_by_view(exercise)
        self._cues = cues
        self._limit = limit
        self._unseen_since: float | None = None
        self.tip_said: str | None = None

    def __call__(self, t: float, view: str, view_since: float, reading: Reading) -> bool:
        """Whether this view can measure the rep's reported angle. If it cannot, ask the
        patient to turn: with a range limit, after `ASK_TURN_LIMIT_AFTER_S` in the view
        (since `view_since`) and then whenever the cue rules allow (a safety rule is not being
        checked); without one, after `ASK_TURN_AFTER_S`, once per view (a tip). With a limit,
        in a view that can measure it but its joints hidden for a second, to step back."""
        if self._angle is None or view == "unknown":
            return False
        names, joint = self._angle
        limit = self._limit is not None
        if not any(reading.valid.get(n, False) for n in names):
            after = ASK_TURN_LIMIT_AFTER_S if limit else ASK_TURN_AFTER_S
            if t - view_since >= after and (limit or self.tip_said != view):
                text = _TURN_FOR_ANGLE.get(joint, _TURN_FOR_THE_ANGLE)
                self._cues.offer(text, 4 if limit else 1, ANGLE_VIEW_CUE_ID)
            return False
        if any(math.isfinite(reading.values.get(n, NAN)) for n in names):
            self._unseen_since = None
        elif self._unseen_since is None:
            self._unseen_since = t
        elif limit and t - self._unseen_since >= 1.0:
            text = _STEP_BACK_FOR_ANGLE.get(joint, _STEP_BACK_FOR_THE_ANGLE)
            self._cues.offer(text, 4, ANGLE_HIDDEN_CUE_ID)
        return True


def _angle_by_view(exercise: Exercise | TargetTask) -> tuple[tuple[str, ...], str] | None:
    """The rep's reported angle when it is one reported by view: its per-frame names and
    its joint ("knee"); None otherwise."""
    rule = exercise.rep
    if rule is None:
        return None
    name = rule.report or rule.measure
    if not reports_by_view(name):
        return None
    joint = name.split("_")[0]
    one_side = rule.side in ("left", "right")
    names = per_frame(f"{name}_{rule.side}") if one_side else per_frame(name)
    return names, joint


def _limit_note(exercise: Exercise | TargetTask, limit_deg: float | None) -> str:
    """Why a prescribed range limit cannot judge this exercise ("" when it can, or none)."""
    if limit_deg is None or limit_applies(exercise):
        return ""
    if exercise.rep is None:
        return say(
            "range limit {limit}° not applied: {exercise} has no reps in degrees that grows"
            " over a rep",
            limit=limit_deg,
            exercise=Say(exercise.name),
        )
    return say(
        "range limit {limit}° not applied: {exercise} has no reported angle in degrees that"
        " grows over a rep",
        limit=limit_deg,
        exercise=Say(exercise.name),
    )


def _counted_what(exercise: Exercise | TargetTask) -> Say:
    """What the exercise counts, in words: "elbow flexion", "hip height"."""
    if exercise.rep is not None:
        return measure_words(exercise.rep.measure)
    if exercise.hold is not None:
        return measure_words(exercise.hold.conditions[0].measure)
    if exercise.jump is not None:
        return measure_words("feet")
    return measure_words("movement")


def _wrong_view_words(exercise: Exercise | TargetTask, view: str, skipped: list[str]) -> Say:
    """Why a view the exercise does not count in cannot count it, and how to stand."""
    listed = tuple(view_words(v) for v in exercise.views)
    views = listed[0] if len(listed) == 1 else _either(listed)
    name, seen, what = Say(exercise.name), view_words(view), _counted_what(exercise)
    if exercise.view == "side":
        message = say(
            "Turn sideways to the camera: {exercise} is counted from the {views}; from the"
            " {view} the {what} can't be measured reliably",
            exercise=name,
            views=views,
            view=seen,
            what=what,
        )
    else:
        message = say(
            "Face the camera: {exercise} is counted from the {views}; from the {view} the"
            " {what} can't be measured reliably",
            exercise=name,
            views=views,
            view=seen,
            what=what,
        )
    if not skipped:
        return message
    return say("{message} (checks skipped: {checks})", message=message, checks=", ".join(skipped))


def _either(views: tuple[Say, ...]) -> Say:
    """Two or more views: "the side or the front"."""
    return say(
        "{first} or the {second}",
        first=views[0],
        second=_either(views[1:]) if len(views) > 2 else views[1],
    )


def _other_view(view: str) -> str:
    return "front" if view == "side" else "side"


def check_limit(limit_deg: float | None) -> None:
    """A range limit is None (none prescribed) or an angle from 0 to 180 degrees."""
    if limit_deg is not None and not (math.isfinite(limit_deg) and 0 <= limit_deg <= 180):
        raise ValueError(f"a range limit must be between 0 and 180 degrees, not {limit_deg:g}")


def _modes_for(
    exercise: Exercise | TargetTask,
    aspect: float,
    shared: Shared,
    reference: PersonalReference | None,
    limit_deg: float | None,
    schedule: list[TargetSpec] | None = None,
) -> list[Mode]:
    """The exercise's mode: generic counting for `any`, else its rep and/or hold rule (a
    definition may carry both tables; both then run, the rep rule deciding visibility); a
    targets task's schedule for a hand-eye task."""
    if isinstance(exercise, TargetTask):
        if not schedule:
            raise ValueError(f"the targets task {exercise.id!r} needs a schedule of targets")
        return [TargetMode(exercise, schedule, aspect)]
    if exercise.kind == "any" and exercise.generic is not None:
        return [GenericMode(exercise.generic, aspect, shared)]
    if exercise.kind == "jump":
        return [JumpMode(exercise, aspect, shared)]
    modes: list[Mode] = []
    if exercise.rep is not None:
        modes.append(RepMode(exercise, shared, reference, limit_deg))
    if exercise.hold is not None:
        modes.append(HoldMode(exercise.hold, aspect, shared))
    return modes
