"""The program to and from FHIR: one CarePlan, one activity per prescribed exercise.

An activity's detail names the exercise (our exercises CodeSystem) and its days a week as a
Timing (that many times per week); FHIR has no element for sets, reps, hold, rest, a target
range or a range limit, so each is an extension of the detail. The therapist's notes for the
exercise are its description.
"""

from __future__ import annotations

from typing import Any

from coach.review.fhir.refs import Context, ref
from coach.review.fhir.terms import EXERCISES, Q, coding, extension, extension_values

# ProgramItem field -> (extension name, unit; None: a whole number)
_DOSE = {
    "sets": ("exercise-sets", None),
    "reps": ("exercise-reps", None),
    "hold_s": ("exercise-hold", "s"),
    "rest_s": ("exercise-rest", "s"),
    "target_rom_deg": ("target-range", "deg"),
    "max_rom_deg": ("range-limit", "deg"),
}


def _activity(item: Any, names: dict[str, str]) -> dict[str, Any]:
    name = names.get(item.exercise_id, item.exercise_id)
    exts = []
    for field, (ext, unit) in _DOSE.items():
        value = getattr(item, field)
        if value is None:
            continue  # rest: the exercise's own; target and limit: none prescribed
        exts.append(extension(ext, int(value) if unit is None else Q(float(value), unit)))
    detail: dict[str, Any] = {
        "extension": exts,
        "code": {"coding": [coding(item.exercise_id, EXERCISES, name)], "text": name},
        "status": "in-progress",
        "scheduledTiming": {
            "repeat": {"frequency": int(item.days_per_week), "period": 1, "periodUnit": "wk"}
        },
    }
    if item.notes:
        detail["description"] = item.notes
    return {"detail": detail}


def careplan_resource(
    program: list[Any], ctx: Context, names: dict[str, str], author: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "CarePlan",
        "status": "active",
        "intent": "plan",
        "title": "Home exercise program",
        "subject": ref(ctx.patient),
        "activity": [_activity(item, names) for item in program],
    }
    return out | ({"author": ref(author)} if author else {})


def read_program(careplan: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The program rows (`Store.set_program`'s items) of a CarePlan, in order."""
    items = []
    for activity in (careplan or {}).get("activity") or []:
        detail = activity.get("detail") or {}
        code = next(
            (
                c["code"]
                for c in (detail.get("code") or {}).get("coding") or []
                if c.get("system") == EXERCISES
            ),
            None,
        )
        if code is None:
            continue  # not one of Coach's exercises: nothing Coach could run
        ext = extension_values(detail)
        repeat = (detail.get("scheduledTiming") or {}).get("repeat") or {}
        item: dict[str, Any] = {
            "exercise_id": code,
            "days_per_week": int(repeat.get("frequency") or 5),
            "notes": str(detail.get("description") or ""),
        }
        for field, (name, unit) in _DOSE.items():
            value = ext.get(name)
            item[field] = None if value is None else int(value) if unit is None else float(value)
        items.append({k: v for k, v in item.items() if v is not None or k == "rest_s"})
    return items
