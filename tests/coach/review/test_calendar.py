"""The calendar feed's words (issue 23): the patient's language, English by default and then
word for word as before. In process, no server (over HTTP: tests/web/test_therapist_week.py)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace
from typing import Any

from icalendar import Calendar

from coach.i18n import reader
from coach.review.calendar import program_calendar
from coach.review.prescription import any_dose_words, definition_of

NAMES = {"squat": "Squat", "single_leg_stance": "Single-leg stance"}
PROGRAM = [
    SimpleNamespace(exercise_id="squat", sets=2, reps=8, hold_s=0, rest_s=None, days_per_week=3),
    SimpleNamespace(
        exercise_id="single_leg_stance", sets=3, reps=1, hold_s=20, rest_s=None, days_per_week=5
    ),
]


def _monday(**kwargs: Any) -> Any:
    feed = program_calendar(
        7,
        PROGRAM,
        NAMES.__getitem__,
        lambda item: any_dose_words(item, definition_of(item.exercise_id)),
        date(2026, 11, 30),
        "https://c.example/me",
        datetime(2026, 12, 1, 8, tzinfo=timezone.utc),
        **kwargs,
    )
    cal = Calendar.from_ical(feed)
    monday = next(e for e in cal.walk("VEVENT") if e["rrule"]["BYDAY"] == ["MO"])
    return cal, monday


def test_the_feed_is_in_english_by_default_word_for_word() -> None:
    for kwargs in ({}, {"words": reader("en")}):
        cal, monday = _monday(**kwargs)
        assert str(cal["x-wr-calname"]) == "My exercises (Coach)"
        assert str(monday["summary"]) == "Exercises: Squat, Single-leg stance"
        assert str(monday["description"]) == (
            "Your exercises on Mondays:\n"
            "- Squat: 2 sets of 8 reps, 3 days a week\n"
            "- Single-leg stance: 3 sets of one 20-second hold, 5 days a week\n"
            "Open your exercises: https://c.example/me\n"
            "Stop and rest if anything hurts, and tell your therapist."
        )
        alarm = monday.walk("VALARM")[0]
        assert str(alarm["description"]) == "Time for your exercises: Squat, Single-leg stance"


def test_a_spanish_patients_feed_is_in_spanish() -> None:
    cal, monday = _monday(words=reader("es"))
    assert str(cal["x-wr-calname"]) == "Mis ejercicios (Coach)"
    assert str(monday["summary"]) == "Ejercicios: Sentadilla, Apoyo sobre una pierna"
    description = str(monday["description"])
    assert description.startswith("Sus ejercicios de cada lunes:\n- Sentadilla: 2 series de 8")
    assert "Abra sus ejercicios: https://c.example/me" in description
    assert "Pare y descanse si algo le duele" in description
    alarm = monday.walk("VALARM")[0]
    assert str(alarm["description"]).startswith("Es hora de sus ejercicios: Sentadilla")
    arabic = str(_monday(words=reader("ar"))[1]["description"])
    assert arabic.startswith("تمارينك كل يوم الاثنين:")
