"""Progress per exercise and side from the first session on; no weeks before the patient."""

from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace as NS

from coach.review.progress import exercise_trends, weekly_progress


def _session(day: int, exercise: str, reps: list[tuple[str, float]]) -> NS:
    return NS(
        started_at=datetime(2026, 11, day, 10, tzinfo=timezone.utc),
        exercise_id=exercise,
        reps=[NS(side=side, rom_deg=rom, score=80.0) for side, rom in reps],
        holds=[],
    )


def test_exercises_are_never_merged_and_sides_stay_apart() -> None:
    sessions = [
        _session(2, "squat", [("", 150.0), ("", 153.0)]),
        _session(3, "shoulder_abduction", [("left", 162.0), ("right", 140.0)]),
        _session(5, "squat", [("", 155.0)]),
    ]
    program = [NS(exercise_id="squat", target_rom_deg=160.0, max_rom_deg=170.0)]
    trends = {t.exercise_id: t for t in exercise_trends(sessions, program)}
    squat = trends["squat"]
    assert squat.peaks == {"both": [153.0, 155.0]}
    assert (squat.target_deg, squat.limit_deg) == (160.0, 170.0)
    assert trends["shoulder_abduction"].peaks == {"left": [162.0], "right": [140.0]}
    assert trends["shoulder_abduction"].target_deg is None


def test_a_side_missing_in_a_session_is_a_gap() -> None:
    sessions = [
        _session(2, "lunge", [("left", 90.0)]),
        _session(4, "lunge", [("left", 95.0), ("right", 88.0)]),
    ]
    (trend,) = exercise_trends(sessions)
    assert trend.peaks == {"left": [90.0, 95.0], "right": [None, 88.0]}


def test_no_weeks_before_the_patient_existed() -> None:
    today = date(2026, 11, 25)
    weeks = weekly_progress([], today=today, since=date(2026, 11, 18))
    assert [w.start for w in weeks] == [date(2026, 11, 16), date(2026, 11, 23)]
    assert len(weekly_progress([], today=today)) == 12  # without a start: as before
