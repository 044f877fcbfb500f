"""A prescription in the patient's words: how much to do and how far to move, never degrees.

Older patients read "bend your knees about half way" more easily than "100°". A range limit
becomes a share of the joint's normal end of range (AAOS, Joint Motion 1965 / Greene & Heckman
1994; the same values as exercises/norms/range_of_motion.toml), said as a plain fraction.
"""

from __future__ import annotations

import math
from typing import Any

from scoring.modes.reps import limit_applies

# The reported angle -> (what the patient does, plural words, the normal end of range in deg).
_MOVES: dict[str, tuple[str, str, str, float]] = {
    "knee_flexion": ("Bend", "your knee", "your knees", 135.0),
    "knee_flexion_2d": ("Bend", "your knee", "your knees", 135.0),
    "elbow_flexion": ("Bend", "your elbow", "your elbows", 150.0),
    "elbow_flexion_2d": ("Bend", "your elbow", "your elbows", 150.0),
    "shoulder_abduction": ("Raise", "your arm out to the side", "your arms out to the side", 180.0),
    "shoulder_elevation": ("Raise", "your arm", "your arms", 180.0),
    "shoulder_flexion": ("Raise", "your arm", "your arms", 180.0),
    "arm_trunk_angle_2d": ("Raise", "your arm", "your arms", 180.0),
    "hip_abduction": ("Lift", "your leg out to the side", "your leg out to the side", 45.0),
}

# Fractions of the way a patient can picture, nearest first.
_FRACTIONS: list[tuple[float, str]] = [
    (0.25, "about a quarter of the way"),
    (1 / 3, "about a third of the way"),
    (0.5, "about half way"),
    (2 / 3, "about two thirds of the way"),
    (0.75, "about three quarters of the way"),
    (0.9, "almost all the way"),
]


def fraction_words(share: float) -> str:
    """0.5 -> "about half way"; under a fifth is "only a little"."""
    if not math.isfinite(share) or share < 0.18:
        return "only a little"
    return min(_FRACTIONS, key=lambda f: abs(f[0] - share))[1]


def _one_sided(exercise: Any) -> bool:
    return exercise.id.endswith(("_left", "_right")) or "one side" in (exercise.tags or [])


def limit_words(exercise: Any | None, limit_deg: float | None) -> str:
    """The therapist's range limit as a sentence without numbers ("" when none is set)."""
    if limit_deg is None or not math.isfinite(limit_deg):
        return ""
    limit_rule = "do not go past the limit your therapist set."
    rule = getattr(exercise, "rep", None)
    angle = (rule.report or rule.measure) if rule is not None else None
    if exercise is None or angle not in _MOVES or not limit_applies(exercise):
        return f"Move only as far as your therapist showed you: {limit_rule}"
    verb, one, both, full = _MOVES[angle]
    what = one if _one_sided(exercise) else both
    how_far = fraction_words(limit_deg / full)
    return f"{verb} {what} {how_far}, no further: {limit_rule}"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _seconds(s: float) -> str:
    s = max(0, round(s))
    if s >= 60 and s % 60 == 0:
        return _count(s // 60, "minute", "minutes")
    return _count(s, "second", "seconds")


def amount_words(sets: int, reps: int, hold_s: float, targets: int = 0) -> str:
    """ "2 sets of 5" / "Hold for 30 seconds, 3 times" / "As many as you like" / for a
    targets task (`targets` in a round) "Reach for 12 targets, twice"."""
    if targets > 0:
        times = "once" if sets == 1 else ("twice" if sets == 2 else f"{sets} times")
        return f"Reach for {_count(targets, 'target', 'targets')}, {times}"
    if hold_s > 0:
        times = "once" if sets == 1 else ("twice" if sets == 2 else f"{sets} times")
        return f"Hold for {_seconds(hold_s)}, {times}"
    if reps <= 0:
        return "As many as you comfortably can"
    if sets == 1:
        return _count(reps, "time", "times")
    return f"{sets} sets of {reps}"


def days_words(days_per_week: int) -> str:
    if days_per_week >= 7:
        return "every day"
    return f"{_count(days_per_week, 'day', 'days')} a week"
