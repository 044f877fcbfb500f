"""A programme item in words: the therapist's version (with degrees) and the patient's (plain).

Shared by the follow page, the therapist's dashboard and the printable handout, so a dose reads
the same everywhere. Pure: takes the stored row (or anything with its fields).
"""

from __future__ import annotations

from typing import Any

from scoring.words import Say, nsay, say


def dose_words(item: Any) -> str:
    """ "3 sets of 10 reps, 5 days a week" (holds: "3 sets of one 30-second hold"): a message
    (scoring.words) whose text is the English."""
    sets = int(getattr(item, "sets", 1) or 1)
    reps = int(getattr(item, "reps", 0) or 0)
    hold = float(getattr(item, "hold_s", 0) or 0)
    days = int(getattr(item, "days_per_week", 0) or 0)
    each: Say
    if hold > 0 and reps <= 1:
        each = say("one {seconds}-second hold", seconds=hold)
    elif hold > 0:
        each = nsay(
            "{n} hold of {seconds} seconds", "{n} holds of {seconds} seconds", reps, seconds=hold
        )
    elif reps > 0:
        each = nsay("{n} rep", "{n} reps", reps)
    else:
        each = say("as many as feel right")
    text = nsay("{n} set of {each}", "{n} sets of {each}", sets, each=each)
    rest = getattr(item, "rest_s", None)
    if rest:
        text = say("{dose}, {seconds} seconds' rest between sets", dose=text, seconds=float(rest))
    return _days(text, days)


def _days(text: Say, days: int) -> Say:
    if not days:
        return text
    return say("{dose}, {days}", dose=text, days=nsay("{n} day a week", "{n} days a week", days))


def clinical_words(item: Any) -> str:
    """The dose plus the target and limit in degrees and the notes (for the therapist)."""
    parts = [dose_words(item)]
    if getattr(item, "target_rom_deg", None) is not None:
        parts.append(f"target range {item.target_rom_deg:g}°")
    if getattr(item, "max_rom_deg", None) is not None:
        parts.append(f"range limit {item.max_rom_deg:g}°")
    notes = (getattr(item, "notes", "") or "").strip()
    if notes:
        parts.append(notes)
    return "; ".join(parts)


def task_dose_words(item: Any, task: Any) -> str:
    """A hand-eye targets task's dose: "2 rounds of 12 targets (6 for each hand), 5 days a
    week" (its sets are rounds; a round is the task's targets)."""
    rule = task.targets
    hands = 2 if rule.hands == "both" else 1
    count = rule.count * hands
    each = (
        say("{n} for each hand", n=rule.count)
        if hands == 2
        else (say("left hand") if rule.hands == "left" else say("right hand"))
    )
    sets = int(getattr(item, "sets", 1) or 1)
    targets = nsay("{n} target", "{n} targets", count)
    text = nsay(
        "{n} round of {targets} ({each})",
        "{n} rounds of {targets} ({each})",
        sets,
        targets=targets,
        each=each,
    )
    return _days(text, int(getattr(item, "days_per_week", 0) or 0))


def any_dose_words(item: Any, definition: Any) -> str:
    """The dose of a program row in words, whatever its definition is (None: unknown)."""
    if getattr(definition, "kind", None) == "targets":
        return task_dose_words(item, definition)
    return dose_words(item)


def definition_of(exercise_id: str) -> Any | None:
    """An exercise or a hand-eye targets task by id (None: no longer known), for its name,
    dose words and instructions."""
    from exercises import load_any

    try:
        return load_any(exercise_id)
    except KeyError:
        return None
