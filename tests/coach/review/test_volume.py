"""Done means the prescribed volume: sets x reps, sets x a hold, or sets x whole targets runs,
over all of a day's sessions; adherence is the days the whole program was done."""

from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace as Row

from coach.review.volume import (
    DailyPlan,
    daily_plans,
    day_complete,
    day_volume,
    prescribed,
    weekly_done,
)
from exercises import load_exercise, load_task

DAY = date(2026, 11, 30)  # a Monday


def session(ex: str, reps: int = 0, holds: tuple[float, ...] = (), day: date = DAY) -> Row:
    when = datetime(day.year, day.month, day.day, 10, tzinfo=timezone.utc)
    return Row(
        exercise_id=ex,
        started_at=when,
        reps=[Row(index=i) for i in range(reps)],
        holds=[Row(duration_s=d) for d in holds],
        summary={},
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


def targets_session(results: int, day: date = DAY) -> Row:
    """A stored hand-eye targets session whose run closed `results` targets (hit or missed)."""
    run = {
        "results": [{"index": i + 1, "status": "hit" if i % 2 else "miss"} for i in range(results)]
    }
    return Row(**{**vars(session("targets_reach_seated", day=day)), "summary": {"targets": run}})


def test_a_targets_task_is_done_when_a_whole_run_is() -> None:
    task = load_task("targets_reach_seated")
    # The therapist's row carries reps (the form's); a targets task is runs of its schedule.
    plan = DailyPlan.of(item("targets_reach_seated", sets=1, reps=10), task)
    assert (plan.targets, plan.reps, plan.hold_s) == (12, 0, 0.0)  # 6 targets for each hand
    assert prescribed(plan) == 1
    whole = day_volume([targets_session(12)], plan, DAY)
    assert (whole.done, whole.prescribed, whole.unit, whole.complete) == (1, 1, "run", True)
    cut_short = day_volume([targets_session(11)], plan, DAY)
    assert (cut_short.done, cut_short.complete) == (0, False)
    twice = DailyPlan.of(item("targets_reach_seated", sets=2, reps=10), task)
    assert not day_volume([targets_session(12)], twice, DAY).complete
    assert day_volume([targets_session(12), targets_session(12)], twice, DAY).complete


def test_adherence_counts_every_kind_the_same_way() -> None:
    program = daily_plans(
        [
            item("squat", sets=1, reps=3),
            item("targets_reach_seated", sets=1, reps=10),
            item("single_leg_stance", sets=1, reps=1, hold_s=10),
        ]
    )
    assert [p.targets > 0 for p in program] == [False, True, False]
    squats, stance = session("squat", reps=3), session("single_leg_stance", holds=(11.0,))
    monday = [squats, stance, targets_session(12)]
    tuesday = [
        session("squat", reps=3, day=date(2026, 12, 1)),
        targets_session(4, date(2026, 12, 1)),
    ]
    (week,) = weekly_done(monday + tuesday, program, weeks=1, today=date(2026, 12, 2))
    assert (week.days_done, week.days_some, week.days_prescribed) == (1, 1, 5)
    assert week.done_days[:2] == [True, False] and week.some_days[:2] == [False, True]
    # A targets run cut short is "some" work even on a day with nothing else.
    (only_targets,) = weekly_done([targets_session(3)], program, weeks=1, today=DAY)
    assert (only_targets.days_done, only_targets.days_some) == (0, 1)


def test_no_weeks_before_the_patient_existed() -> None:
    today = date(2026, 12, 3)
    assert len(weekly_done([], [item("squat")], weeks=4, today=today, since=date(2026, 12, 1))) == 1
    assert (
        len(weekly_done([], [item("squat")], weeks=4, today=today, since=date(2026, 11, 24))) == 2
    )
    assert len(weekly_done([], [item("squat")], weeks=4, today=today)) == 4
