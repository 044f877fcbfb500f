"""A prescription in the patient's words: how much to do and how far to move, never degrees.

Older patients read "bend your knees about half way" more easily than "100°". A range limit
becomes a share of the joint's normal end of range (AAOS, Joint Motion 1965 / Greene & Heckman
1994; the same values as exercises/norms/range_of_motion.toml), said as a plain fraction.
"""

from __future__ import annotations

import math
from typing import Any

from scoring.modes.reps import limit_applies
from scoring.words import Say, nsay, say

# The reported angle -> (one side, both sides: the sentence, its `{how_far}` a fraction's words),
# and the normal end of range in degrees.
_KNEE = (
    say("Bend your knee {how_far}, no further: do not go past the limit your therapist set."),
    say("Bend your knees {how_far}, no further: do not go past the limit your therapist set."),
)
_ELBOW = (
    say("Bend your elbow {how_far}, no further: do not go past the limit your therapist set."),
    say("Bend your elbows {how_far}, no further: do not go past the limit your therapist set."),
)
_ARM_OUT = (
    say(
        "Raise your arm out to the side {how_far}, no further: do not go past the limit your"
        " therapist set."
    ),
    say(
        "Raise your arms out to the side {how_far}, no further: do not go past the limit your"
        " therapist set."
    ),
)
_ARM = (
    say("Raise your arm {how_far}, no further: do not go past the limit your therapist set."),
    say("Raise your arms {how_far}, no further: do not go past the limit your therapist set."),
)
_LEG_OUT = say(
    "Lift your leg out to the side {how_far}, no further: do not go past the limit your"
    " therapist set."
)
_MOVES: dict[str, tuple[tuple[Say, Say], float]] = {
    "knee_flexion": (_KNEE, 135.0),
    "knee_flexion_2d": (_KNEE, 135.0),
    "elbow_flexion": (_ELBOW, 150.0),
    "elbow_flexion_2d": (_ELBOW, 150.0),
    "shoulder_abduction": (_ARM_OUT, 180.0),
    "shoulder_elevation": (_ARM, 180.0),
    "shoulder_flexion": (_ARM, 180.0),
    "arm_trunk_angle_2d": (_ARM, 180.0),
    "hip_abduction": ((_LEG_OUT, _LEG_OUT), 45.0),
}
_AS_SHOWN = say(
    "Move only as far as your therapist showed you: do not go past the limit your therapist set."
)

# Fractions of the way a patient can picture, nearest first.
_FRACTIONS: list[tuple[float, Say]] = [
    (0.25, say("about a quarter of the way")),
    (1 / 3, say("about a third of the way")),
    (0.5, say("about half way")),
    (2 / 3, say("about two thirds of the way")),
    (0.75, say("about three quarters of the way")),
    (0.9, say("almost all the way")),
]


def fraction_words(share: float) -> Say:
    """0.5 -> "about half way"; under a fifth is "only a little"."""
    if not math.isfinite(share) or share < 0.18:
        return say("only a little")
    return min(_FRACTIONS, key=lambda f: abs(f[0] - share))[1]


def _one_sided(exercise: Any) -> bool:
    return exercise.id.endswith(("_left", "_right")) or "one side" in (exercise.tags or [])


def limit_words(exercise: Any | None, limit_deg: float | None) -> str:
    """The therapist's range limit as a sentence without numbers ("" when none is set): a
    message (scoring.words), its text the English sentence."""
    if limit_deg is None or not math.isfinite(limit_deg):
        return ""
    rule = getattr(exercise, "rep", None)
    angle = (rule.report or rule.measure) if rule is not None else None
    if exercise is None or angle not in _MOVES or not limit_applies(exercise):
        return _AS_SHOWN
    (one, both), full = _MOVES[angle]
    sentence = one if _one_sided(exercise) else both
    return say(sentence.id, how_far=fraction_words(limit_deg / full))


def _times(n: int) -> Say:
    if n == 1:
        return say("once")
    if n == 2:
        return say("twice")
    return nsay("{n} time", "{n} times", n)


def _seconds(s: float) -> Say:
    s = max(0, round(s))
    if s >= 60 and s % 60 == 0:
        return nsay("{n} minute", "{n} minutes", s // 60)
    return nsay("{n} second", "{n} seconds", s)


def amount_words(sets: int, reps: int, hold_s: float, targets: int = 0) -> str:
    """ "2 sets of 5" / "Hold for 30 seconds, 3 times" / "As many as you like" / for a
    targets task (`targets` in a round) "Reach for 12 targets, twice": a message
    (scoring.words) whose text is the English."""
    if targets > 0:
        many = nsay("{n} target", "{n} targets", targets)
        return say("Reach for {targets}, {times}", targets=many, times=_times(sets))
    if hold_s > 0:
        return say("Hold for {duration}, {times}", duration=_seconds(hold_s), times=_times(sets))
    if reps <= 0:
        return say("As many as you comfortably can")
    if sets == 1:
        return nsay("{n} time", "{n} times", reps)
    return nsay("{n} set of {reps}", "{n} sets of {reps}", sets, reps=reps)


def days_words(days_per_week: int) -> str:
    if days_per_week >= 7:
        return say("every day")
    return nsay("{n} day a week", "{n} days a week", days_per_week)
