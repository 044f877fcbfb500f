"""The weekly check-in form on /me (review/_checkin.html): its questions in plain words, what it
shows this week (the answers, or the form filled with last week's activities), and a refused
save shown again with everything the patient had entered, so nothing typed is lost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from coach.store.checkins import ITEMS, MAX_ACTIVITIES, last_activities, patient_checkins, this_week
from coach.store.store import Store
from scoring.words import say

# Each question in plain words (messages: scoring.words): (field, the question, the words at 0,
# the words at 10), and the question as the answers list names it.
ASK = {
    "sleep": (say("How well did you sleep this week?"), say("very badly"), say("very well")),
    "stress": (say("How stressed did you feel this week?"), say("not at all"), say("extremely")),
    "headaches": (
        say("How bad were your headaches this week?"),
        say("no headaches"),
        say("the worst"),
    ),
    "energy": (
        say("How much energy did you have this week?"),
        say("none at all"),
        say("full of energy"),
    ),
}
ANSWERED = {
    "sleep": say("How well did you sleep"),
    "stress": say("How stressed did you feel"),
    "headaches": say("How bad were your headaches"),
    "energy": say("How much energy did you have"),
}
# Why a save was refused (CheckInError.reason), in the patient's words, by the reason's key.
REFUSED = {
    "unnamed": lambda n: say("Activity {n} has a score but no name. Write what it is.", n=n),
    "unrated": lambda n: say("Activity {n} has no answer. Tap a number from 0 to 10 for it.", n=n),
    "too_long": lambda n: say("The name of activity {n} is too long. Use at most 80 letters.", n=n),
}  # fmt: skip


@dataclass(frozen=True)
class Submitted:
    """What the patient sent: each question's raw answer and each activity's (name, score),
    as text; checked by coach.store.checkins, shown again as sent when refused."""

    answers: dict[str, str]
    activities: list[tuple[str, str]]

    @classmethod
    def of(cls, form: FormData) -> Submitted:
        return cls(
            {item: str(form.get(item, "")) for item in ITEMS},
            [
                (str(form.get(f"activity_{i}", "")), str(form.get(f"psfs_{i}", "")))
                for i in range(1, MAX_ACTIVITIES + 1)
            ],
        )


@dataclass(frozen=True)
class Refused:
    """A save that was refused: why (CheckInError's reason and position) and what was sent."""

    reason: str
    position: int
    sent: Submitted


def refusal_words(reason: str, position: int) -> Any:
    """The message for a refused save (REFUSED), or a general one for a reason no form gives."""
    if reason in REFUSED and 1 <= position <= MAX_ACTIVITIES:
        return REFUSED[reason](position)
    return say("Please check your answers and try again.")


def _score(raw: str) -> int | None:
    """A 0-10 answer as the form's buttons can show it; anything else is shown as "Skip"."""
    return int(raw) if raw.isdigit() and int(raw) <= 10 else None


def checkin_context(
    store: Store, patient_id: int, request: Request, refused: Refused | None = None
) -> dict[str, Any]:
    """What the /me partial shows: this week's answers (or the form), the activities named
    last time (the PSFS rates the same ones again), or a refused save with what was sent."""
    checkins = patient_checkins(store, patient_id)
    current = this_week(checkins)
    again = request.query_params.get("checkin") == "again" or refused is not None
    if refused is not None:
        values = {item: _score(raw) for item, raw in refused.sent.answers.items()}
        names = [name for name, _ in refused.sent.activities]
        scores = {i: _score(raw) for i, (_, raw) in enumerate(refused.sent.activities, start=1)}
    else:
        values = dict(current.answers) if current else {}
        names = [a.activity for a in current.activities] if current else last_activities(checkins)
        scores = {a.position: a.score for a in current.activities} if current else {}
    return {
        "done": current is not None and not current.skipped and not again,
        "skipped": current is not None and current.skipped and not again,
        "saved": request.query_params.get("checkin") == "saved",
        "error": refusal_words(refused.reason, refused.position) if refused else "",
        "questions": [
            {
                "id": item,
                "ask": ask,
                "answered": ANSWERED[item],
                "low": low,
                "high": high,
                "value": values.get(item),
            }
            for item, (ask, low, high) in ASK.items()
        ],  # fmt: skip
        "activities": [
            {"name": names[i] if i < len(names) else "", "value": scores.get(i + 1)}
            for i in range(MAX_ACTIVITIES)
        ],
        "current": current,
    }
