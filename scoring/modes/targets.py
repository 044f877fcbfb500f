"""The frame loop of a hand-eye targets task: show each target, watch the hand, score it.

A `Mode` like reps and holds, so the engine's loop (or `score_targets` on a stored track)
feeds it frames. Per target: wait a random foreperiod, place the target around the
shoulder seen now (scoring.targets.place), emit `TargetShown`, follow the named hand until
it touches (for `dwell_s`), the timeout passes or the moving target stops, then emit the
target's `TargetResult`. A frame without the hand is kept as a gap; a target whose hand was
mostly unseen is reported as such, never as a slow reach.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pose.types import Array
from scoring.definition import TargetTask
from scoring.events import Event, TargetResult, TargetShown, json_safe, to_json
from scoring.modes.base import Frame, Mode, Step
from scoring.targets import (
    SETTLE_S,
    Placed,
    TargetError,
    TargetSpec,
    Track,
    arm_length,
    compare_hands,
    hand_point,
    measure_target,
    place,
)
from scoring.words import say

ARM_FRAMES = 15  # the arm length is the median of the last frames that saw the whole arm


class TargetMode(Mode):
    """Runs one schedule of targets against a stream of poses (landmarks: (33, 4) normalised).

    `latency_s`, the loop's measured latency (camera to screen), is carried into every
    result beside the frame interval; NaN when not measured (a recording).
    """

    whole_body = True  # the hand is checked per target, not by the engine's visibility gate

    def __init__(
        self,
        task: TargetTask,
        schedule: list[TargetSpec],
        aspect: float,
        latency_s: float = math.nan,
    ) -> None:
        if not schedule:
            raise TargetError("the schedule has no targets")
        if not (aspect > 0 and math.isfinite(aspect)):
            raise TargetError(f"aspect must be a positive number; got {aspect!r}")
        for spec in schedule:
            spec.check()
        self.task = task
        self.aspect = aspect
        self.latency_s = latency_s
        self._pending = list(schedule)
        self._arms: dict[str, list[float]] = {"left": [], "right": []}
        self._ready_at: float | None = None  # when the next target may appear
        self._active: Placed | None = None
        self._track = Track()
        self._on_since: float | None = None
        self._hit: float | None = None
        self.shown: list[TargetShown] = []
        self.results: list[TargetResult] = []

    @property
    def done(self) -> bool:
        return not self._pending and self._active is None

    @property
    def active(self) -> Placed | None:
        """The target up now (for a display), or None."""
        return self._active

    def update(self, frame: Frame) -> Step:
        step = Step()
        lm = np.asarray(frame.landmarks, dtype=np.float64)
        for hand in ("left", "right"):
            arm = arm_length(lm, hand, self.aspect)
            if arm is not None and arm > 1e-3:
                self._arms[hand] = (self._arms[hand] + [arm])[-ARM_FRAMES:]
        if self._active is None:
            self._maybe_show(frame.t, lm, step.events)
            return step
        spec = self._active.spec
        p = hand_point(lm, spec.hand, self.task.targets.point, self.aspect)
        self._track.add(frame.t, p)
        self._check_hit(frame.t, p)
        self._maybe_close(frame.t, step.events)
        return step

    def unseen(self, t: float) -> list[Event]:
        events: list[Event] = []
        if self._active is not None:
            self._track.add(t, None)
            self._on_since = None
            self._maybe_close(t, events)
        return events

    def finish(self, t: float) -> list[Event]:
        events: list[Event] = []
        if self._active is not None:
            self._close(t, events)
        return events

    # -- inside ----------------------------------------------------------------------------
    def _maybe_show(self, t: float, lm: Array, events: list[Event]) -> None:
        if not self._pending:
            return
        spec = self._pending[0]
        if self._ready_at is None:
            self._ready_at = t + spec.foreperiod_s
        # The arm's length from the other arm when this one was never seen whole: the target
        # is shown anyway, and its result says the hand was not seen (never a stalled task).
        other = "right" if spec.hand == "left" else "left"
        arms = self._arms[spec.hand] or self._arms[other]
        if t < self._ready_at or not arms:
            return
        self._pending.pop(0)
        placed = place(spec, self.task.targets.layout, lm, float(np.median(arms)), t, self.aspect)
        if placed is None:
            result = TargetResult(
                t=t,
                index=spec.index,
                hand=spec.hand,
                status="outside_image",
                message=say(
                    "Target {index} did not fit inside the camera image: sit a little further"
                    " from the camera, in the middle of the picture",
                    index=spec.index,
                ),
                shown_s=t,
            )
            events.append(result)
            self.results.append(result)
            self._ready_at = None
            return
        self._active, self._track = placed, Track()
        self._on_since = self._hit = None
        shown = placed.shown_event(self.aspect)
        self.shown.append(shown)
        events.append(shown)

    def _check_hit(self, t: float, p: Array | None) -> None:
        placed = self._active
        if placed is None or self._hit is not None or p is None:
            if p is None:
                self._on_since = None
            return
        on = float(np.linalg.norm(p - placed.centre_at(t))) <= placed.radius_units
        if not on:
            self._on_since = None
            return
        if self._on_since is None:
            self._on_since = t
        if t - self._on_since >= self.task.targets.dwell_s:
            self._hit = self._on_since

    def _maybe_close(self, t: float, events: list[Event]) -> None:
        placed = self._active
        if placed is None:
            return
        moving = placed.spec.speed > 0
        if moving:
            over = t >= placed.shown_s + placed.spec.follow_s
        elif self._hit is not None:
            over = t >= self._hit + SETTLE_S
        else:
            over = t >= placed.shown_s + placed.spec.timeout_s
        if over:
            self._close(t, events)

    def _close(self, t: float, events: list[Event]) -> None:
        placed = self._active
        assert placed is not None
        hit = None if placed.spec.speed > 0 else self._hit
        result = measure_target(placed, self._track, hit, t, self.aspect, latency_s=self.latency_s)
        self.results.append(result)
        events.append(result)
        self._active = None
        self._ready_at = None


@dataclass
class TargetRun:
    """A whole track scored: what was shown, each target's result, in order."""

    shown: list[TargetShown] = field(default_factory=list)
    results: list[TargetResult] = field(default_factory=list)
    frame_interval_s: float = math.nan


def score_targets(
    task: TargetTask,
    schedule: list[TargetSpec],
    times: Array,
    landmarks: Array,
    aspect: float,
    latency_s: float = math.nan,
) -> TargetRun:
    """Run `schedule` against a stored track: `times` (frames,) seconds, `landmarks`
    (frames, 33, 4) normalised with NaN rows where no person was found."""
    t = np.asarray(times, dtype=np.float64)
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.ndim != 3 or lm.shape[1:] != (33, 4):
        raise TargetError(f"landmarks must be (frames, 33, 4); got {lm.shape}")
    if t.shape != (lm.shape[0],):
        raise TargetError(f"times must be one per frame ({lm.shape[0]}); got {t.shape}")
    if len(t) < 2 or not np.isfinite(t).all() or np.any(np.diff(t) <= 0):
        raise TargetError("times must be finite and strictly increasing, two frames or more")
    mode = TargetMode(task, schedule, aspect, latency_s)
    for ti, frame in zip(t, lm, strict=True):
        if np.isfinite(frame[:, :2]).all():
            mode.update(Frame(float(ti), frame, {}, "front"))
        else:
            mode.unseen(float(ti))
        if mode.done:
            break
    mode.finish(float(t[-1]))
    return TargetRun(mode.shown, mode.results, float(np.median(np.diff(t))))


def targets_summary(
    task: TargetTask, run: TargetRun, level: int | None, seed: int | None, latency_s: float
) -> dict[str, Any]:
    """What a stored targets session keeps of its run (plain JSON), offline and live alike:
    the task, level and seed that drew the schedule, the timing resolution, what was shown,
    each target's result and the left/right comparison (the session page and the JSON export
    read it as the session summary's "targets")."""
    summary: dict[str, Any] = json_safe(
        {
            "task": task.id,
            "layout": task.targets.layout,
            "level": level,
            "seed": seed,
            "frame_interval_s": run.frame_interval_s,
            "latency_s": latency_s,
            "shown": [to_json(e) for e in run.shown],
            "results": [to_json(e) for e in run.results],
            "hands": compare_hands(run.results),
        }
    )
    return summary
