"""The patient's own ratings of a set: pain before and after (0-10 numeric rating scale) and
effort after (Borg CR10). Checked here, so every way in (the web API, a script) refuses the
same things with the same words; stored one of each kind per set, the latest replacing.
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
    exercise_id: str = ""
    started_at: datetime | None = None  # when its set started (weeks and days go by this)

    def to_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "kind": self.kind,
            "value": self.value,
            "area": self.area,
            "created_at": aware(self.created_at).isoformat(timespec="seconds"),
        }


def check_rating(kind: object, value: object, area: object = "") -> tuple[str, int, str]:
    """(kind, value, area) when they can be stored, else RatingError saying what is wrong."""
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
    return kind, value, area.strip()


def _row(r: Rating, exercise_id: str = "", started_at: datetime | None = None) -> RatingRow:
    return RatingRow(
        r.session_id,
        r.patient_id,
        r.kind,
        r.value,
        r.area,
        aware(r.created_at),
        exercise_id,
        aware(started_at) if started_at is not None else None,
    )


def record_rating(
    store: Store, session_id: str, kind: object, value: object, area: object = ""
) -> RatingRow:
    """Store (or replace) one rating of a patient's stored set; RatingError if it cannot be."""
    kind, value, area = check_rating(kind, value, area)
    with store.factory() as db, db.begin():
        session = db.get(ExerciseSession, session_id)
        if session is None or session.patient_id is None:
            raise RatingError("no such session")
        row = db.scalars(
            select(Rating).where(Rating.session_id == session_id, Rating.kind == kind)
        ).first()
        if row is None:
            row = Rating(session_id=session_id, patient_id=session.patient_id, kind=kind)
            db.add(row)
        row.value, row.area = value, area
        row.created_at = utcnow()
        db.flush()
        return _row(row, session.exercise_id, session.started_at)


def session_ratings(store: Store, session_id: str) -> list[RatingRow]:
    """A set's ratings: pain before, pain after, effort (those given)."""
    order = list(KINDS)
    with store.factory() as db:
        rows = db.scalars(select(Rating).where(Rating.session_id == session_id)).all()
        return sorted((_row(r) for r in rows), key=lambda r: order.index(r.kind))


def patient_ratings(store: Store, patient_id: int) -> list[RatingRow]:
    """Every rating of a patient, oldest first, with the exercise of its set."""
    with store.factory() as db:
        q = (
            select(Rating, ExerciseSession.exercise_id, ExerciseSession.started_at)
            .join(ExerciseSession, ExerciseSession.id == Rating.session_id)
            .where(Rating.patient_id == patient_id)
            .order_by(ExerciseSession.started_at, Rating.id)
        )
        return [_row(r, exercise_id, started) for r, exercise_id, started in db.execute(q)]
