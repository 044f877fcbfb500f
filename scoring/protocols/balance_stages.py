"""The four balance stages from one continuous recording: each stage found from the feet.

In the test the patient takes each stance in turn (feet side by side, semi-tandem, tandem,
one leg), holds it 10 s, and moves a foot to take the next; a step, or a foot put down,
ends a stance. So the recording is cut where a foot moves: a *placement* is a stretch with
both feet down and still (stages 1-3), or with one foot up and the standing foot still
(stage 4). Placements shorter than `SETTLE_S` are the feet being arranged, not an attempt.
Placements are matched to the stages in the test's order: the first placement after the
previous stage that keeps the next stage's stance (its exercise definition's hold
conditions, e.g. `feet_separation` below 0.4 for tandem) is that stage's attempt, timed as
the one-video form times it (scoring.protocols.stance: to the first lapse, capped at 10 s).

From the front the camera sees how narrow the feet are, not how far one is ahead: side by
side and semi-tandem both read narrow, and they are told apart by their order and the foot
moved between them. A hand on a wall or a chair cannot be seen (the model sees the body, not
the support): the result says so, and the therapist watches for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pose.types import Array, FloatArray
from scoring.definition import HoldRule
from scoring.protocols.motion import rate, runs, smooth
from scoring.protocols.norms import Norms, ProtocolResult
from scoring.protocols.stance import StageTrack, feet_judged, four_stage_balance, hold_condition
from scoring.words import say

# The measures the test reads beyond the stances' own (scoring.measures).
FEET_MEASURES = ("heel_x", "heel_y", "foot_lift", "leg_length")
MOVE = 0.15  # leg lengths a second: a heel faster than this is moving (standing jitter: < 0.1)
LIFTED = 0.1  # leg lengths (foot_lift): a foot higher than this above the other is up
SETTLE_S = 1.0  # a placement shorter than this is the feet being arranged
BRIDGE_S = 0.2  # a break shorter than this within a placement is the model's jitter
SINGLE_LEG = "single_leg"


@dataclass(frozen=True)
class Placement:
    start_s: float
    end_s: float
    one_leg: bool
    first: int  # frame indices [first, last)
    last: int


def _heel_speeds(t: FloatArray, values: Mapping[str, Array]) -> tuple[FloatArray, FloatArray]:
    leg = smooth(t, np.asarray(values["leg_length"], float), 1.0)
    speeds = []
    for side in ("left", "right"):
        vx = rate(t, smooth(t, np.asarray(values[f"heel_x_{side}"], float), 0.1))
        vy = rate(t, smooth(t, np.asarray(values[f"heel_y_{side}"], float), 0.1))
        speeds.append(np.hypot(vx, vy) / leg)
    return speeds[0], speeds[1]


def _bridged(t: FloatArray, mask: Array) -> Array:
    """`mask` with its False breaks shorter than BRIDGE_S filled in."""
    out = np.asarray(mask, bool).copy()
    for a, b in runs(~out):
        if a > 0 and b < len(t) and t[b] - t[a - 1] < BRIDGE_S:
            out[a:b] = True
    return out


def placements(t: Array, values: Mapping[str, Array]) -> list[Placement]:
    """Stretches with the feet still: both down (`one_leg` False) or one up with the
    standing foot still (`one_leg` True), at least SETTLE_S long."""
    t = np.asarray(t, float)
    speed_l, speed_r = _heel_speeds(t, values)
    lift_l = smooth(t, np.asarray(values["foot_lift_left"], float), 0.05)
    lift_r = smooth(t, np.asarray(values["foot_lift_right"], float), 0.05)
    with np.errstate(invalid="ignore"):
        up = np.fmax(lift_l, lift_r) > LIFTED
        down = np.fmax(lift_l, lift_r) <= LIFTED
        both_still = (speed_l < MOVE) & (speed_r < MOVE)
        standing_still = np.where(lift_l > lift_r, speed_r < MOVE, speed_l < MOVE)
    out = []
    for one_leg, mask in ((False, down & both_still), (True, up & standing_still)):
        for a, b in runs(_bridged(t, mask)):
            if t[b - 1] - t[a] >= SETTLE_S:
                out.append(Placement(float(t[a]), float(t[b - 1]), one_leg, a, b))
    return sorted(out, key=lambda p: p.start_s)


def _keeps(cond: FloatArray, p: Placement) -> bool:
    """Whether the placement keeps a stance: its condition true in most frames judged."""
    part = cond[p.first : p.last]
    judged = part[np.isfinite(part)]
    return len(judged) > 0 and float(np.mean(judged)) >= 0.8


def stage_tracks(
    t: Array,
    values: Mapping[str, Array],
    rules: Sequence[tuple[str, HoldRule]],
) -> tuple[list[StageTrack], list[Placement]]:
    """Each stage's attempt in the recording, as the per-stage form's StageTrack (the stance's
    condition, false outside the placement), in order; stops at the first stage not found."""
    t = np.asarray(t, float)
    found: list[StageTrack] = []
    used: list[Placement] = []
    after = -np.inf
    candidates = placements(t, values)
    for stage_id, rule in rules:
        cond = hold_condition(values, rule)
        one_leg = stage_id == SINGLE_LEG
        match = next(
            (
                p
                for p in candidates
                if p.start_s > after and p.one_leg == one_leg and _keeps(cond, p)
            ),
            None,
        )
        if match is None:
            break
        window = np.zeros(len(t), bool)
        window[match.first : match.last] = True
        found.append(StageTrack(stage_id, t, np.where(window, cond, 0.0), rule))
        used.append(match)
        after = match.end_s
    return found, used


def four_stages_in_one(
    t: Array,
    values: Mapping[str, Array],
    rules: Sequence[tuple[str, HoldRule]],
    *,
    norms: Norms,
) -> ProtocolResult:
    """The four-stage balance test on one continuous recording (see the module docstring):
    the per-stage form's result, with each stage's placement times."""
    found, used = stage_tracks(t, values, rules)
    result = four_stage_balance(found, norms=norms)
    judged = float(np.isfinite(hold_condition(values, rules[0][1])).mean()) if len(t) else 0.0
    if judged < 0.5:
        result.warnings.append(feet_judged(judged))
    for stage, placement in zip(result.measured["stages"], used, strict=False):
        stage["start_s"] = placement.start_s
        stage["end_s"] = placement.end_s
    result.measured["recording"] = "one continuous recording"
    result.measured["support"] = "not detectable"
    if len(found) < len(rules):
        missing = rules[len(found)][0]
        if not found or result.measured["stages"][len(found) - 1]["status"] == "passed":
            result.warnings.append(
                say(
                    "no {stance} stance found after the previous stage: each stance needs both "
                    "feet still (one foot up for the last) for at least {seconds} s, feet in "
                    "the picture, facing the camera",
                    stance=missing.replace("_", " "),  # the stage's id, as the English says it
                    seconds=SETTLE_S,
                )
            )
    return result
