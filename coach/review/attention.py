"""The therapist's dashboard: which patients need a look, each with the reason in words.

Three reasons, each from what is already stored (pure functions over the store's rows):
- **missed days**: in the last `WINDOW_DAYS` days (never before the patient's record began),
  fewer days with a session than the program prescribes, by `missed_days` or more (default 2,
  `COACH_MISSED_DAYS`). A day counts as adherence counts it (coach.review.progress: a session
  with a rep or a hold); today counts when done, and is not missed yet when not;
- **pain rose**: a clinically important rise (coach.review.pain.pain_flags, Farrar 2001) on a
  day within the last `RECENT_DAYS` days;
- **past the limit**: reps that went past the prescribed range limit within `RECENT_DAYS`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from coach.i18n import Day
from coach.review.pain import pain_flags
from coach.store.store import aware
from scoring.words import Say, nsay, say

WINDOW_DAYS = 7
RECENT_DAYS = 14
DEFAULT_MISSED_DAYS = 2


def missed_days_setting() -> int:
    """`COACH_MISSED_DAYS`: how many missed prescribed days flag a patient (default 2)."""
    try:
        return max(1, int(os.environ.get("COACH_MISSED_DAYS", "") or DEFAULT_MISSED_DAYS))
    except ValueError:
        return DEFAULT_MISSED_DAYS


@dataclass
class Attention:
    """One patient and why they need a look (nothing: they don't)."""

    patient_id: int
    name: str
    reasons: list[Say] = field(default_factory=list)  # messages (scoring.words)


def _done_days(sessions: Sequence[Any]) -> set[date]:
    return {aware(s.started_at).date() for s in sessions if s.reps or s.holds}


def missed_reason(
    sessions: Sequence[Any],
    program: Sequence[Any],
    today: date,
    since: date | None,
    threshold: int,
) -> Say | None:
    """'Missed 3 of 5 prescribed days ...' when the last week's missed days reach `threshold`."""
    per_week = max([int(item.days_per_week) for item in program] or [0])
    if per_week <= 0:
        return None
    first = today - timedelta(days=WINDOW_DAYS)
    if since is not None:
        first = max(first, since)
    span = (today - first).days  # days over, today not yet
    if span <= 0:
        return None
    expected = round(per_week * span / WINDOW_DAYS)
    done = sum(1 for d in _done_days(sessions) if first <= d <= today)
    missed = expected - done
    if missed < threshold:
        return None
    return nsay(
        "Missed {missed} of {expected} prescribed days in the last {n} day "
        "(exercised on {done}; the program asks for {per_week} days a week)",
        "Missed {missed} of {expected} prescribed days in the last {n} days "
        "(exercised on {done}; the program asks for {per_week} days a week)",
        span,
        missed=missed,
        expected=expected,
        done=done,
        per_week=per_week,
    )


def pain_reason(ratings: Sequence[Any], today: date) -> Say | None:
    """The latest clinically important rise in pain within RECENT_DAYS, in words."""
    recent = [f for f in pain_flags(list(ratings)) if (today - f.day).days < RECENT_DAYS]
    if not recent:
        return None
    return say("Pain rose: {rise}", rise=recent[-1].text)


def limit_reason(sessions: Sequence[Any], names: dict[str, str], today: date) -> Say | None:
    """'Went past the range limit: 2 reps of Squat (last 5 Dec)' within RECENT_DAYS."""
    over: dict[str, list[date]] = {}
    for s in sessions:
        day = aware(s.started_at).date()
        if (today - day).days >= RECENT_DAYS:
            continue
        for rep in s.reps:
            if rep.over_limit:
                over.setdefault(s.exercise_id, []).append(day)
    if not over:
        return None
    parts = tuple(
        nsay(
            "{n} rep of {exercise} (last {day})",
            "{n} reps of {exercise} (last {day})",
            len(days),
            exercise=Say(names.get(ex, ex)),
            day=Day(max(days)),
        )
        for ex, days in sorted(over.items())
    )
    return say("Went past the range limit: {parts}", parts=parts)


def attention(
    patient: Any,
    sessions: Sequence[Any],
    program: Sequence[Any],
    ratings: Sequence[Any],
    names: dict[str, str],
    today: date,
    threshold: int,
) -> Attention:
    """Why this patient needs a look (an empty `reasons`: they don't)."""
    since = aware(patient.created_at).date() if patient.created_at is not None else None
    reasons = [
        missed_reason(sessions, program, today, since, threshold),
        pain_reason(ratings, today),
        limit_reason(sessions, names, today),
    ]
    return Attention(patient.id, patient.name, [r for r in reasons if r])
