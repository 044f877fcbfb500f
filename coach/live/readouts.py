"""Numbers the pages show that are derived, not measured: exercise facts, set progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from scoring.events import json_safe

if TYPE_CHECKING:
    from exercises import Exercise

Message = dict[str, Any]

__all__ = ["exercise_info", "json_safe", "percentile", "set_progress"]


def exercise_info(exercise: Exercise) -> Message:
    """The fields of an exercise the pages show (JSON-ready)."""
    defaults = getattr(exercise, "defaults", None)
    rep = getattr(exercise, "rep", None)
    hold = getattr(exercise, "hold", None)
    hold_s = getattr(defaults, "hold_s", 0.0) or getattr(hold, "target_s", 0.0) or 0.0
    return {
        "id": exercise.id,
        "name": exercise.name,
        "kind": exercise.kind,
        "instructions": exercise.instructions,
        "view": exercise.view,
        "views": list(getattr(exercise, "views", None) or [exercise.view]),
        "body": getattr(exercise, "body", "full"),
        "area": getattr(exercise, "area", "other"),
        "tags": list(getattr(exercise, "tags", [])),
        "sets": getattr(defaults, "sets", 1),
        "reps": getattr(defaults, "reps", 0),
        "hold_s": float(hold_s),
        "rest_s": float(getattr(defaults, "rest_s", 0.0)),
        "measure": getattr(rep, "measure", None),
        "target": getattr(rep, "target", None),
        # Where a rep starts from: with `target`, the gauge shows how far along the range the
        # patient is, in any unit (degrees, leg lengths) and either direction.
        "rest": getattr(rep, "exit", None),
        "direction": getattr(rep, "direction", None),
        "report": getattr(rep, "report", None),
    }


def set_progress(kind: str, reps: int, holds: int, sets: int, per_set: int) -> Message:
    """Which set the patient is in and how far along, from the completed reps (or holds).

    Counting continues past the prescription (extra reps are the patient's choice); the set
    number stops at the last set and `complete` says the prescription is met. A prescription
    of 0 reps means open-ended: one set, never complete. Holds default to one per set.
    """
    unit = "hold" if kind == "hold" else "rep"
    done = holds if kind == "hold" else reps
    sets = max(1, sets)
    per = per_set if per_set > 0 else (1 if kind == "hold" else 0)
    if per == 0:
        return {"set": 1, "sets": 1, "done": done, "per_set": 0, "unit": unit, "complete": False}
    complete = done >= sets * per
    current = min(done // per + 1, sets)
    in_set = per if complete else done - (current - 1) * per
    return {
        "set": current,
        "sets": sets,
        "done": in_set,
        "per_set": per,
        "unit": unit,
        "complete": complete,
    }


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) of `values`, None when empty."""
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))
