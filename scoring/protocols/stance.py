"""Timed balance stances: single-leg stance per side and the four-stage balance test.

A stance is an exercise definition's hold (its conditions, e.g. `foot_lift` of the lifted
foot above 0.1 leg lengths), run through the engine's HoldTracker. The clinical clock differs
from the coaching one: the tracker lets a short touch-down pass (the hold goes on, the
touch-down is counted), but a clinical stance ends at the first touch-down. So the stance time
is from the start of the hold to its first lapse (or its end), capped at the test's maximum.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pose.types import Array
from scoring.definition import HoldRule
from scoring.holds import Hold, HoldSettings, HoldTracker
from scoring.protocols.norms import Band, Norms, ProtocolResult, clauses, fixed
from scoring.protocols.tracking import LEGS, lost_warnings
from scoring.words import Say, psay, say

# A leg as the verdicts name it.
SIDES: dict[str, Say] = {"left": psay("leg", "left"), "right": psay("leg", "right")}


@dataclass(frozen=True)
class StanceTime:
    start_s: float
    stance_s: float  # until the first touch-down, the end of the hold or the cap
    hold_s: float  # the whole hold, short touch-downs included
    touch_downs: int
    capped: bool  # reached the test's maximum


def _combine(values: Mapping[str, Array], base: str, side: str) -> Array:
    """Vectorised scoring.signals.side_values for one rule (no "each")."""
    if base in values:
        return np.asarray(values[base], float)
    left = np.asarray(values.get(f"{base}_left"), float)
    right = np.asarray(values.get(f"{base}_right"), float)
    if side == "left":
        return left
    if side == "right":
        return right
    with np.errstate(invalid="ignore"):
        if side == "max":
            return np.fmax(left, right)
        both = np.stack([left, right])
        count = np.isfinite(both).sum(axis=0)
        return np.where(count > 0, np.nansum(both, axis=0) / np.maximum(count, 1), np.nan)


def hold_condition(values: Mapping[str, Array], rule: HoldRule) -> Array:
    """Per frame: 1.0 all conditions true, 0.0 one is false, NaN one cannot be seen.

    The same test as the engine's hold (scoring.engine), over whole arrays.
    """
    ok: Array | None = None
    unseen: Array | None = None
    for cond in rule.conditions:
        v = _combine(values, cond.measure, cond.side)
        good = np.isfinite(v)
        with np.errstate(invalid="ignore"):
            if cond.above is not None:
                good &= v > cond.above
            if cond.below is not None:
                good &= v < cond.below
        ok = good if ok is None else ok & good
        unseen = ~np.isfinite(v) if unseen is None else unseen | ~np.isfinite(v)
    assert ok is not None and unseen is not None
    return np.where(unseen, np.nan, ok.astype(float))


def timed_stances(t: Array, condition: Array, rule: HoldRule, max_s: float) -> list[StanceTime]:
    """Every hold in the track with its clinical stance time (see the module docstring)."""
    tracker = HoldTracker(HoldSettings(rule.min_start_s, rule.touchdown_max_s, rule.min_hold_s))
    out: list[StanceTime] = []
    first_lapse: float | None = None

    def close(hold: Hold) -> None:
        end = hold.end_s if first_lapse is None else min(first_lapse, hold.end_s)
        stance = end - hold.start_s
        out.append(
            StanceTime(
                start_s=hold.start_s,
                stance_s=min(stance, max_s),
                hold_s=hold.duration_s,
                touch_downs=hold.touch_downs,
                capped=stance >= max_s,
            )
        )

    for ti, c in zip(np.asarray(t, float), np.asarray(condition, float), strict=True):
        ok = None if not math.isfinite(c) else bool(c)
        was_active = tracker.active
        hold = tracker.update(float(ti), ok)
        if hold is not None:
            close(hold)
            first_lapse = None
        elif was_active and ok is False and first_lapse is None:
            first_lapse = float(ti)
        if not tracker.active and hold is None:
            first_lapse = None
    hold = tracker.finish(float(t[-1])) if len(t) else None
    if hold is not None:
        close(hold)
    return out


def best_stance(stances: Sequence[StanceTime]) -> StanceTime | None:
    return max(stances, key=lambda s: s.stance_s, default=None)


def single_leg_stance(
    t: Array,
    condition: Array,
    rule: HoldRule,
    *,
    side: str,
    norms: Norms,
    age: int | None = None,
) -> ProtocolResult:
    """Standing on `side`: the best stance time of the track (capped at the norms' `max_s`),
    touch-downs within that hold, compared with the age group's mean if an age is given."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be left or right, got {side!r}")
    max_s = norms.constant("max_s", 45.0)
    t = np.asarray(t, float)
    stances = timed_stances(t, condition, rule, max_s)
    best = best_stance(stances)
    warnings = lost_warnings(t, np.isfinite(condition), LEGS)
    band = norms.optional_band(age, warnings)
    measured: dict[str, object] = {
        "side": side,
        "attempts": len(stances),
        "max_s": max_s,
    }
    ref: dict[str, object] = {"max_s": max_s}
    if band is not None:
        ref.update({"band": band.label(), "mean_s": band.values["mean"]})
    if best is None:
        warnings.append(_no_stance(side))
        return ProtocolResult.of(
            norms,
            None,
            measured=measured,
            reference=ref,
            interpretation=say(
                "no single-leg stance on the {side} leg detected", side=SIDES.get(side, side)
            ),
            warnings=warnings,
            patient={"age": age, "side": side},
        )
    measured.update(
        {
            "stance_s": best.stance_s,
            "start_s": best.start_s,
            "hold_s": best.hold_s,
            "touch_downs": best.touch_downs,
            "reached_max": best.capped,
        }
    )
    return ProtocolResult.of(
        norms,
        best.stance_s,
        measured=measured,
        reference=ref,
        interpretation=_stance_verdict(best, band, max_s),
        warnings=warnings,
        patient={"age": age, "side": side},
    )


def _no_stance(side: str) -> Say:
    return say(
        "no stance on the {side} leg found (the other foot never lifted)",
        side=SIDES.get(side, side),
    )


def _stance_verdict(best: StanceTime, band: Band | None, max_s: float) -> Say:
    """The best stance time against the age group's mean, in words."""
    if band is not None:
        mean, who = band.values["mean"], band.words()
        if best.stance_s < mean:
            verdict = say("below the mean for {band} ({mean} s)", band=who, mean=mean)
        else:
            verdict = say("at or above the mean for {band} ({mean} s)", band=who, mean=mean)
    else:
        verdict = say("no age given: not compared with norms")
    if best.capped:
        return clauses(say("held the full {seconds} s", seconds=max_s), verdict)
    return verdict


@dataclass(frozen=True)
class StageTrack:
    """One stage's recording: its stance rule and the per-frame condition (see hold_condition)."""

    stage: str  # id from the norms file: feet_together, semi_tandem, tandem, single_leg
    t: Array
    condition: Array
    rule: HoldRule


def four_stage_balance(stages: Sequence[StageTrack], *, norms: Norms) -> ProtocolResult:
    """Each stage passes if its stance is held `hold_s` (10 s); the test stops at the first
    stage that fails. The result is the last stage passed (0-4)."""
    hold_s = norms.constant("hold_s", 10.0)
    risk_below = int(norms.constant("fall_risk_below_stage", 3))
    order = [s["id"] for s in norms.extra.get("stages", [])]
    names = {s["id"]: s["name"] for s in norms.extra.get("stages", [])}
    given = {s.stage: s for s in stages}
    unknown = [s for s in given if s not in order]
    if unknown:
        raise ValueError(f"unknown stage {unknown[0]!r}; stages: {', '.join(order)}")
    passed = 0
    per_stage: list[dict[str, object]] = []
    warnings: list[str] = []
    stopped = False
    for i, sid in enumerate(order, start=1):
        track = given.get(sid)
        if stopped or track is None:
            per_stage.append({"stage": i, "id": sid, "status": "not tested"})
            stopped = True
            continue
        ok, held = _stage_held(track, hold_s)
        warnings += _stage_warnings(i, track)
        per_stage.append(
            {"stage": i, "id": sid, "held_s": held, "status": "passed" if ok else "failed"}
        )
        if ok:
            passed = i
        else:
            stopped = True
    failed = any(p["status"] == "failed" for p in per_stage)
    if not failed and passed < len(order):
        warnings.append(
            say(
                "stages {first}-{last} not recorded: result is incomplete",
                first=passed + 1,
                last=len(order),
            )
        )
    return ProtocolResult.of(
        norms,
        float(passed),
        measured={"stages": per_stage, "last_stage_passed": passed},
        reference={"hold_s": hold_s, "fall_risk_if_below_stage": risk_below},
        interpretation=balance_verdict(passed, failed, order, names, hold_s, risk_below),
        warnings=warnings,
    )


def _stage_held(track: StageTrack, hold_s: float) -> tuple[bool, float]:
    """Whether the stage's best stance lasted `hold_s`, and how long it lasted. Frames are
    discrete: half a frame interval short of the full time is allowed."""
    dt = float(np.median(np.diff(track.t))) if len(track.t) > 1 else 0.0
    best = best_stance(timed_stances(track.t, track.condition, track.rule, hold_s))
    held = best.stance_s if best else 0.0
    return held >= hold_s - dt / 2, held


def _stage_warnings(i: int, track: StageTrack) -> list[str]:
    """Where stage `i`'s feet were lost, and a word when they were judged too rarely."""
    seen = np.isfinite(track.condition)
    warnings: list[str] = [
        say("stage {stage}: {warning}", stage=i, warning=w)
        for w in lost_warnings(track.t, seen, psay("body part", "feet"))
    ]
    if seen.mean() < 0.5:
        warnings.append(say("stage {stage}: {warning}", stage=i, warning=feet_judged(seen.mean())))
    return warnings


def feet_judged(share: float) -> Say:
    """The warning that the feet were judged in only `share` of the frames."""
    return say(
        "feet judged in only {percent}% of frames; the stances need a front view with the feet "
        "in the picture",
        percent=fixed(share * 100, 0),
    )


def balance_verdict(
    passed: int,
    failed: bool,
    order: list[str],
    names: dict[str, str],
    hold_s: float,
    risk_below: int,
) -> Say:
    """The last stage held, and the fall risk when a stage below `risk_below` failed. A
    stage's name is the norms file's words (in the catalogs); the failed stage is named by
    its id, as the English words always did."""
    if passed == len(order):
        verdict = say("held all {count} stances {seconds} s", count=len(order), seconds=hold_s)
    elif passed == 0:
        first = Say(names.get(order[0], order[0]))
        verdict = say("could not hold stage 1 ({stage}) {seconds} s", stage=first, seconds=hold_s)
    else:
        verdict = say(
            "last stage held {seconds} s: {stage} ({name})",
            seconds=hold_s,
            stage=passed,
            name=Say(str(names.get(order[passed - 1]))),
        )
    if failed and passed < risk_below:
        return clauses(
            verdict,
            say(
                "stage {stage} ({id}) not held {seconds} s: increased fall risk",
                stage=risk_below,
                id=order[risk_below - 1],
                seconds=hold_s,
            ),
        )
    return verdict
