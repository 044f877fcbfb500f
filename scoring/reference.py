"""A patient's own reference: how their good reps look, and which later reps differ from it.

The definitions' fault bounds must hold for every patient, so they sit well away from normal
movement and miss mild faults (a trunk lean of 40 degrees is under the squat's 50-degree bound
whether the patient's usual lean is 20 or 38). Once a therapist has seen the patient do the
exercise well, those reps can become the patient's reference: every later rep is then compared
with them, fault by fault, in the direction the fault points (more lean, less range, faster).

Each fault rule of the definition gives one feature of a rep:
- a threshold or side-difference rule: the most extreme value of its signal that lasted the
  rule's `min_duration_s` within the rep, in the rule's direction (max for `above`, min for
  `below`; the worse side for "each"), read only from the view the rule needs;
- `rep_peak_short`: the rep's range (the counted measure, from its own rest);
- `rep_too_fast`: the rep's duration.

A rep deviates when a feature lies beyond the reference mean by more than
`max(3 SD, floor)` in the fault's direction. Three standard deviations are Shewhart's control
limits (a rep of the same process crosses one side about once in 740); the floor keeps a
very consistent reference from flagging differences a camera cannot resolve: 5 degrees for
angles and 0.05 for the length ratios (leg or shank lengths, about 4 cm), the order of
camera-based joint angle and position error, and 0.25 s for durations (a quarter of a
second is 7-8 frames at 30 fps). These values were set before the reference was first
evaluated (docs/BENCHMARKS.md) and were not tuned on it.

Pure: features and limits from arrays and numbers; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from pose.types import Array
from scoring.definition import Exercise, FaultRule
from scoring.measures import in_degrees
from scoring.signals import side_difference, side_values
from scoring.view import view_satisfies

Worse = Literal["above", "below"]

CONTROL_LIMIT_SD = 3.0
MIN_REFERENCE_REPS = 3
ANGLE_FLOOR_DEG = 5.0
RATIO_FLOOR = 0.05
DURATION_FLOOR_S = 0.25


@dataclass(frozen=True)
class Feature:
    """One number per rep, tied to the fault rule whose cue is given when it deviates."""

    id: str  # the fault rule's id
    worse: Worse  # the direction in which a rep is worse than its reference
    floor: float  # the smallest deviation that counts (measurement resolution)
    rule: FaultRule


def _floor(measure: str | None) -> float:
    """Angles in degrees, the rest in body-length ratios (scoring.measures' units)."""
    return ANGLE_FLOOR_DEG if in_degrees(measure or "") else RATIO_FLOOR


def features(exercise: Exercise) -> list[Feature]:
    """The features a rep of this exercise is compared on (one per fault rule)."""
    out: list[Feature] = []
    counted = exercise.rep.measure if exercise.rep else None
    for rule in exercise.faults:
        if rule.kind in ("threshold", "side_difference"):
            worse: Worse = "above" if rule.above is not None else "below"
            out.append(Feature(rule.id, worse, _floor(rule.measure), rule))
        elif rule.kind == "rep_peak_short" and counted is not None:
            out.append(Feature(rule.id, "below", _floor(counted), rule))
        elif rule.kind == "rep_too_fast":
            out.append(Feature(rule.id, "below", DURATION_FLOOR_S, rule))
    return out


def frame_features(
    feats: Sequence[Feature], values: Mapping[str, float], view: str
) -> dict[str, float]:
    """One frame's value of each per-frame feature (NaN when its rule's view is not this one).

    Sides are combined towards the fault: the larger value for an `above` rule, the smaller
    for a `below` rule, so the worse side is what the rep is judged on.
    """
    out: dict[str, float] = {}
    for f in feats:
        rule = f.rule
        if rule.kind not in ("threshold", "side_difference"):
            continue
        if not view_satisfies(view, rule.view):
            out[f.id] = math.nan
            continue
        assert rule.measure is not None
        if rule.kind == "side_difference":
            seen = [side_difference(values, rule.measure)]
        else:
            seen = list(side_values(values, rule.measure, rule.side).values())
        finite = [v for v in seen if math.isfinite(v)]
        out[f.id] = (max(finite) if f.worse == "above" else min(finite)) if finite else math.nan
    return out


def sustained_extreme(t: Array, v: Array, worse: Worse, min_duration_s: float) -> float:
    """The most extreme level the signal kept for at least `min_duration_s` (the same
    persistence the rule itself asks for); a lone frame's spike does not count. NaN-safe."""
    t = np.asarray(t, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    ok = np.isfinite(v) & np.isfinite(t)
    t, v = t[ok], v[ok]
    if len(v) == 0:
        return math.nan
    sign = 1.0 if worse == "above" else -1.0
    s = sign * v
    best = -math.inf
    j = 0
    # For each start i, the level held over [t_i, t_i + d] is the window's minimum of s.
    for i in range(len(s)):
        j = max(j, i)
        while j < len(s) - 1 and t[j] - t[i] < min_duration_s:
            j += 1
        if t[j] - t[i] < min_duration_s and i > 0:
            break  # the rest of the track is shorter than the duration
        best = max(best, float(s[i : j + 1].min()))
    return sign * best if math.isfinite(best) else math.nan


def rep_profile(
    feats: Sequence[Feature],
    t: Array,
    series: Mapping[str, Array | Sequence[float]],
    start_s: float,
    end_s: float,
    rom: float,
) -> dict[str, float]:
    """A rep's features: `series` holds each per-frame feature (see `frame_features`) at the
    times `t`; the rep spans [start_s, end_s] and covered `rom` of the counted measure.
    Features that could not be measured are left out."""
    t = np.asarray(t, dtype=np.float64)
    inside = (t >= start_s) & (t <= end_s)
    out: dict[str, float] = {}
    for f in feats:
        if f.rule.kind == "rep_peak_short":
            value = rom
        elif f.rule.kind == "rep_too_fast":
            value = end_s - start_s
        elif f.id in series:
            v = np.asarray(series[f.id], dtype=np.float64)[inside]
            value = sustained_extreme(t[inside], v, f.worse, f.rule.min_duration_s)
        else:
            continue
        if math.isfinite(value):
            out[f.id] = float(value)
    return out


@dataclass(frozen=True)
class FeatureLimit:
    mean: float
    sd: float
    n: int
    worse: Worse
    limit: float  # a rep beyond this value, in the `worse` direction, deviates

    def deviates(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        return value > self.limit if self.worse == "above" else value < self.limit


@dataclass(frozen=True)
class Deviation:
    """A rep that differed from the patient's reference on one feature."""

    id: str  # the fault rule's id (its cue is what the patient hears)
    value: float
    mean: float
    limit: float


class ReferenceError(ValueError):
    """Too few usable reps to make a reference."""


@dataclass(frozen=True)
class PersonalReference:
    exercise_id: str
    limits: dict[str, FeatureLimit]
    reps: int

    @classmethod
    def from_profiles(
        cls,
        exercise: Exercise,
        profiles: Sequence[Mapping[str, float]],
        *,
        sd_limit: float = CONTROL_LIMIT_SD,
        floor_scale: float = 1.0,
    ) -> PersonalReference:
        """Limits from the reference reps' features: mean, sample SD, Shewhart limit.
        (`sd_limit` and `floor_scale` exist for the benchmark's robustness check only.)"""
        if len(profiles) < MIN_REFERENCE_REPS:
            raise ReferenceError(
                f"a reference needs at least {MIN_REFERENCE_REPS} reps, got {len(profiles)}"
            )
        limits: dict[str, FeatureLimit] = {}
        for f in features(exercise):
            vals = np.array(
                [p[f.id] for p in profiles if math.isfinite(p.get(f.id, math.nan))],
                dtype=np.float64,
            )
            if len(vals) < MIN_REFERENCE_REPS:
                continue  # never seen in enough reps (e.g. a view the reference lacked)
            mean, sd = float(vals.mean()), float(vals.std(ddof=1))
            margin = max(sd_limit * sd, floor_scale * f.floor)
            limit = mean + margin if f.worse == "above" else mean - margin
            limits[f.id] = FeatureLimit(mean, sd, len(vals), f.worse, limit)
        if not limits:
            raise ReferenceError("none of the exercise's faults could be measured in these reps")
        return cls(exercise.id, limits, len(profiles))

    def deviations(self, profile: Mapping[str, float]) -> list[Deviation]:
        """The features of this rep beyond the reference's limits."""
        out = []
        for fid, lim in self.limits.items():
            value = profile.get(fid, math.nan)
            if lim.deviates(value):
                out.append(Deviation(fid, value, lim.mean, lim.limit))
        return out

    def to_json(self) -> dict[str, object]:
        return {
            "exercise": self.exercise_id,
            "reps": self.reps,
            "limits": {
                k: {"mean": v.mean, "sd": v.sd, "n": v.n, "worse": v.worse, "limit": v.limit}
                for k, v in self.limits.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> PersonalReference:
        raw = data.get("limits")
        if not isinstance(raw, dict) or not isinstance(data.get("exercise"), str):
            raise ReferenceError("a reference needs `exercise` and `limits`")
        limits = {}
        for k, v in raw.items():
            if v.get("worse") not in ("above", "below"):
                raise ReferenceError(f"limit {k!r}: `worse` must be 'above' or 'below'")
            limits[str(k)] = FeatureLimit(
                float(v["mean"]), float(v["sd"]), int(v["n"]), v["worse"], float(v["limit"])
            )
        reps = data.get("reps", 0)
        if not isinstance(reps, (int, float, str)):
            raise ReferenceError("`reps` must be a number")
        return cls(str(data["exercise"]), limits, int(reps))
