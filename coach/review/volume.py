"""Whether the patient did what was prescribed: each day's work against the program's volume.

A session is not a done exercise: 6 of 10 prescribed reps is not done. The volume of a program
row is sets x reps (counted reps), or sets x a hold of `hold_s` (holds that lasted that long).
All of a day's sessions of an exercise add up. Pure functions over the store's rows, like
coach.review.progress (weeks are ISO weeks, Monday first, in UTC).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from coach.prescription import Prescription
from coach.review.progress import week_start
from coach.store.store import aware

# A hold this much short of the target still counts: the engine starts the clock only once
# the position is steady, so a patient who held for the whole target time can read a little less.
HOLD_TOLERANCE_S = 0.5


@dataclass(frozen=True)
class DailyPlan:
    """A program row as the patient must do it each day: a hold exercise prescribed without
    a hold time gets its definition's, as the live session does (coach.prescription)."""

    exercise_id: str
    sets: int
    reps: int
    hold_s: float
    days_per_week: int

    @classmethod
    def of(cls, row: Any, exercise: Any | None = None) -> DailyPlan:
        hold_s = float(row.hold_s or 0)
        if hold_s <= 0 and exercise is not None and getattr(exercise, "kind", None) == "hold":
            hold_s = Prescription.defaults(exercise).hold_s
        return cls(
            row.exercise_id, int(row.sets or 1), int(row.reps or 0), hold_s, row.days_per_week
        )


@dataclass(frozen=True)
class Volume:
    """How much of a program row was done on one day."""

    done: int  # reps, or holds long enough
    prescribed: int  # sets x reps, or sets (holds); 0 = open-ended
    unit: str  # "rep" or "hold"

    @property
    def complete(self) -> bool:
        return self.done >= self.prescribed if self.prescribed > 0 else self.done > 0


def _is_hold(item: Any) -> bool:
    return float(item.hold_s or 0) > 0


def prescribed(item: Any) -> int:
    """Reps (sets x reps) or holds (sets) the row asks for in a day; 0 means open-ended."""
    sets = max(1, int(item.sets or 1))
    return sets if _is_hold(item) else sets * max(0, int(item.reps or 0))


def session_amount(session: Any, item: Any) -> int:
    """What one session adds to the row's volume: its reps, or its holds that lasted long enough."""
    if _is_hold(item):
        need = float(item.hold_s) - HOLD_TOLERANCE_S
        return sum(1 for h in session.holds if h.duration_s is not None and h.duration_s >= need)
    return len(session.reps)


def _by_day(sessions: list[Any]) -> dict[tuple[date, str], list[Any]]:
    out: dict[tuple[date, str], list[Any]] = defaultdict(list)
    for s in sessions:
        out[(aware(s.started_at).date(), s.exercise_id)].append(s)
    return out


def day_volume(sessions: list[Any], item: Any, day: date) -> Volume:
    """The row's volume on `day`, from all that day's sessions of its exercise."""
    mine = _by_day(sessions).get((day, item.exercise_id), [])
    unit = "hold" if _is_hold(item) else "rep"
    return Volume(sum(session_amount(s, item) for s in mine), prescribed(item), unit)


def day_complete(sessions: list[Any], program: list[Any], day: date) -> bool:
    """Every row of the program reached its volume that day (an empty program: never)."""
    return bool(program) and all(day_volume(sessions, it, day).complete for it in program)


@dataclass
class WeekDone:
    start: date
    days_done: int  # days the whole program was done
    days_prescribed: int
    days_some: int  # days with some exercise but not all of it
    done_days: list[bool]  # Monday..Sunday


def weekly_done(
    sessions: list[Any], program: list[Any], weeks: int = 4, today: date | None = None
) -> list[WeekDone]:
    """Per week (oldest first): days the full prescribed volume was done, against the days a
    week the program asks for (its most frequent row)."""
    today = today or datetime.now(timezone.utc).date()
    per_week = max([int(it.days_per_week or 0) for it in program] or [0])
    active = {aware(s.started_at).date() for s in sessions if s.reps or s.holds}
    first = week_start(today) - timedelta(weeks=weeks - 1)
    out = []
    for i in range(weeks):
        start = first + timedelta(weeks=i)
        days = [start + timedelta(days=d) for d in range(7)]
        done = [day_complete(sessions, program, d) for d in days]
        some = sum(1 for d, ok in zip(days, done, strict=True) if not ok and d in active)
        out.append(WeekDone(start, sum(done), per_week, some, done))
    return out
