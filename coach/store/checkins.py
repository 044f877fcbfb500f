"""The patient's weekly check-in: how they slept, their stress, headaches and energy this
week (each 0-10, each may be left out), and the Patient-Specific Functional Scale (PSFS,
Stratford et al. 1995): up to three activities they find hard, each rated 0 (unable to do
it) to 10 (as well as before the problem). Or the whole check-in skipped this week.

Checked here, so every way in (the /me form, a FHIR import, a script) refuses the same things
with the same words; one per patient and week (Monday, UTC), saying it again replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coach.store.models import PsfsRating, WeeklyCheckIn, aware, utcnow
from coach.store.store import Store

# The 0-10 questions, in the order asked: (field, what it is, the words at 0 and at 10).
QUESTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("sleep", "sleep quality", "very poor", "very good"),
    ("stress", "stress", "none", "extreme"),
    ("headaches", "headaches", "none", "the worst"),
    ("energy", "energy", "none at all", "full of energy"),
)
ITEMS = tuple(q[0] for q in QUESTIONS)
MAX_ACTIVITIES = 3
MAX_ACTIVITY = 80  # characters
PSFS_SOURCE = (
    "Stratford P, Gill C, Westaway M, Binkley J. Assessing disability and change on individual "
    "patients: a report of a patient specific measure. Physiotherapy Canada 1995;47(4):258-263"
)


class CheckInError(ValueError):
    """A check-in that cannot be stored; the message says why (English, for scripts and
    imports). `reason` ("unnamed", "unrated", "too_long", or "invalid": a value no form
    sends) and `position` (the activity, 1-3) let a page say it in the patient's words."""

    def __init__(self, message: str, reason: str = "invalid", position: int = 0) -> None:
        super().__init__(message)
        self.reason = reason
        self.position = position


@dataclass(frozen=True)
class Activity:
    """One PSFS activity: its position (1-3), the patient's words, the score 0-10."""

    position: int
    activity: str
    score: int


@dataclass(frozen=True)
class CheckIn:
    """One stored check-in, detached from the database."""

    patient_id: int
    week_start: date
    created_at: datetime
    skipped: bool = False
    answers: dict[str, int] = field(default_factory=dict)  # the 0-10 questions answered
    activities: tuple[Activity, ...] = ()

    @property
    def psfs_mean(self) -> float | None:
        """The PSFS score: the mean of the activities rated (None: none rated)."""
        if not self.activities:
            return None
        return sum(a.score for a in self.activities) / len(self.activities)

    def to_json(self) -> dict[str, Any]:
        return {
            "week_start": self.week_start.isoformat(),
            "skipped": self.skipped,
            **{item: self.answers.get(item) for item in ITEMS},
            "psfs": [
                {"position": a.position, "activity": a.activity, "score": a.score}
                for a in self.activities
            ],
            "psfs_mean": None if self.psfs_mean is None else round(self.psfs_mean, 2),
            "created_at": aware(self.created_at).isoformat(timespec="seconds"),
        }


def week_of(d: date) -> date:
    """The Monday a check-in's week starts on."""
    return d - timedelta(days=d.weekday())


def _score(value: object, what: str) -> int | None:
    """A 0-10 answer: None when left out, else a whole number from 0 to 10."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise CheckInError(
            f"{what} must be a whole number from 0 to 10, or left out; got {value!r}"
        )
    return value


def check_answers(
    answers: Mapping[str, object], activities: Sequence[tuple[object, object]]
) -> tuple[dict[str, int], tuple[Activity, ...]]:
    """(the answers given, the PSFS activities rated) when they can be stored, else
    CheckInError saying what is wrong. An activity named but not rated (or rated but not
    named) is refused: the PSFS scores an activity the patient chose."""
    given = {}
    for item, what, _, _ in QUESTIONS:
        value = _score(answers.get(item), what.capitalize())
        if value is not None:
            given[item] = value
    unknown = set(answers) - set(ITEMS)
    if unknown:
        raise CheckInError(f"unknown question(s): {', '.join(sorted(unknown))}")
    if len(activities) > MAX_ACTIVITIES:
        raise CheckInError(f"at most {MAX_ACTIVITIES} activities")
    rated: list[Activity] = []
    for position, (name, raw) in enumerate(activities, start=1):
        text = name.strip() if isinstance(name, str) else ""
        score = _score(raw, f"Activity {position}'s score")
        if not text and score is None:
            continue
        if not text:
            raise CheckInError(
                f"activity {position} has a score but no name: say what it is", "unnamed", position
            )
        if score is None:
            raise CheckInError(
                f"activity {position} ({text}): choose how well you can do it", "unrated", position
            )
        if len(text) > MAX_ACTIVITY or not text.isprintable():
            raise CheckInError(
                f"activity {position}: a short name, at most {MAX_ACTIVITY} letters",
                "too_long",
                position,
            )
        rated.append(Activity(len(rated) + 1, text, score))
    return given, tuple(rated)


def _detached(row: WeeklyCheckIn) -> CheckIn:
    return CheckIn(
        row.patient_id,
        row.week_start,
        aware(row.created_at),
        bool(row.skipped),
        {item: getattr(row, item) for item in ITEMS if getattr(row, item) is not None},
        tuple(Activity(p.position, p.activity, p.score) for p in row.psfs),
    )


def record_checkin(
    store: Store,
    patient_id: int,
    answers: Mapping[str, object],
    activities: Sequence[tuple[object, object]],
    *,
    skipped: bool = False,
    when: datetime | None = None,
) -> CheckIn:
    """Store (or replace) the patient's check-in of the week of `when` (now); CheckInError if
    it cannot be. `skipped`: the patient chose not to answer this week (answers ignored)."""
    given, rated = ({}, ()) if skipped else check_answers(answers, activities)
    when = aware(when) if when is not None else utcnow()
    week = week_of(when.date())
    with store.factory() as db, db.begin():
        row = db.scalars(
            select(WeeklyCheckIn)
            .where(WeeklyCheckIn.patient_id == patient_id, WeeklyCheckIn.week_start == week)
            .options(selectinload(WeeklyCheckIn.psfs))
        ).first()
        if row is None:
            row = WeeklyCheckIn(patient_id=patient_id, week_start=week)
            db.add(row)
        row.skipped, row.created_at = skipped, when
        for item in ITEMS:
            setattr(row, item, given.get(item))
        row.psfs.clear()
        db.flush()  # the old activities go before the new take their positions
        row.psfs.extend(PsfsRating(position=a.position, activity=a.activity, score=a.score)
                        for a in rated)  # fmt: skip
        db.flush()
        return _detached(row)


def patient_checkins(store: Store, patient_id: int) -> list[CheckIn]:
    """Every check-in of a patient, oldest week first."""
    with store.factory() as db:
        rows = db.scalars(
            select(WeeklyCheckIn)
            .where(WeeklyCheckIn.patient_id == patient_id)
            .order_by(WeeklyCheckIn.week_start)
            .options(selectinload(WeeklyCheckIn.psfs))
        ).all()
        return [_detached(r) for r in rows]


def this_week(checkins: list[CheckIn], today: date | None = None) -> CheckIn | None:
    """This week's check-in among a patient's, if there is one."""
    week = week_of(today or datetime.now(timezone.utc).date())
    return next((c for c in checkins if c.week_start == week), None)


def last_activities(checkins: list[CheckIn]) -> list[str]:
    """The activities the patient named last time (the PSFS rates the same ones again)."""
    for c in reversed(checkins):
        if c.activities:
            return [a.activity for a in c.activities]
    return []
