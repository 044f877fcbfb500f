"""Numbers the pages show that are derived, not measured: exercise facts, set progress, a
session report's lists from its event log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypedDict

import numpy as np

from coach.live.protocol import Message, SessionKind, SetProgress
from scoring.events import FAULT_REPORT, HOLD_REPORT, REP_REPORT, EventKind, json_safe, report_item
from scoring.words import say

if TYPE_CHECKING:
    from coach.live.spec import ExerciseOrTask

__all__ = ["exercise_info", "json_safe", "percentile", "report_lists", "set_progress"]

RESTORED_WARNING = say(
    "The server restarted during this session; reps before the restart are counted but their"
    " details were lost."
)


def exercise_info(exercise: ExerciseOrTask) -> Message:
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


def set_progress(kind: str, reps: int, holds: int, sets: int, per_set: int) -> SetProgress:
    """Which set the patient is in and how far along, from the completed reps (or holds).

    Counting continues past the prescription (extra reps are the patient's choice); the set
    number stops at the last set and `complete` says the prescription is met. A prescription
    of 0 reps means open-ended: one set, never complete. Holds default to one per set.
    """
    unit: Literal["hold", "rep"] = "hold" if kind == "hold" else "rep"
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


class ReportLists(TypedDict):
    """A session summary's lists, in the shape of `coach analyze --json`'s."""

    reps: list[Message]
    holds: list[Message]
    faults: list[Message]
    warnings: list[str]
    messages: list[Message]


def report_lists(events: list[Message], restored: bool) -> ReportLists:
    """The report's items (scoring.events) from a session's log, as logged: the first
    fields, not rounded; a `restored` session also says its early reps lost their details."""
    # Past the range limit: said and kept; and whether the angle was measured, and the
    # limit's verdict (a follower sees a rep that could not be checked).
    rep_fields = (
        *REP_REPORT[:8],
        "over_limit",
        "measured",
        "confidence",
        "confidence_reason",
        "limit_check",
    )
    warned = (EventKind.VIEW_WARNING, EventKind.PERSON_WARNING, SessionKind.CLIENT_PROBLEM)
    warnings = list(dict.fromkeys(e.get("message") or "" for e in events if e["kind"] in warned))
    if restored:
        warnings.append(RESTORED_WARNING)

    def of(kind: str) -> list[Message]:
        return [e for e in events if e["kind"] == kind]

    return {
        "reps": [report_item(e, rep_fields) for e in of(EventKind.REP_COMPLETED)],
        "holds": [report_item(e, HOLD_REPORT) for e in of(EventKind.HOLD_ENDED)],
        "faults": [report_item(e, FAULT_REPORT[:4]) for e in of(EventKind.FAULT_DETECTED)],
        "warnings": [w for w in warnings if w],
        "messages": [{"t_s": e["t"], "text": e["text"]} for e in of(SessionKind.THERAPIST_MESSAGE)],
    }
