"""The patient's own ratings of a session: pain before and after it (0-10 numeric rating
scale) and effort after each set (Borg CR10). Checked here, so every way in (the web API, a
script) refuses the same things with the same words; stored one of each kind per session and
set, the latest replacing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from coach.store.models import ExerciseSession, Rating, utcnow
from coach.store.store import Store, aware

KINDS = {
    "pain_before": "pain",
    "pain_after": "pain",
    "effort": "effort",
}
SCALES = {
    "pain": "a whole number from 0 (no pain) to 10 (worst pain imaginable)",
    "effort": "a whole number from 0 (no effort at all) to 10 (maximal effort), Borg CR10",
}
MAX_AREA = 40
MAX_SET = 50


class RatingError(ValueError):
    """A rating that cannot be stored; the message says why, in words for the page."""


@dataclass(frozen=True)
class RatingRow:
    """One stored rating, detached from the database."""

    session_id: str
    patient_id: int
    kind: str
    value: int
    area: str
    created_at: datetime
    set_number: int = 0  # effort: the set (1, 2, ...); pain: 0, the session
    exercise_id: str = ""
    started_at: datetime | None = None  # when its set started (weeks and days go by this)

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "kind": self.kind,
            "value": self.value,
            "set": self.set_number,
            "area": self.area,
            "created_at": aware(self.created_at).isoformat(timespec="seconds"),
        }


def check_rating(
    kind: object, value: object, area: object = "", set_number: object = None
) -> tuple[str, int, str, int]:
    """(kind, value, area, set) when they can be stored, else RatingError saying what is
    wrong. Effort belongs to a set (default 1); pain to the whole session (set 0)."""
    if not isinstance(kind, str) or kind not in KINDS:
        raise RatingError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    scale = SCALES[KINDS[kind]]
    if isinstance(value, bool) or not isinstance(value, int):
        raise RatingError(f"{KINDS[kind]} must be {scale}; got {value!r}")
    if not 0 <= value <= 10:
        raise RatingError(f"{KINDS[kind]} must be {scale}; got {value}")
    if area is None:
        area = ""
    if not isinstance(area, str) or len(area) > MAX_AREA or not area.isprintable():
        raise RatingError(f"area must be a short text (at most {MAX_AREA} characters)")
    if kind != "effort":
        if set_number not in (None, 0):
            raise RatingError("pain is rated for the whole session, not for one set")
        return kind, value, area.strip(), 0
    if set_number is None:
        set_number = 1
    if isinstance(set_number, bool) or not isinstance(set_number, int):
        raise RatingError(f"set must be a whole number from 1 to {MAX_SET}; got {set_number!r}")
    if not 1 <= set_number <= MAX_SET:
        raise RatingError(f"set must be a whole number from 1 to {MAX_SET}; got {set_number}")
    return kind, value, area.strip(), set_number


def _row(r: Rating, exercise_id: str = "", started_at: datetime | None = None) -> RatingRow:
    return RatingRow(
        r.session_id,
        r.patient_id,
        r.kind,
        r.value,
        r.area,
        aware(r.created_at),
        r.set_number,
        exercise_id,
        aware(started_at) if started_at is not None else None,
    )


def record_rating(
    store: Store,
    session_id: str,
    kind: object,
    value: object,
    area: object = "",
    set_number: object = None,
) -> RatingRow:
    """Store (or replace) one rating of a patient's stored session; RatingError if it cannot
    be."""
    kind, value, area, number = check_rating(kind, value, area, set_number)
    with store.factory() as db, db.begin():
        session = db.get(ExerciseSession, session_id)
        if session is None or session.patient_id is None:
            raise RatingError("no such session")
        row = db.scalars(
            select(Rating).where(
                Rating.session_id == session_id,
                Rating.kind == kind,
                Rating.set_number == number,
            )
        ).first()
        if row is None:
            row = Rating(
                session_id=session_id,
                patient_id=session.patient_id,
                kind=kind,
                set_number=number,
            )
            db.add(row)
        row.value, row.area = value, area
        row.created_at = utcnow()
        db.flush()
        return _row(row, session.exercise_id, session.started_at)


def session_ratings(store: Store, session_id: str) -> list[RatingRow]:
    """A session's ratings: pain before, pain after, effort of each set (those given)."""
    order = list(KINDS)
    with store.factory() as db:
        rows = db.scalars(select(Rating).where(Rating.session_id == session_id)).all()
        return sorted((_row(r) for r in rows), key=lambda r: (order.index(r.kind), r.set_number))


def patient_ratings(store: Store, patient_id: int) -> list[RatingRow]:
    """Every rating of a patient, oldest first, with the exercise of its set."""
    with store.factory() as db:
        q = (
            select(Rating, ExerciseSession.exercise_id, ExerciseSession.started_at)
            .join(ExerciseSession, ExerciseSession.id == Rating.session_id)
            .where(Rating.patient_id == patient_id)
            .order_by(ExerciseSession.started_at, Rating.set_number, Rating.id)
        )
        return [_row(r, exercise_id, started) for r, exercise_id, started in db.execute(q)]
