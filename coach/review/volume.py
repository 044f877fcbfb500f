"""Whether the patient did what was prescribed: each day's work against the program's volume.

The one definition of "done today" and of adherence: the patient's page (/me) and the
therapist's (adherence by week) both read it, so they never disagree.

A session is not a done exercise: 6 of 10 prescribed reps is not done. The volume of a program
row is sets x reps (counted reps), sets x a hold of `hold_s` (holds that lasted that long), or
for a hand-eye targets task sets x runs (a run is done when every target of its schedule has
its result, touched or missed). All of a day's sessions of an exercise add up. A day counts
for adherence when every row of the program reached its volume. Pure functions over the
store's rows, like coach.review.progress (weeks are ISO weeks, Monday first, in UTC).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from coach.prescription import Prescription
from coach.review.progress import first_week, week_start
from coach.store.store import aware

# A hold this much short of the target still counts: the engine starts the clock only once
# the position is steady, so a patient who held for the whole target time can read a little less.
HOLD_TOLERANCE_S = 0.5


@dataclass(frozen=True)
class DailyPlan:
    """A program row as the patient must do it each day: a hold exercise prescribed without
    a hold time gets its definition's, as the live session does (coach.prescription); a
    targets task is `sets` runs of its whole schedule (`targets` per run), whatever reps or
    hold the row carries."""

    exercise_id: str
    sets: int
    reps: int
    hold_s: float
    days_per_week: int
    targets: int = 0  # a hand-eye targets task: the targets of one run; 0 for an exercise

    @classmethod
    def of(cls, row: Any, exercise: Any | None = None) -> DailyPlan:
        sets, days = max(1, int(row.sets or 1)), int(row.days_per_week or 0)
        if getattr(exercise, "kind", None) == "targets":
            return cls(row.exercise_id, sets, 0, 0.0, days, targets=run_length(exercise))
        hold_s = float(row.hold_s or 0)
        if hold_s <= 0 and exercise is not None and getattr(exercise, "kind", None) == "hold":
            hold_s = Prescription.defaults(exercise).hold_s
        return cls(row.exercise_id, sets, int(row.reps or 0), hold_s, days)


def run_length(task: Any) -> int:
    """The targets of one run of a targets task (its count, for each hand it uses)."""
    rule = task.targets
    return int(rule.count) * (2 if rule.hands == "both" else 1)


def definition(exercise_id: str) -> Any | None:
    """The exercise or hand-eye targets task of an id; None for an id no longer (or never)
    known."""
    from exercises import UnknownExercise, load_any

    try:
        return load_any(exercise_id)
    except (UnknownExercise, KeyError):
        return None


def daily_plans(program: list[Any]) -> list[DailyPlan]:
    """The program's rows as daily plans, each with its definition (an exercise or a targets
    task; an id no longer known keeps the row's own numbers)."""
    return [DailyPlan.of(row, definition(row.exercise_id)) for row in program]


@dataclass(frozen=True)
class Volume:
    """How much of a program row was done on one day."""

    done: int  # reps, holds long enough, or whole targets runs
    prescribed: int  # sets x reps, or sets (holds, runs); 0 = open-ended
    unit: str  # "rep", "hold" or "run"

    @property
    def complete(self) -> bool:
        return self.done >= self.prescribed if self.prescribed > 0 else self.done > 0


def _run_targets(item: Any) -> int:
    return int(getattr(item, "targets", 0) or 0)


def _is_hold(item: Any) -> bool:
    return not _run_targets(item) and float(item.hold_s or 0) > 0


def unit_of(item: Any) -> str:
    """What the row counts: "run" (targets task), "hold" or "rep"."""
    return "run" if _run_targets(item) else "hold" if _is_hold(item) else "rep"


def prescribed(item: Any) -> int:
    """Reps (sets x reps), or holds or targets runs (sets) the row asks for in a day; 0 means
    open-ended."""
    sets = max(1, int(item.sets or 1))
    return sets if unit_of(item) != "rep" else sets * max(0, int(item.reps or 0))


def _whole_run(session: Any, targets: int) -> bool:
    """Whether a targets session's stored run gave every target of its schedule a result."""
    summary = session.summary if isinstance(getattr(session, "summary", None), dict) else {}
    run = summary.get("targets")
    results = run.get("results") if isinstance(run, dict) else None
    if not isinstance(results, list):
        return False
    closed = {r.get("index") for r in results if isinstance(r, dict)}
    return len(closed) >= targets


def session_amount(session: Any, item: Any) -> int:
    """What one session adds to the row's volume: its reps, its holds that lasted long enough,
    or one whole targets run."""
    if _run_targets(item):
        return 1 if _whole_run(session, _run_targets(item)) else 0
    if _is_hold(item):
        need = float(item.hold_s) - HOLD_TOLERANCE_S
        return sum(1 for h in session.holds if h.duration_s is not None and h.duration_s >= need)
    return len(session.reps)


def did_something(session: Any) -> bool:
    """A session with some work in it: a rep, a hold or a target's result (for "some of
    it" days)."""
    if session.reps or session.holds:
        return True
    summary = session.summary if isinstance(getattr(session, "summary", None), dict) else {}
    run = summary.get("targets")
    return isinstance(run, dict) and bool(run.get("results"))


def _by_day(sessions: list[Any]) -> dict[tuple[date, str], list[Any]]:
    out: dict[tuple[date, str], list[Any]] = defaultdict(list)
    for s in sessions:
        out[(aware(s.started_at).date(), s.exercise_id)].append(s)
    return out


def day_volume(sessions: list[Any], item: Any, day: date) -> Volume:
    """The row's volume on `day`, from all that day's sessions of its exercise."""
    mine = _by_day(sessions).get((day, item.exercise_id), [])
    return Volume(sum(session_amount(s, item) for s in mine), prescribed(item), unit_of(item))


def day_complete(sessions: list[Any], program: list[Any], day: date) -> bool:
    """Every row of the program reached its volume that day (an empty program: never)."""
    return bool(program) and all(day_volume(sessions, it, day).complete for it in program)


@dataclass
class WeekDone:
    start: date
    days_done: int  # days the whole program was done
    days_prescribed: int
    days_some: int  # days with some exercise but not all of it
    done_days: list[bool]  # Monday..Sunday: the whole program
    some_days: list[bool]  # Monday..Sunday: some of it, not all


def weekly_done(
    sessions: list[Any],
    program: list[Any],
    weeks: int = 4,
    today: date | None = None,
    since: date | None = None,
) -> list[WeekDone]:
    """Per week (oldest first, from `since`, the patient's record, at the earliest: weeks
    before they existed are not zeros): days the full prescribed volume was done, against
    the days a week the program asks for (its most frequent row)."""
    today = today or datetime.now(timezone.utc).date()
    per_week = max([int(it.days_per_week or 0) for it in program] or [0])
    active = {aware(s.started_at).date() for s in sessions if did_something(s)}
    first = first_week(today, weeks, since)
    out = []
    for i in range((week_start(today) - first).days // 7 + 1):
        start = first + timedelta(weeks=i)
        days = [start + timedelta(days=d) for d in range(7)]
        done = [day_complete(sessions, program, d) for d in days]
        some = [not ok and d in active for d, ok in zip(days, done, strict=True)]
        out.append(WeekDone(start, sum(done), per_week, sum(some), done, some))
    return out
