"""The Store's personal references (scoring.reference): one per patient and exercise.
Storage only: coach.review.references decides whether a session can be a reference and
builds it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, delete, select

from coach.store.models import PersonalReferenceRow
from coach.store.part import StorePart

if TYPE_CHECKING:
    from scoring.reference import PersonalReference


class ReferenceStore(StorePart):
    def save_reference(
        self,
        patient_id: int,
        exercise_id: str,
        session_id: str,
        reference: dict[str, Any],
        reps: int,
        *,
        created_by: int | None = None,
    ) -> PersonalReferenceRow:
        """Keep `reference` (PersonalReference.to_json()) as the patient's one reference for
        the exercise, replacing any earlier one."""
        with self.factory.begin() as db:
            db.execute(
                delete(PersonalReferenceRow).where(
                    PersonalReferenceRow.patient_id == patient_id,
                    PersonalReferenceRow.exercise_id == exercise_id,
                )
            )
            db.flush()
            saved = PersonalReferenceRow(
                patient_id=patient_id,
                exercise_id=exercise_id,
                session_id=session_id,
                created_by=created_by,
                reps=reps,
                reference=reference,
            )
            db.add(saved)
        return saved

    def reference(self, patient_id: int, exercise_id: str) -> PersonalReference | None:
        """The patient's reference for this exercise, ready for the engine; None if unset."""
        from scoring.reference import PersonalReference

        row = self.reference_row(patient_id, exercise_id)
        return PersonalReference.from_json(row.reference) if row is not None else None

    def reference_row(self, patient_id: int, exercise_id: str) -> PersonalReferenceRow | None:
        with self.factory() as db:
            return db.scalar(
                select(PersonalReferenceRow).where(
                    PersonalReferenceRow.patient_id == patient_id,
                    PersonalReferenceRow.exercise_id == exercise_id,
                )
            )

    def references_of(self, patient_id: int) -> list[PersonalReferenceRow]:
        """The patient's references, one per exercise, by exercise id."""
        with self.factory() as db:
            q = select(PersonalReferenceRow).where(PersonalReferenceRow.patient_id == patient_id)
            return list(db.scalars(q.order_by(PersonalReferenceRow.exercise_id)))

    def remove_reference(self, patient_id: int, exercise_id: str) -> bool:
        """Forget the patient's reference for this exercise; False if there was none."""
        with self.factory.begin() as db:
            result = db.execute(
                delete(PersonalReferenceRow).where(
                    PersonalReferenceRow.patient_id == patient_id,
                    PersonalReferenceRow.exercise_id == exercise_id,
                )
            )
            # A bulk DELETE returns a CursorResult, the kind of result that has a rowcount.
            return bool(cast("CursorResult[Any]", result).rowcount)
