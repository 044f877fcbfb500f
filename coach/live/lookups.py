"""What a new live session gets for its patient: their personal reference for the exercise,
the dose their program prescribes, and for a targets task its schedule.

A failing lookup (the database is away) costs the patient that, never the session: it is
logged and the session goes on without a reference, or with the definition's dose.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from coach.live.protocol import SessionError
from coach.live.targets import LiveTargets
from coach.prescription import Prescription, ProgramRow
from scoring.definition import TargetTask

if TYPE_CHECKING:
    from coach.live.spec import ExerciseOrTask
    from scoring.reference import PersonalReference

log = logging.getLogger(__name__)

ReferenceLookup = Callable[[int, str], "PersonalReference | None"]
"""(patient id, exercise id) -> the patient's personal reference for it, or None."""
PrescriptionLookup = Callable[[int, str], "ProgramRow | None"]
"""(patient id, exercise id) -> the patient's program row for it (e.g. `Store.program_item`),
or None: the definition's defaults."""


class PatientLookups:
    """A signed-in patient's reference (`reference_for`, e.g. `Store.reference`) and program
    row (`prescription_for`, e.g. `Store.program_item`); anonymous sessions get neither."""

    def __init__(
        self,
        reference_for: ReferenceLookup | None = None,
        prescription_for: PrescriptionLookup | None = None,
    ) -> None:
        self.reference_for = reference_for
        self.prescription_for = prescription_for

    def reference(
        self, patient_id: int | None, exercise: ExerciseOrTask
    ) -> PersonalReference | None:
        """The patient's reference for the exercise (None: none, or the lookup failed)."""
        if patient_id is None or self.reference_for is None:
            return None
        try:
            reference = self.reference_for(patient_id, exercise.id)
        except Exception:
            log.exception("no personal reference for patient %s: lookup failed", patient_id)
            return None
        return reference if reference is not None and reference.exercise_id == exercise.id else None

    def program_row(self, patient_id: int | None, exercise: ExerciseOrTask) -> ProgramRow | None:
        """The patient's program row for the exercise (None: none, or the lookup failed)."""
        if patient_id is None or self.prescription_for is None:
            return None
        try:
            return self.prescription_for(patient_id, exercise.id)
        except Exception:
            log.exception("no prescription for patient %s: lookup failed", patient_id)
            return None

    def prescription(self, patient_id: int | None, exercise: ExerciseOrTask) -> Prescription:
        """The patient's program row for the exercise, else the definition's dose. A targets
        task is one set of its targets: no reps, no rest."""
        row = self.program_row(patient_id, exercise)
        if isinstance(exercise, TargetTask):
            source = "default" if row is None else "program"
            return Prescription(sets=1, reps=0, hold_s=0.0, rest_s=0.0, source=source)
        if row is None:
            return Prescription.defaults(exercise)
        return Prescription.from_program(exercise, row)

    def targets(
        self,
        patient_id: int | None,
        exercise: ExerciseOrTask,
        level: int | None,
        seed: int | None,
    ) -> LiveTargets | None:
        """A targets task's schedule (None for an exercise): at `level`, else the patient's
        program row's (when it has one), else 1; drawn from `seed`, else a random one. A
        level the task does not have is refused, naming the levels it has."""
        if not isinstance(exercise, TargetTask):
            if level is not None:
                raise SessionError(
                    "bad_request", f"{exercise.name} has no levels: level is for targets tasks."
                )
            return None
        if level is None:
            row = self.program_row(patient_id, exercise)
            level = getattr(row, "level", None) or 1
        try:
            exercise.level(level)
        except ValueError:
            known = ", ".join(str(lv.level) for lv in exercise.targets.levels)
            raise SessionError(
                "bad_request", f"{exercise.name} has no level {level}; choose one of {known}."
            ) from None
        return LiveTargets(exercise, level, secrets.randbits(32) if seed is None else seed)
