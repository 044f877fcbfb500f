"""The prescription in words: no degrees, a fraction of the joint's normal range, plain amounts."""

from __future__ import annotations

import math

import pytest

from coach.review.plain import amount_words, days_words, fraction_words, limit_words
from exercises import list_exercises, load_exercise


@pytest.mark.parametrize(
    ("share", "words"),
    [
        (0.0, "only a little"),
        (0.26, "about a quarter of the way"),
        (0.5, "about half way"),
        (0.44, "about half way"),
        (0.7, "about two thirds of the way"),
        (0.74, "about three quarters of the way"),
        (0.95, "almost all the way"),
        (math.nan, "only a little"),
    ],
)
def test_fraction_words(share: float, words: str) -> None:
    assert fraction_words(share) == words


def test_a_squat_limit_is_said_as_how_far_to_bend_the_knees() -> None:
    squat = load_exercise("squat")
    assert limit_words(squat, 100) == (
        "Bend your knees about three quarters of the way, no further: "
        "do not go past the limit your therapist set."
    )
    assert limit_words(squat, 60).startswith("Bend your knees about half way")
    assert limit_words(squat, None) == ""


def test_one_sided_exercises_speak_of_one_limb() -> None:
    text = limit_words(load_exercise("standing_knee_flexion_left"), 45)
    assert text.startswith("Bend your knee about a third of the way")
    assert limit_words(load_exercise("shoulder_abduction"), 90).startswith(
        "Raise your arms out to the side about half way"
    )


def test_exercises_a_limit_cannot_judge_get_a_plain_rule() -> None:
    for ex_id in ("single_leg_stance", "any", "heel_raise"):
        assert limit_words(load_exercise(ex_id), 30).startswith("Move only as far as your")
    assert limit_words(None, 30).startswith("Move only as far as your")


@pytest.mark.parametrize("limit", [0.0, 10.0, 45.0, 95.0, 135.0, 180.0])
def test_no_limit_sentence_has_a_number_or_a_degree_sign(limit: float) -> None:
    for ex in list_exercises():
        text = limit_words(ex, limit)
        assert "°" not in text and not any(ch.isdigit() for ch in text), (ex.id, text)


def test_amounts_and_days() -> None:
    assert amount_words(2, 5, 0) == "2 sets of 5"
    assert amount_words(1, 10, 0) == "10 times"
    assert amount_words(3, 10, 30) == "Hold for 30 seconds, 3 times"
    assert amount_words(1, 0, 60) == "Hold for 1 minute, once"
    assert amount_words(1, 0, 0) == "As many as you comfortably can"
    assert amount_words(2, 10, 0, targets=12) == "Reach for 12 targets, twice"
    assert amount_words(1, 0, 0, targets=6) == "Reach for 6 targets, once"
    assert days_words(5) == "5 days a week" and days_words(1) == "1 day a week"
    assert days_words(7) == "every day"
