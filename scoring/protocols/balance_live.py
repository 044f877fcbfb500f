"""The four-stage balance test live: one pose at a time, each stance found and timed as it
happens.

The stances are the ones the recorded form reads (scoring.protocols.balance_stages): each
stage's exercise hold conditions (`hold_condition`), both feet down and still for stages 1-3
and one foot up with the standing foot still for the last, settled for `SETTLE_S`. Live, the
patient is shown one stance at a time (`StageShown`); once they keep it for `SETTLE_S` its
clock runs from the moment they took it (`StageStarted`). A stage ends (`StageEnded`) when
it has been held `hold_s` (passed), or fails: a heel moves or a foot goes up or down
("stepped"), the stance is lost ("stance_lost"), the feet are not seen for `UNSEEN_S` or no
frame comes for as long ("feet_unseen"), the stance is not taken within `FIND_S`
("not_taken"), or the page says a hand went to a support ("support": the model cannot see
one). A lapse shorter than `BRIDGE_S` is the model's jitter. Stages 2-4 begin only after a
foot has moved (side by side and semi-tandem both read narrow from the front). The test
stops at the first stage failed (`BalanceDone`); `result` is the recorded form's result of
what was held.

Pure: landmarks and timestamps in, typed events (ids and numbers, no words) out.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from pose.types import Array, FloatArray
from scoring.definition import HoldRule
from scoring.events import BalanceDone, Event, StageEnded, StageShown, StageStarted
from scoring.measures import frame_measures, per_frame
from scoring.protocols.balance_stages import (
    BRIDGE_S,
    FEET_MEASURES,
    LIFTED,
    MOVE,
    SETTLE_S,
    SINGLE_LEG,
)
from scoring.protocols.norms import Norms, ProtocolResult
from scoring.protocols.stance import balance_verdict, hold_condition
from scoring.words import say

FIND_S = 20.0  # a stance not taken within this long after it is shown: the stage fails
UNSEEN_S = 2.0  # feet unseen this long during a stance: the stage cannot be judged
SPEED_S = 0.2  # heel speed over this span (with BRIDGE_S, a step lasts longer than jitter)

EndReason = Literal["held", "stepped", "stance_lost", "feet_unseen", "not_taken", "support"]


@dataclass
class _Attempt:
    """The stage in progress: when it was shown, when its stance was taken."""

    stage: int
    id: str
    rule: HoldRule
    shown_at: float
    moved: bool  # a foot has moved since it was shown (or it is the first stage)
    steady_since: float | None = None
    start_s: float | None = None  # the clock runs (StageStarted said)
    bad_since: float | None = None
    bad_reason: EndReason = "stance_lost"
    unseen_since: float | None = None


class StageTracker:
    """Runs the four stages on a stream of poses (see the module). `rules`: (stage id, the
    stance's hold rule) in the test's order, as the recorded form takes them."""

    def __init__(self, rules: Sequence[tuple[str, HoldRule]], *, norms: Norms) -> None:
        if not rules:
            raise ValueError("the test needs at least one stage")
        self.rules = list(rules)
        self.norms = norms
        self.hold_s = norms.constant("hold_s", 10.0)
        self.risk_below = int(norms.constant("fall_risk_below_stage", 3))
        names = {n for m in FEET_MEASURES for n in per_frame(m)}
        for _, rule in self.rules:
            names |= {n for c in rule.conditions for n in per_frame(c.measure)}
        self._names = sorted(names)
        self._heels: deque[tuple[float, FloatArray]] = deque()
        self._attempt: _Attempt | None = None
        self._last_t: float | None = None
        self.ended: list[StageEnded] = []
        self.done = False

    @property
    def stage(self) -> int:
        """The stage in progress (1-based; 0 before the first frame)."""
        return self._attempt.stage if self._attempt else len(self.ended)

    def update(self, t: float, landmarks: Array | None, aspect: float) -> list[Event]:
        """One pose (33, 4) at stream time `t` (None: no person): the events it decides."""
        if self.done:
            return []
        events: list[Event] = []
        if self._attempt is None:
            events.append(self._show(0, t, moved=True))
        attempt = self._attempt
        assert attempt is not None
        last, self._last_t = self._last_t, t
        if attempt.start_s is not None and last is not None and t - last >= UNSEEN_S:
            # No frames for a while (a reconnect): the stance cannot be judged across it.
            return events + self._end(attempt, t, held=last - attempt.start_s, reason="feet_unseen")
        values = self._values(landmarks, aspect)
        cond = self._condition(values, attempt.rule)
        moving, lifted = self._feet(t, values)
        if attempt.start_s is None:
            events += self._find(attempt, t, cond, moving, lifted)
        else:
            events += self._keep(attempt, t, cond, moving, lifted)
        return events

    def support(self, t: float) -> list[Event]:
        """The page says a hand went to a support: the stage in progress fails now."""
        attempt = self._attempt
        if self.done or attempt is None:
            return []
        return self._end(attempt, t, held=self._held(attempt, t), reason="support")

    def finish(self, t: float) -> list[Event]:
        """The stream ends: a stance in progress ends where it got to (not held)."""
        attempt = self._attempt
        if self.done or attempt is None:
            return []
        return self._end(attempt, t, held=self._held(attempt, t), reason="stance_lost")

    # ---- per frame -------------------------------------------------------------------
    def _values(self, landmarks: Array | None, aspect: float) -> dict[str, float]:
        if landmarks is None or not (aspect > 0 and math.isfinite(aspect)):
            return dict.fromkeys(self._names, math.nan)
        return frame_measures(np.asarray(landmarks, float), aspect, self._names)

    @staticmethod
    def _condition(values: dict[str, float], rule: HoldRule) -> bool | None:
        """The stance's hold conditions (scoring.protocols.stance), None where unseen."""
        c = float(hold_condition({k: np.array([v]) for k, v in values.items()}, rule)[0])
        return None if math.isnan(c) else bool(c)

    def _feet(self, t: float, values: dict[str, float]) -> tuple[bool | None, bool | None]:
        """(a heel is moving, one foot is up), None where unseen; as balance_stages.placements
        reads them: heel speed in leg lengths a second against MOVE, lift against LIFTED."""
        lift_l, lift_r = values["foot_lift_left"], values["foot_lift_right"]
        lifted = None if math.isnan(max(lift_l, lift_r)) else max(lift_l, lift_r) > LIFTED
        point = np.array(
            [values[f"heel_{a}_{s}"] for s in ("left", "right") for a in ("x", "y")], float
        )
        leg = values["leg_length"]
        if not np.isfinite(point).all() or not leg > 0:
            self._heels.clear()  # speeds start afresh once the heels are seen again
            return None, lifted
        self._heels.append((t, point))
        while len(self._heels) > 2 and t - self._heels[1][0] >= SPEED_S:
            self._heels.popleft()
        t0, p0 = self._heels[0]
        if t - t0 < SPEED_S / 2:
            return None, lifted
        speed = np.hypot(*(point - p0).reshape(2, 2).T) / leg / (t - t0)
        if lifted:  # one leg: only the standing foot must be still
            standing = 1 if lift_l > lift_r else 0
            return bool(speed[standing] > MOVE), lifted
        return bool(speed.max() > MOVE), lifted

    def _find(
        self, a: _Attempt, t: float, cond: bool | None, moving: bool | None, up: bool | None
    ) -> list[Event]:
        """Waiting for the stance: kept still for SETTLE_S starts its clock."""
        if moving:
            a.moved = True
        one_leg = a.id == SINGLE_LEG
        steady = a.moved and cond is True and moving is False and up is one_leg
        if not steady:
            a.steady_since = None
        elif a.steady_since is None:
            a.steady_since = t
        if a.steady_since is not None and t - a.steady_since >= SETTLE_S:
            a.start_s = a.steady_since
            return [StageStarted(t, a.stage, a.id, a.start_s, self.hold_s)]
        if t - a.shown_at >= FIND_S:
            return self._end(a, t, held=0.0, reason="not_taken")
        return []

    def _keep(
        self, a: _Attempt, t: float, cond: bool | None, moving: bool | None, up: bool | None
    ) -> list[Event]:
        """The stance's clock runs: held to `hold_s`, or ended by a lapse past BRIDGE_S."""
        assert a.start_s is not None
        if cond is None:
            a.unseen_since = t if a.unseen_since is None else a.unseen_since
            if t - a.unseen_since >= UNSEEN_S:
                return self._end(a, t, held=a.unseen_since - a.start_s, reason="feet_unseen")
        else:
            a.unseen_since = None
        stepped = bool(moving) or (up is not None and up is not (a.id == SINGLE_LEG))
        if stepped or cond is False:
            if a.bad_since is None:
                a.bad_since = t
                a.bad_reason = "stepped" if stepped else "stance_lost"
            if t - a.bad_since >= BRIDGE_S:
                return self._end(a, t, held=a.bad_since - a.start_s, reason=a.bad_reason)
        else:
            a.bad_since = None
        if t - a.start_s >= self.hold_s:
            return self._end(a, t, held=self.hold_s, reason="held")
        return []

    # ---- stages --------------------------------------------------------------------------
    def _show(self, index: int, t: float, *, moved: bool) -> StageShown:
        stage_id, rule = self.rules[index]
        self._attempt = _Attempt(index + 1, stage_id, rule, t, moved)
        return StageShown(t, index + 1, stage_id, self.hold_s)

    def _held(self, a: _Attempt, t: float) -> float:
        return 0.0 if a.start_s is None else min(self.hold_s, t - a.start_s)

    def _end(self, a: _Attempt, t: float, *, held: float, reason: EndReason) -> list[Event]:
        passed = reason == "held"
        ended = StageEnded(t, a.stage, a.id, round(max(0.0, held), 2), self.hold_s, passed, reason)
        self.ended.append(ended)
        events: list[Event] = [ended]
        if passed and a.stage < len(self.rules):
            events.append(self._show(a.stage, t, moved=False))
            return events
        self._attempt = None
        self.done = True
        last = self.last_stage_passed
        events.append(BalanceDone(t, last, len(self.rules), last < self.risk_below))
        return events

    @property
    def last_stage_passed(self) -> int:
        return sum(1 for e in self.ended if e.passed)

    def result(self) -> ProtocolResult:
        """What was held, as the recorded form's result (scoring.protocols.stance)."""
        order = [stage_id for stage_id, _ in self.rules]
        names = {s["id"]: s["name"] for s in self.norms.extra.get("stages", [])}
        per_stage: list[dict[str, object]] = []
        for i, sid in enumerate(order, start=1):
            ended = next((e for e in self.ended if e.stage == i), None)
            if ended is None:
                per_stage.append({"stage": i, "id": sid, "status": "not tested"})
                continue
            status = "passed" if ended.passed else "failed"
            per_stage.append(
                {
                    "stage": i,
                    "id": sid,
                    "held_s": ended.held_s,
                    "status": status,
                    "ended_by": ended.reason,
                }
            )
        passed = self.last_stage_passed
        failed = any(not e.passed for e in self.ended)
        warnings = (
            []
            if failed or passed == len(order)
            else [
                say(
                    "stages {first}-{last} not done: result is incomplete",
                    first=passed + 1,
                    last=len(order),
                )
            ]
        )
        return ProtocolResult.of(
            self.norms,
            float(passed),
            measured={
                "stages": per_stage,
                "last_stage_passed": passed,
                "recording": "live",
                "support": "said by the page"
                if any(e.reason == "support" for e in self.ended)
                else "not detectable",
            },
            reference={"hold_s": self.hold_s, "fall_risk_if_below_stage": self.risk_below},
            interpretation=balance_verdict(
                passed, failed, order, names, self.hold_s, self.risk_below
            ),
            warnings=warnings,
        )
