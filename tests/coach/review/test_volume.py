"""Done means the prescribed volume: sets x reps, or sets x a hold, over all of a day's sessions."""

from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace as Row

from coach.review.volume import DailyPlan, day_complete, day_volume, prescribed, weekly_done
from exercises import load_exercise

DAY = date(2026, 11, 30)  # a Monday


def session(ex: str, reps: int = 0, holds: tuple[float, ...] = (), day: date = DAY) -> Row:
    when = datetime(day.year, day.month, day.day, 10, tzinfo=timezone.utc)
    return Row(
        exercise_id=ex,
        started_at=when,
        reps=[Row(index=i) for i in range(reps)],
        holds=[Row(duration_s=d) for d in holds],
    )


def item(ex: str, sets: int = 1, reps: int = 10, hold_s: float = 0.0, days: int = 5) -> Row:
    return Row(exercise_id=ex, sets=sets, reps=reps, hold_s=hold_s, days_per_week=days)


def test_six_of_ten_reps_is_not_done() -> None:
    squat = item("squat", sets=1, reps=10)
    vol = day_volume([session("squat", reps=6)], squat, DAY)
    assert (vol.done, vol.prescribed, vol.unit, vol.complete) == (6, 10, "rep", False)


def test_a_days_sessions_add_up_to_the_sets() -> None:
    squat = item("squat", sets=2, reps=5)
    sessions = [session("squat", reps=5), session("squat", reps=5), session("lunge", reps=9)]
    assert prescribed(squat) == 10 and day_volume(sessions, squat, DAY).complete
    yesterday = [session("squat", reps=10, day=date(2026, 11, 29))]
    assert not day_volume(yesterday, squat, DAY).complete


def test_holds_count_only_when_they_last_the_prescribed_time() -> None:
    stance = item("single_leg_stance", sets=3, hold_s=30)
    short = day_volume([session("single_leg_stance", holds=(30.0, 12.0, 29.6))], stance, DAY)
    assert (short.done, short.prescribed, short.unit, short.complete) == (2, 3, "hold", False)
    enough = day_volume([session("single_leg_stance", holds=(31.0, 30.0, 29.7))], stance, DAY)
    assert enough.complete


def test_open_ended_rows_need_some_work() -> None:
    anything = item("any", reps=0)
    assert not day_volume([], anything, DAY).complete
    assert day_volume([session("any", reps=1)], anything, DAY).complete


def test_adherence_counts_days_with_the_whole_program_done() -> None:
    program = [item("squat", sets=1, reps=5, days=3), item("lunge", sets=1, reps=4, days=2)]
    sessions = [
        session("squat", reps=5),
        session("lunge", reps=4),  # Monday: all of it
        session("squat", reps=5, day=date(2026, 12, 1)),  # Tuesday: only the squats
        session("lunge", reps=2, day=date(2026, 12, 2)),
    ]
    weeks = weekly_done(sessions, program, weeks=2, today=date(2026, 12, 3))
    assert [w.start for w in weeks] == [date(2026, 11, 23), DAY]
    this = weeks[-1]
    assert (this.days_done, this.days_prescribed, this.days_some) == (1, 3, 2)
    assert this.done_days[:3] == [True, False, False]
    assert day_complete(sessions, program, DAY) and not day_complete(sessions, [], DAY)


def test_a_hold_prescribed_without_a_time_uses_the_definitions() -> None:
    row = item("single_leg_stance", sets=2, reps=10, hold_s=0)
    plan = DailyPlan.of(row, load_exercise("single_leg_stance"))
    target = plan.hold_s
    assert target > 0 and prescribed(plan) == 2
    vol = day_volume([session("single_leg_stance", holds=(target, target + 1))], plan, DAY)
    assert vol.unit == "hold" and vol.complete
    assert DailyPlan.of(item("squat", hold_s=0), load_exercise("squat")).hold_s == 0
