"""What the therapist's program form needs to know of each exercise: its kind and its own
dose (coach.prescription.Prescription.defaults), so that choosing a hold fills in one hold of
its target time and a targets task rounds without reps, instead of "3 sets, 10 reps, hold 0"
(web/static/program_form.js applies them when the exercise of a row changes)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from coach.prescription import Prescription


@lru_cache(maxsize=1)
def _kinds() -> tuple[tuple[str, dict[str, Any]], ...]:
    from exercises import Exercise, TargetTask, list_exercises, list_tasks

    out = []
    definitions: list[Exercise | TargetTask] = [*list_exercises(), *list_tasks()]
    for definition in definitions:
        dose = Prescription.defaults(definition)
        kind = str(definition.kind)
        out.append(
            (
                str(definition.id),
                {
                    "kind": kind,
                    "sets": dose.sets,
                    # A hold counts holds (at least one); a targets task's round is its
                    # targets (a program row still needs a rep: check_program).
                    "reps": max(1, dose.reps) if kind in ("hold", "targets") else dose.reps,
                    "hold_s": dose.hold_s if kind == "hold" else 0.0,
                    "rest_s": dose.rest_s,
                },
            )
        )
    return tuple(out)


def exercise_kinds() -> dict[str, dict[str, Any]]:
    """Exercise or task id -> its kind and default sets, reps, hold and rest."""
    return dict(_kinds())
