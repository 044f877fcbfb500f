"""Fault rules evaluated frame by frame: a threshold must hold for a while to count.

Each rule declares the camera view it needs; in the wrong view it is skipped (the engine
warns once) rather than guessing. A fault fires at most once per rep, or once per
`repeat_s` outside reps, so the patient hears about it without being flooded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from pose.landmarks import Landmark
from scoring.definition import FaultRule
from scoring.measures import find
from scoring.reps import Rep
from scoring.signals import side_difference, side_values
from scoring.view import view_satisfies


def fault_joints(rule: FaultRule, side: str) -> tuple[int, ...]:
    """Landmark indices to draw in red for this rule (explicit, else from the measure)."""
    if rule.joints:
        return tuple(Landmark[name.upper()].value for name in rule.joints)
    return measure_joints(rule.measure, side)


def measure_joints(measure: str | None, side: str) -> tuple[int, ...]:
    """Landmark indices of the joints a measure is about (its `parts`, scoring.measures), on
    `side` (or both)."""
    m = find(measure) if measure else None
    parts = m.parts if m is not None else ()
    sides = [side.upper()] if side in ("left", "right") else ["LEFT", "RIGHT"]
    return tuple(Landmark[f"{s}_{p}"].value for p in parts for s in sides)


@dataclass(frozen=True)
class FaultHit:
    rule: FaultRule
    side: str
    value: float
    joints: tuple[int, ...]


@dataclass
class _Track:
    since: float | None = None
    last_fired_rep: int | None = None
    last_fired_t: float = -1e9


@dataclass
class FaultMonitor:
    rules: list[FaultRule]
    repeat_s: float = 5.0
    _tracks: dict[tuple[str, str], _Track] = field(default_factory=dict)

    def frame_rules(self) -> list[FaultRule]:
        return [r for r in self.rules if r.kind in ("threshold", "side_difference")]

    def skipped(self, view: str) -> list[str]:
        return [r.id for r in self.rules if not view_satisfies(view, r.view)]

    def update(
        self, t: float, values: Mapping[str, float], phase: str, view: str, rep: int | None
    ) -> tuple[list[FaultHit], set[int]]:
        """Faults that fire now, and the joints currently at fault (for drawing)."""
        hits: list[FaultHit] = []
        hot: set[int] = set()
        for rule in self.frame_rules():
            if rule.phase != "any" and rule.phase != phase:
                self._reset(rule)
                continue
            if not view_satisfies(view, rule.view):
                self._reset(rule)
                continue
            assert rule.measure is not None
            if rule.kind == "side_difference":
                signals = {"": side_difference(values, rule.measure)}
            else:
                signals = side_values(values, rule.measure, rule.side)
            for side, value in signals.items():
                track = self._tracks.get((rule.id, side))
                if track is None:  # (not setdefault: that makes a _Track every frame)
                    track = self._tracks[(rule.id, side)] = _Track()
                if not violates(rule, value):
                    track.since = None
                    continue
                if track.since is None:
                    track.since = t
                if t - track.since < rule.min_duration_s:
                    continue
                joints = fault_joints(rule, side)
                hot.update(joints)
                if rep is not None:
                    if track.last_fired_rep == rep:
                        continue
                elif t - track.last_fired_t < self.repeat_s:
                    continue
                track.last_fired_rep = rep
                track.last_fired_t = t
                hits.append(FaultHit(rule, side, value, joints))
        return hits, hot

    def _reset(self, rule: FaultRule) -> None:
        for key, track in self._tracks.items():
            if key[0] == rule.id:
                track.since = None


def violates(rule: FaultRule, value: float) -> bool:
    if not math.isfinite(value):
        return False
    if rule.above is not None and value > rule.above:
        return True
    return rule.below is not None and value < rule.below


def rep_peak_short(rep: Rep, target: float, share: float) -> bool:
    """Did the rep cover less than `share` of the way from its own resting value to the
    target? Both ends are the rep's own: its range is measured from where it started, so the
    range it should have covered is too (measuring that from the counting threshold `exit`
    instead would credit the stretch between rest and `exit` twice and let a shallow rep pass)."""
    span = abs(target - rep.rest) if math.isfinite(rep.rest) else math.nan
    return math.isfinite(span) and rep.rom < share * span
