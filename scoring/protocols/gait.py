"""Gait from a walking clip: cadence, step time and its asymmetry, stride-time variability and,
with the patient's height, walking speed; each with its uncertainty, or "not measured" with
the reason when the recording cannot give it.

Heel strikes come from scoring.protocols.steps (any view the walk is filmed from). Steps
alternate feet, so the step times ending on one foot and on the other are told apart by their
order, whatever the model calls the feet (from the side it often swaps the far and the near
leg); they are named left and right only when the model's labels agree with that order.

Uncertainty: a heel strike is placed to within `EVENT_S` (the largest of one frame interval
and the error measured against hand-labelled strikes, docs/ACCURACY.md). Each figure is given
with a 95% interval (`plus_minus`) from that timing error and, for means, the spread of the
steps seen; stride-time variability also states the variability timing error alone would
show (`noise_floor_pct`), below which a measured value means nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pose.types import Array
from scoring.protocols.continuity import patient_frames
from scoring.protocols.norms import Band, NormError, Norms, ProtocolResult, clauses, fixed
from scoring.protocols.steps import Pass, Step, Walk, detect_steps, heel_values
from scoring.symmetry import symmetry_index
from scoring.words import Param, Say, say

# The measures the test reads (scoring.measures).
GAIT_MEASURES = (
    "heel_x",
    "heel_y",
    "leg_length",
    "pelvis_x",
    "pelvis_y",
    "shoulders_x",
    "shoulders_y",
)
EVENT_S = 0.05  # seconds: a heel strike's timing error (benchmarks/everyday.py measures it)
MIN_STEPS = 4  # heel strikes in all passes for a cadence
MIN_STRIDES = 4  # strides for a variability
ACROSS_MIN = 0.9  # |x| of the direction of travel: walking across the picture
FLAT_MAX = 0.15  # |log| of the leg length's change over a pass: at one distance
SPEED_SCALE_ERROR = 0.06  # relative: leg length from height (anthropometry) and its 2-D length
Z95 = 1.96


def not_measured(why: str) -> dict[str, Any]:
    return {"value": None, "status": "not measured", "why": why}


def measured(value: float, plus_minus: float, **rest: Any) -> dict[str, Any]:
    return {"value": value, "plus_minus": plus_minus, "status": "measured", **rest}


def body_centre(values: Mapping[str, Array]) -> tuple[Array, Array, Array]:
    """(x, y, trunk length) per frame: the body's centre between pelvis and shoulders."""
    px, py = np.asarray(values["pelvis_x"], float), np.asarray(values["pelvis_y"], float)
    sx, sy = np.asarray(values["shoulders_x"], float), np.asarray(values["shoulders_y"], float)
    return (px + sx) / 2, (py + sy) / 2, np.hypot(sx - px, sy - py)


def patient_only(t: Array, values: Mapping[str, Array]) -> tuple[dict[str, Array], float]:
    """The measures with another person's frames blanked (scoring.protocols.continuity), and
    how many seconds of someone else were blanked."""
    cx, cy, size = body_centre(values)
    keep = patient_frames(t, cx, cy, size)
    other = np.isfinite(cx) & ~keep
    dt = np.diff(np.asarray(t, float), append=float(t[-1]) if len(t) else 0.0)
    out = {k: np.where(keep, np.asarray(v, float), np.nan) for k, v in values.items()}
    return out, float(dt[other].sum())


def step_times(steps: Sequence[Step]) -> list[tuple[float, Step]]:
    """(step time, the step that ends it) of consecutive strikes within a pass."""
    return [
        (b.t - a.t, b)
        for a, b in zip(steps, steps[1:], strict=False)
        if a.pass_index == b.pass_index
    ]


def stride_times(steps: Sequence[Step]) -> list[float]:
    """Time from each strike to the next strike of the same foot (two steps on), in a pass."""
    return [
        c.t - a.t for a, c in zip(steps, steps[2:], strict=False) if a.pass_index == c.pass_index
    ]


def cadence(steps: Sequence[Step], passes: Sequence[Pass], event_s: float) -> dict[str, Any]:
    """Steps a minute over the walking seen: step intervals over their time, passes pooled."""
    if len(steps) < MIN_STEPS:
        return not_measured(
            say(
                "{count} heel strikes seen; at least {needed} are needed",
                count=len(steps),
                needed=MIN_STEPS,
            )
        )
    intervals, span = 0, 0.0
    for k in range(len(passes)):
        mine = [s.t for s in steps if s.pass_index == k]
        if len(mine) >= 2:
            intervals += len(mine) - 1
            span += mine[-1] - mine[0]
    if intervals < MIN_STEPS - 1 or span <= 0:
        return not_measured(say("too few steps within one straight stretch of walking"))
    value = 60.0 * intervals / span
    times = np.array([d for d, _ in step_times(steps)])
    timing = math.sqrt(2) * event_s / span  # relative, the two ends of each pass
    spread = float(np.std(times, ddof=1) / np.mean(times)) / math.sqrt(len(times))
    return measured(value, Z95 * value * math.hypot(timing, spread), steps=intervals + 1)


def step_time(steps: Sequence[Step], event_s: float) -> dict[str, Any]:
    times = np.array([d for d, _ in step_times(steps)])
    if len(times) < MIN_STEPS - 1:
        return not_measured(f"{len(times)} step times seen; at least {MIN_STEPS - 1} are needed")
    sd = float(np.std(times, ddof=1))
    se = max(sd, math.sqrt(2) * event_s) / math.sqrt(len(times))
    return measured(float(np.mean(times)), Z95 * se, sd=sd, n=len(times))


def _feet_named(by_parity: list[list[Step]]) -> dict[int, str]:
    """parity -> "left"/"right" when the model's labels of the landing heels agree with the
    alternation (at least 70% each, and different); else {} (feet not told apart)."""
    names: dict[int, str] = {}
    for parity, strikes in enumerate(by_parity):
        if not strikes:
            return {}
        left = sum(s.foot == "left" for s in strikes) / len(strikes)
        if left >= 0.7:
            names[parity] = "left"
        elif left <= 0.3:
            names[parity] = "right"
    if len(names) == 2 and names[0] != names[1]:
        return names
    return {}


def asymmetry(steps: Sequence[Step], event_s: float) -> dict[str, Any]:
    """Symmetry index (Robinson 1987) of the mean step time ending on one foot against the
    other; steps alternate feet, so each pass's steps are split by their order."""
    groups: list[list[float]] = [[], []]
    strikes: list[list[Step]] = [[], []]
    for k in sorted({s.pass_index for s in steps}):
        mine = [s for s in steps if s.pass_index == k]
        first = mine[0].foot if mine else "left"
        for i, (dt, end) in enumerate(step_times(mine)):
            parity = (i + 1) % 2 if first == "left" else i % 2
            groups[parity].append(dt)
            strikes[parity].append(end)
    if min(len(g) for g in groups) < 2:
        return not_measured("at least two steps ending on each foot are needed")
    a, b = (float(np.mean(g)) for g in groups)
    si = symmetry_index(a, b)
    if si is None:
        return not_measured("no step time")
    ses = [
        max(float(np.std(g, ddof=1)), math.sqrt(2) * event_s) / math.sqrt(len(g)) for g in groups
    ]
    plus_minus = Z95 * 100.0 * math.hypot(*ses) / ((a + b) / 2)
    names = _feet_named(strikes)
    sides = {names.get(0, "foot A"): a, names.get(1, "foot B"): b}
    return measured(si, plus_minus, step_time_s=sides, feet_told_apart=bool(names))


def stride_variability(steps: Sequence[Step], event_s: float) -> dict[str, Any]:
    """Coefficient of variation of stride time (%), with the floor timing error alone gives."""
    strides = np.array(stride_times(steps))
    if len(strides) < MIN_STRIDES:
        return not_measured(
            f"{len(strides)} strides seen; at least {MIN_STRIDES} are needed (a longer walk)"
        )
    mean = float(np.mean(strides))
    cv = 100.0 * float(np.std(strides, ddof=1)) / mean
    floor = 100.0 * math.sqrt(2) * event_s / mean
    plus_minus = Z95 * cv / math.sqrt(2 * (len(strides) - 1))
    return measured(cv, plus_minus, strides=len(strides), noise_floor_pct=floor)


def view_of(p: Pass) -> str:
    """How a pass was filmed: across the picture, towards or away from the camera, oblique."""
    dx, dy = p.direction
    if abs(dx) >= ACROSS_MIN and abs(p.scale_change) <= FLAT_MAX:
        return "across"
    if abs(dx) < ACROSS_MIN and abs(p.scale_change) > FLAT_MAX:
        return "towards the camera" if p.scale_change > 0 else "away from the camera"
    return "oblique"


def walking_speed(
    t: Array, values: Mapping[str, Array], walk: Walk, height_cm: float | None, norms: Norms
) -> dict[str, Any]:
    """Metres a second on the passes walked across the picture at one distance: the pelvis's
    path in leg lengths (its slope over the pass), times the leg length from the height."""
    if height_cm is None:
        return not_measured("the patient's height is needed for a scale (--height-cm)")
    across = [p for p in walk.passes if view_of(p) == "across"]
    if not across:
        return not_measured("speed needs a walk across the picture, filmed from the side")
    leg_m = norms.constant("leg_share_of_height") * height_cm / 100.0
    t = np.asarray(t, float)
    x = np.asarray(values["pelvis_x"], float)
    leg = np.asarray(values["leg_length"], float)
    speeds, weights = [], []
    for p in across:
        inside = (t >= p.start_s) & (t <= p.end_s) & np.isfinite(x) & np.isfinite(leg)
        if inside.sum() < 10:
            continue
        slope = float(np.polyfit(t[inside], x[inside], 1)[0])
        speeds.append(abs(slope) / float(np.median(leg[inside])) * leg_m)
        weights.append(p.end_s - p.start_s)
    if not speeds:
        return not_measured("too little of the walk across the picture was seen")
    value = float(np.average(speeds, weights=weights))
    spread = float(np.std(speeds)) if len(speeds) > 1 else 0.0
    plus_minus = Z95 * math.hypot(value * SPEED_SCALE_ERROR, spread)
    return measured(value, plus_minus, passes=len(speeds), leg_length_m=leg_m)


def gait(
    t: Array,
    values: Mapping[str, Array],
    *,
    norms: Norms,
    height_cm: float | None = None,
    sex: str | None = None,
    width: float | None = None,
) -> ProtocolResult:
    """The gait test on a track's GAIT_MEASURES (see the module docstring). The headline
        value is the cadence in steps a minute (None when too few steps were seen). `width`: the
    picture's width in image heights (its aspect ratio): strikes at its edge are left out."""
    t = np.asarray(t, float)
    values, other_s = patient_only(t, values)
    left, right = heel_values(values)
    walk = detect_steps(t, left, right, values["leg_length"], width=width)
    dt = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    event_s = max(EVENT_S, dt)
    figures = {
        "cadence_spm": cadence(walk.steps, walk.passes, event_s),
        "step_time_s": step_time(walk.steps, event_s),
        "step_time_asymmetry_pct": asymmetry(walk.steps, event_s),
        "stride_time_cv_pct": stride_variability(walk.steps, event_s),
        "walking_speed_m_s": walking_speed(t, values, walk, height_cm, norms),
    }
    warnings = _gait_warnings(walk, other_s)
    band = _cadence_band(norms, sex, warnings)
    reference: dict[str, Any] = {
        "speed_means_m_s": [
            norms.constant("speed_slowest_mean_m_s"),
            norms.constant("speed_fastest_mean_m_s"),
        ]
    }
    if band is not None:
        reference["cadence_range_spm"] = [band.values["cadence_low"], band.values["cadence_high"]]
        reference["band"] = band.label()
    measured_: dict[str, Any] = {
        **figures,
        "heel_strikes_s": [s.t for s in walk.steps],
        "passes": [
            {
                "start_s": p.start_s,
                "end_s": p.end_s,
                "view": view_of(p),
                "steps": sum(s.pass_index == k for s in walk.steps),
            }
            for k, p in enumerate(walk.passes)
        ],
        "event_timing_s": event_s,
    }
    return ProtocolResult.of(
        norms,
        figures["cadence_spm"]["value"],
        measured=measured_,
        reference=reference,
        interpretation=_gait_verdict(figures, band, norms),
        warnings=warnings,
        patient={"sex": sex, "height_cm": height_cm},
    )


def _cadence_band(norms: Norms, sex: str | None, warnings: list[str]) -> Band | None:
    if sex is None:
        warnings.append(say("patient's sex not given: cadence not compared with the normal range"))
        return None
    try:
        return norms.band(norms.bands[0].age_min, sex)
    except NormError as exc:
        warnings.append(
            say("{reason}: cadence not compared with the normal range", reason=exc.reason())
        )
        return None


def someone_else(other_s: float) -> Say:
    """The warning that another person's frames were left out (`other_s` seconds of them)."""
    return say("another person was tracked for {seconds} s: left out", seconds=fixed(other_s, 1))


def _gait_warnings(walk: Walk, other_s: float) -> list[str]:
    warnings: list[str] = []
    if not walk.passes:
        warnings.append(
            say("no straight walking found: the walk must be seen whole, feet in the picture")
        )
    if other_s > 0.5:
        warnings.append(someone_else(other_s))
    if any(view_of(p) == "oblique" for p in walk.passes):
        warnings.append(say("part of the walk was oblique to the camera: step timing is less sure"))
    return warnings


def _gait_verdict(figures: dict[str, dict[str, Any]], band: Band | None, norms: Norms) -> Say:
    """The figures in words, each with its uncertainty, against the references."""
    c = figures["cadence_spm"]
    if c["value"] is None:
        return say("cadence not measured: {why}", why=c["why"])
    parts = [_cadence_words(c, band)]
    a = figures["step_time_asymmetry_pct"]
    if a["value"] is not None:
        parts.append(
            say(
                "step-time asymmetry {percent}% (+-{error})",
                percent=fixed(a["value"], 0),
                error=fixed(a["plus_minus"], 0),
            )
        )
    v = figures["walking_speed_m_s"]
    if v["value"] is not None:
        lo, hi = norms.constant("speed_slowest_mean_m_s"), norms.constant("speed_fastest_mean_m_s")
        parts.append(
            say(
                "speed {speed} m/s (+-{error}; healthy adults' means {low}-{high})",
                speed=fixed(v["value"], 2),
                error=fixed(v["plus_minus"], 2),
                low=fixed(lo, 2),
                high=fixed(hi, 2),
            )
        )
    return clauses(*parts)


def _cadence_words(c: dict[str, Any], band: Band | None) -> Say:
    """The cadence with its uncertainty, against the sex's normal range when known."""
    figure = {"cadence": fixed(c["value"], 0), "error": fixed(c["plus_minus"], 0)}
    if band is None:
        return say("cadence {cadence} steps/min (+-{error})", **figure)
    lo, hi = band.values["cadence_low"], band.values["cadence_high"]
    ref: dict[str, Param] = {"who": band.who(), "low": lo, "high": hi}
    if c["value"] < lo:
        return say(
            "cadence {cadence} steps/min (+-{error}), below the normal range for {who} "
            "({low}-{high})",
            **figure,
            **ref,
        )
    if c["value"] > hi:
        return say(
            "cadence {cadence} steps/min (+-{error}), above the normal range for {who} "
            "({low}-{high})",
            **figure,
            **ref,
        )
    return say(
        "cadence {cadence} steps/min (+-{error}), within the normal range for {who} ({low}-{high})",
        **figure,
        **ref,
    )
