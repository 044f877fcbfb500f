"""Hold mode: time a balance hold while the definition's conditions are met.

The hold tracker (scoring.holds) decides when a hold starts, touches down and ends; this mode
turns the measures into its yes / no / can't-see condition, the body's centre into sway, and
its progress into one event per whole second held. Frame fault rules apply in the "hold"
and "rest" phases.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from pose.landmarks import Landmark as L
from pose.types import Array
from scoring.definition import HoldRule
from scoring.events import Event, HoldEnded, HoldProgress
from scoring.holds import Hold, HoldSettings, HoldTracker
from scoring.modes.base import Frame, Mode, Shared, Step
from scoring.signals import side_values


class HoldMode(Mode):
    """Times holds of `rule`; `aspect` (image width over height) makes sway isotropic."""

    def __init__(self, rule: HoldRule, aspect: float, shared: Shared) -> None:
        self.rule = rule
        self.aspect = aspect
        self.shared = shared
        settings = HoldSettings(rule.min_start_s, rule.touchdown_max_s, rule.min_hold_s)
        self._hold = HoldTracker(settings)
        self._last_progress_s = -1.0

    def visible(self, values: Mapping[str, float]) -> bool:
        """Every condition's measure is seen on at least one side."""
        for cond in self.rule.conditions:
            sig = side_values(values, cond.measure, cond.side)
            if not any(math.isfinite(v) for v in sig.values()):
                return False
        return True

    def update(self, frame: Frame) -> Step:
        rule, state, step = self.rule, self.shared.state, Step()
        t = frame.t
        ok = self._conditions_met(frame.values)
        centre, height = centre_and_height(frame.landmarks, self.aspect)
        hold = self._hold.update(t, ok, centre, height)
        if hold is not None:
            step.events.append(self._ended(hold))
        state.hold_active = self._hold.active
        state.hold_elapsed_s = round(self._hold.elapsed(t), 2)
        state.phase = "working" if self._hold.active else "rest"
        if self._hold.active:
            whole = int(state.hold_elapsed_s)
            if whole > self._last_progress_s:
                self._last_progress_s = whole
                step.events.append(HoldProgress(t=t, elapsed_s=whole, target_s=rule.target_s))
        else:
            self._last_progress_s = -1
        phase = "hold" if self._hold.active else "rest"
        hits, step.hot = self.shared.monitor.update(t, frame.values, phase, frame.view, None)
        for hit in hits:
            step.events.append(self.shared.fault(t, hit.rule, None, hit.joints, hit.side))
        return step

    def unseen(self, t: float) -> list[Event]:
        """Can't see: neither a lapse nor progress, until it lasts too long."""
        hold = self._hold.update(t, None)
        return [self._ended(hold)] if hold is not None else []

    def finish(self, t: float) -> list[Event]:
        hold = self._hold.finish(t)
        return [self._ended(hold)] if hold is not None else []

    def _conditions_met(self, values: Mapping[str, float]) -> bool | None:
        """All conditions true, one false, or None when one cannot be measured."""
        ok: bool | None = True
        for cond in self.rule.conditions:
            finite = [
                v for v in side_values(values, cond.measure, cond.side).values() if math.isfinite(v)
            ]
            if not finite:
                return None
            v = finite[0]
            if (cond.above is not None and v <= cond.above) or (
                cond.below is not None and v >= cond.below
            ):
                ok = False
        return ok

    def _ended(self, hold: Hold) -> HoldEnded:
        ev = HoldEnded(
            t=hold.end_s,
            start_s=round(hold.start_s, 3),
            end_s=round(hold.end_s, 3),
            duration_s=round(hold.duration_s, 2),
            sway=round(hold.sway, 4),
            touch_downs=hold.touch_downs,
        )
        self.shared.holds.append(ev)
        return ev


def centre_and_height(
    landmarks: Array, aspect: float
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
