"""Timed Up and Go: from the first movement of rising out of the chair to sitting down again,
after walking 3 m, turning and walking back; with its phases and steps.

Sitting is read from the thighs (scoring.measures `thigh_drop`: the knee's drop below the hip
in shank lengths, about 1 standing and 0.1-0.3 seated, from the side or from the front),
relative to this patient's own seated and standing levels in the recording, so a camera high
in front (where `hip_height` reads 0.78 seated, above the sit-to-stand definition's 0.70) or
at the side reads the same. The patient must be seated when the recording starts.

Events (each on a zero-phase smoothed signal, scoring.protocols.motion):
- seat-off: the thighs pass half-way from the seated to the standing level;
- rise onset (the clock starts): the end of the last rest before seat-off (the shoulders
  within `ONSET_TRUNK` trunk lengths of where they rested while seated for at least `REST_S`):
  the first movement of the trunk, as an examiner's stopwatch starts on the first movement;
- seat contact (the clock stops): the thighs pass half-way back down at the end;
- upright and the start of the sit: the thighs within `UPRIGHT` of the standing level.
Between upright and the sit, the walk: `progress` is how far the pelvis is from where the
patient stood up, across the picture (in trunk lengths) and in depth (from the change of the
trunk's length in the picture). The far turn is where progress stops growing, around its peak
(or, if the patient was out of view there, the time unseen); the walk back ends where the
approach to the chair slows; turning and sitting make the last phase.

A walking aid or a hand on a support cannot be seen by a pose model (it sees the body, not a
cane, a walker or an armrest): the result says "not detectable".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pose.types import Array, FloatArray
from scoring.protocols.gait import patient_only, someone_else
from scoring.protocols.motion import at, crossings, rate, runs, smooth
from scoring.protocols.norms import Band, Norms, ProtocolResult, clauses, fixed
from scoring.protocols.steps import detect_steps, heel_values
from scoring.protocols.tracking import LEGS, lost_warnings
from scoring.words import Param, Say, say

# The measures the test reads (scoring.measures).
TUG_MEASURES = (
    "thigh_drop",
    "leg_length",
    "pelvis_x",
    "pelvis_y",
    "shoulders_x",
    "shoulders_y",
    "heel_x",
    "heel_y",
)
SIGMA_S = 0.06  # smoothing of the thighs and shoulders: keeps events to a frame or two
MIN_SEPARATION = 0.3  # shank lengths between seated and standing thighs, or no sitting seen
UPRIGHT = 0.15  # of the seated-to-standing range: within it of the standing level is upright
ONSET_TRUNK = 0.1  # trunk lengths the shoulders move from rest: the rise has begun
REST_S = 0.3  # the shoulders within ONSET_TRUNK of rest this long: still at rest
REST_WINDOW = (2.0, 0.8)  # seconds before seat-off: where the shoulders rest while seated
MIN_STAND_S = 2.0  # a rise shorter than this is not the test's walk
DEPTH_WEIGHT = 8.0  # trunk lengths of progress per unit log change of the trunk's length
TURN_SPEED = 0.35  # of the walking speed: slower than this near the far end is turning
FAR_END = 0.6  # of the peak progress: an unseen stretch beyond it is the far turn
TOTAL_S_ERROR = 0.3  # seconds: the largest error of the total on the labelled clips


@dataclass
class TugEvents:
    onset_s: float = math.nan
    seat_off_s: float = math.nan
    upright_s: float = math.nan
    sit_start_s: float = math.nan
    contact_s: float = math.nan
    phases: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def total_s(self) -> float:
        return self.contact_s - self.onset_s


def sitting_levels(thighs: FloatArray) -> tuple[float, float]:
    """(seated, standing) thigh levels: the medians of the values below and above the
    middle of their range (5th to 95th percentile)."""
    seen = thighs[np.isfinite(thighs)]
    if len(seen) < 10:
        return math.nan, math.nan
    lo, hi = np.percentile(seen, [5, 95])
    mid = (lo + hi) / 2
    return float(np.median(seen[seen < mid])), float(np.median(seen[seen >= mid]))


def stand_period(t: FloatArray, thighs: FloatArray, mid: float) -> tuple[float, float] | None:
    """(seat-off, seat contact) of the first time the patient stands at least MIN_STAND_S
    and sits down again: the thighs' crossings of `mid` up, then down."""
    ups = crossings(t, thighs, mid, rising=True)
    downs = crossings(t, thighs, mid, rising=False)
    for up in ups:
        later = [d for d in downs if d > up + MIN_STAND_S]
        if later:
            return up, later[0]
    return None


def rise_onset(
    t: FloatArray, shoulders: FloatArray, trunk: FloatArray, seat_off: float
) -> tuple[float, str | None]:
    """The end of the last rest (the shoulders within ONSET_TRUNK trunk lengths of their seated
    position for REST_S) before `seat_off`; with a warning when the recording has no rest
    before the rise."""
    early, late = REST_WINDOW
    rest = (t >= seat_off - early) & (t <= seat_off - late) & np.isfinite(shoulders).all(axis=1)
    if rest.sum() < 3:
        return float(t[np.isfinite(shoulders).all(axis=1)][0]), (
            say("the recording starts as the patient rises: the time may be short")
        )
    home = np.median(shoulders[rest], axis=0)
    size = float(np.nanmedian(trunk[rest]))
    moved = np.hypot(*(shoulders - home).T) / size
    before = t <= seat_off
    with np.errstate(invalid="ignore"):
        still = before & (moved <= ONSET_TRUNK)
    rests = [(a, b) for a, b in runs(still) if t[b - 1] - t[a] >= REST_S]
    if not rests:
        return float(t[np.flatnonzero(still)[-1]]) if still.any() else seat_off, None
    return float(t[rests[-1][1] - 1]), None


def _xy(values: Mapping[str, Array], part: str) -> FloatArray:
    return np.stack([values[f"{part}_x"], values[f"{part}_y"]], axis=1).astype(float)


def progress(
    t: FloatArray, values: Mapping[str, Array], start: float, upright: float
) -> FloatArray:
    """How far the patient is from where they stood up: the pelvis's distance across the
    picture plus DEPTH_WEIGHT times the log change of the trunk's length in the picture
    (depth), in trunk lengths, smoothed; NaN where not seen. Across only: sitting moves the
    pelvis down, not across; the trunk, not the legs: a seated thigh looks short from the
    front."""
    pelvis = _xy(values, "pelvis")
    trunk = np.hypot(*(_xy(values, "shoulders") - pelvis).T)
    chair_x = at(t, pelvis[:, 0], start)
    standing = (t >= upright) & (t <= upright + 1.0) & np.isfinite(trunk)
    trunk0 = float(np.median(trunk[standing])) if standing.any() else float(np.nanmedian(trunk))
    across = np.abs(pelvis[:, 0] - chair_x) / trunk0
    with np.errstate(invalid="ignore", divide="ignore"):
        depth = DEPTH_WEIGHT * np.abs(np.log(smooth(t, trunk, 0.3) / trunk0))
    return smooth(t, across + depth, 0.15)


def _far_turn(t: FloatArray, p: FloatArray, walk: Array) -> tuple[float, float, bool] | None:
    """(start, end, seen) of the turn at the far end of the walk (see the module docstring)."""
    seen = walk & np.isfinite(p)
    if seen.sum() < 5:
        return None
    peak = float(np.max(p[seen]))
    for a, b in runs(walk & ~np.isfinite(p)):
        unseen = a > 0 and b < len(t) and t[b] - t[a - 1] >= 0.5
        if unseen and max(p[a - 1], p[b]) >= FAR_END * peak:
            return float(t[a - 1]), float(t[b]), False
    v = rate(t, p)
    going = seen & (p > 0.2 * peak) & (p < 0.8 * peak)
    v_walk = float(np.median(np.abs(v[going]))) if going.any() else math.nan
    k = int(np.flatnonzero(seen)[np.argmax(p[seen])])
    slow = seen & (np.abs(v) < TURN_SPEED * v_walk)
    a = b = k
    while a > 0 and slow[a - 1]:
        a -= 1
    while b < len(t) - 1 and slow[b + 1]:
        b += 1
    return float(t[a]), float(t[b]), True


def _back_end(t: FloatArray, p: FloatArray, after: float, before: float) -> float:
    """The end of the walk back: the last moment, before the sit, the patient was still
    approaching the chair at walking pace."""
    v = rate(t, p)
    inside = (t > after) & (t < before) & np.isfinite(v)
    if not inside.any():
        return after
    v_walk = float(np.median(np.abs(v[inside])))
    approaching = inside & (v <= -TURN_SPEED * max(v_walk, 1e-6))
    return float(t[np.flatnonzero(approaching)[-1]]) if approaching.any() else after


def phases(t: FloatArray, values: Mapping[str, Array], ev: TugEvents) -> list[dict[str, Any]]:
    """The five phases: sit-to-stand, walk out, turn, walk back, turn-to-sit."""
    p = progress(t, values, ev.onset_s, ev.upright_s)
    walk = (t >= ev.upright_s) & (t <= ev.sit_start_s)
    turn = _far_turn(t, p, walk)
    if turn is None:
        ev.warnings.append(say("the walk was not seen: no phases"))
        return []
    turn_start, turn_end, turn_seen = turn
    back_end = _back_end(t, p, turn_end, ev.sit_start_s)
    spans = [
        ("sit_to_stand", ev.onset_s, ev.upright_s, True),
        ("walk_out", ev.upright_s, turn_start, True),
        ("turn", turn_start, turn_end, turn_seen),
        ("walk_back", turn_end, back_end, True),
        ("turn_to_sit", back_end, ev.contact_s, True),
    ]
    if not turn_seen:
        ev.warnings.append(
            say(
                "the patient was out of view from {start} s to {end} s: "
                "the turn is that time unseen",
                start=fixed(turn_start, 1),
                end=fixed(turn_end, 1),
            )
        )
    return [
        {"phase": name, "start_s": a, "end_s": b, "duration_s": b - a, "seen": seen}
        for name, a, b, seen in spans
    ]


def tug_events(t: FloatArray, values: Mapping[str, Array]) -> TugEvents:
    """The clock's start and stop and the phases of one timed up-and-go (module docstring)."""
    ev = TugEvents()
    thighs = smooth(t, values["thigh_drop"], SIGMA_S)
    seated, standing = sitting_levels(thighs)
    if not standing - seated >= MIN_SEPARATION:
        ev.warnings.append(
            say(
                "sitting and standing could not be told apart (the thighs were not seen level "
                "and upright): film the whole body, the chair in view"
            )
        )
        return ev
    mid = (seated + standing) / 2
    first = np.flatnonzero(np.isfinite(thighs))[0]
    if thighs[first] >= mid:
        ev.warnings.append(
            say("the patient was not seated when the recording started: start it seated")
        )
        return ev
    period = stand_period(t, thighs, mid)
    if period is None:
        ev.warnings.append(say("no rise from the chair followed by sitting down again was found"))
        return ev
    ev.seat_off_s, ev.contact_s = period
    shoulders = np.stack([smooth(t, c, SIGMA_S) for c in _xy(values, "shoulders").T], axis=1)
    trunk = np.hypot(*(shoulders - _xy(values, "pelvis")).T)
    ev.onset_s, warning = rise_onset(t, shoulders, trunk, ev.seat_off_s)
    if warning:
        ev.warnings.append(warning)
    level = standing - UPRIGHT * (standing - seated)
    ups = [u for u in crossings(t, thighs, level, rising=True) if u >= ev.seat_off_s]
    downs = [d for d in crossings(t, thighs, level, rising=False) if d <= ev.contact_s]
    ev.upright_s = ups[0] if ups and ups[0] < ev.contact_s else ev.seat_off_s
    ev.sit_start_s = downs[-1] if downs and downs[-1] > ev.upright_s else ev.contact_s
    ev.phases = phases(t, values, ev)
    return ev


def timed_up_and_go(
    t: Array,
    values: Mapping[str, Array],
    *,
    norms: Norms,
    age: int | None = None,
    width: float | None = None,
) -> ProtocolResult:
    """The test on a track's TUG_MEASURES: the total time (None when no rise and sit were
    found), its phases and steps, against STEADI's cut-off and the age group's mean.
    `width`: the picture's width in image heights (steps at its edge are left out)."""
    t = np.asarray(t, float)
    values, other_s = patient_only(t, values)
    ev = tug_events(t, values)
    warnings = list(ev.warnings)
    if other_s > 0.5:
        warnings.append(someone_else(other_s))
    band = norms.optional_band(age, warnings)
    reference = _tug_reference(norms, band)
    if not math.isfinite(ev.total_s):
        return ProtocolResult.of(
            norms,
            None,
            measured={"walking_aid": "not detectable", "support": "not detectable"},
            reference=reference,
            interpretation=say(
                "no timed up-and-go found: {why}", why=warnings[0] if warnings else ""
            ),
            warnings=warnings,
            patient={"age": age},
        )
    inside = (t >= ev.onset_s) & (t <= ev.contact_s)
    warnings += lost_warnings(t[inside], np.isfinite(values["thigh_drop"])[inside], LEGS)
    walking = (t >= ev.upright_s) & (t <= ev.sit_start_s)
    left, right = heel_values(values)
    walk = detect_steps(t, left, right, values["leg_length"], walking, width=width)
    measured = _tug_measured(ev, [s.t for s in walk.steps])
    if any(not ph["seen"] for ph in ev.phases):
        warnings.append(say("steps while out of view are not counted"))
    return ProtocolResult.of(
        norms,
        ev.total_s,
        measured=measured,
        reference=reference,
        interpretation=_tug_verdict(ev.total_s, norms, band),
        warnings=warnings,
        patient={"age": age},
    )


def _tug_measured(ev: TugEvents, strikes: list[float]) -> dict[str, Any]:
    return {
        "total_s": ev.total_s,
        "plus_minus_s": TOTAL_S_ERROR,
        "total_from_seat_off_s": ev.contact_s - ev.seat_off_s,
        "events_s": {
            "rise_onset": ev.onset_s,
            "seat_off": ev.seat_off_s,
            "upright": ev.upright_s,
            "sit_start": ev.sit_start_s,
            "seat_contact": ev.contact_s,
        },
        "phases": ev.phases,
        "steps": len(strikes),
        "heel_strikes_s": strikes,
        "walking_aid": "not detectable",
        "support": "not detectable",
    }


def _tug_reference(norms: Norms, band: Band | None) -> dict[str, Any]:
    ref: dict[str, Any] = {"fall_risk_s": norms.constant("fall_risk_s")}
    if band is not None:
        ref.update(
            band=band.label(),
            mean_s=band.values["mean"],
            mean_ci_s=[band.values["ci_low"], band.values["ci_high"]],
        )
    return ref


def _tug_verdict(total: float, norms: Norms, band: Band | None) -> Say:
    """The time against STEADI's cut-off and, with an age, the age group's mean."""
    cut, time = norms.constant("fall_risk_s"), fixed(total, 1)
    if total >= cut:
        words = say("{total} s: {cut} s or more, at risk of falling (STEADI)", total=time, cut=cut)
    else:
        words = say("{total} s: under STEADI's {cut} s fall-risk cut-off", total=time, cut=cut)
    if band is None:
        return clauses(words, say("no age given: not compared with age norms"))
    ref: dict[str, Param] = {
        "band": band.words(),
        "mean": band.values["mean"],
        "high": band.values["ci_high"],
    }
    if total > band.values["ci_high"]:
        relation = say(
            "slower than average for {band} (mean {mean} s, 95% CI up to {high} s)", **ref
        )
    elif total < band.values["ci_low"]:
        relation = say(
            "faster than average for {band} (mean {mean} s, 95% CI up to {high} s)", **ref
        )
    else:
        relation = say("average for {band} (mean {mean} s, 95% CI up to {high} s)", **ref)
    return clauses(words, relation)
