"""The patient's weekly check-in (coach.store.checkins): the form on /me (review/_checkin.html,
large buttons, plain words, every question skippable), the therapist's charts and marked
changes (review/_checkin_chart.html), the session report's line, and the CSV and JSON exports.

Only the patient answers their own check-in; a therapist reads their patients' (404 for any
other, as every patient route).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse

from coach.i18n import Reader, reader
from coach.review.checkins import checkins_csv, meaningful_changes, sources, weekly_checkins
from coach.store.checkins import (
    ITEMS,
    MAX_ACTIVITIES,
    CheckIn,
    CheckInError,
    last_activities,
    patient_checkins,
    record_checkin,
    this_week,
    week_of,
)
from coach.store.store import Store
from scoring.words import say
from web.audit import audited, note_patient
from web.charts import ChartWords, chart_words, line_chart
from web.routes.deps import IdentityDep, StoreDep, TherapistsPatientDep

router = APIRouter()

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
PLAIN = {"sleep": "sleep", "stress": "stress", "headaches": "headaches", "energy": "energy"}
# Why a save was refused (CheckInError.reason), in the patient's words: the page names the
# reason by its key, never by a text from the address, which anyone could write.
REFUSED = {
    "unnamed": lambda n: say("Activity {n} has a score but no name. Write what it is.", n=n),
    "unrated": lambda n: say("Activity {n} has no answer. Tap a number from 0 to 10 for it.", n=n),
    "too_long": lambda n: say("The name of activity {n} is too long. Use at most 80 letters.", n=n),
}  # fmt: skip


def refusal_words(reason: str, position: str) -> Any:
    """The message for a refused save (REFUSED), or a general one for a reason no form
    gives; "" when nothing was refused."""
    if not reason:
        return ""
    n = int(position) if position.isdigit() and 1 <= int(position) <= MAX_ACTIVITIES else 0
    if reason in REFUSED and n:
        return REFUSED[reason](n)
    return say("Please check your answers and try again.")


@router.post("/me/checkin", include_in_schema=False)
@audited("checkin.record")
async def save_checkin(request: Request, who: IdentityDep, store: StoreDep) -> RedirectResponse:
    """The /me form: the answers given (a question left on "Skip" is left out), or the whole
    week skipped. Back to /me, with the reason when something could not be saved."""
    if who.patient_id is None:
        raise HTTPException(403, "Only a patient answers their own weekly check-in.")
    note_patient(request, who.audit_ref)
    form = await request.form()
    answers = {item: str(form.get(item, "")) for item in ITEMS}
    activities = [
        (str(form.get(f"activity_{i}", "")), str(form.get(f"psfs_{i}", "")))
        for i in range(1, MAX_ACTIVITIES + 1)
    ]
    try:
        record_checkin(
            store, who.patient_id, answers, activities, skipped=form.get("action") == "skip"
        )
    except CheckInError as exc:
        query = f"checkin_error={quote(exc.reason)}&activity={exc.position}"
        return RedirectResponse(f"/me?{query}#checkin", status_code=303)
    return RedirectResponse("/me?checkin=saved#checkin", status_code=303)


def checkin_context(store: Store, patient_id: int, request: Request) -> dict[str, Any]:
    """What the /me partial shows: this week's answers (or the form), the activities named
    last time (the PSFS rates the same ones again), a reason a save was refused."""
    checkins = patient_checkins(store, patient_id)
    current = this_week(checkins)
    again = request.query_params.get("checkin") == "again"
    names = [a.activity for a in current.activities] if current else last_activities(checkins)
    scores = {a.position: a.score for a in current.activities} if current else {}
    return {
        "done": current is not None and not current.skipped and not again,
        "skipped": current is not None and current.skipped and not again,
        "saved": request.query_params.get("checkin") == "saved",
        "error": refusal_words(
            request.query_params.get("checkin_error", ""), request.query_params.get("activity", "")
        ),
        "questions": [
            {
                "id": item,
                "ask": ask,
                "answered": ANSWERED[item],
                "low": low,
                "high": high,
                "value": current.answers.get(item) if current else None,
            }
            for item, (ask, low, high) in ASK.items()
        ],  # fmt: skip
        "activities": [
            {"name": names[i] if i < len(names) else "", "value": scores.get(i + 1)}
            for i in range(MAX_ACTIVITIES)
        ],
        "current": current,
    }


def checkin_review(store: Store, patient_id: int, words: Reader | None = None) -> dict[str, Any]:
    """What the therapist's partial shows: the weekly charts, the marked changes, sources."""
    words = words or reader("en")
    checkins = patient_checkins(store, patient_id)
    weeks = weekly_checkins(checkins)
    labels = [words.short_day(w) for w in weeks.weeks]
    base = chart_words(words)
    said = ChartWords(
        names={
            **base.names,
            "sleep": words.pgettext("chart", "sleep"),
            "stress": words.pgettext("chart", "stress"),
            "headaches": words.pgettext("chart", "headaches"),
            "energy": words.pgettext("chart", "energy"),
            "PSFS average": words.pgettext("chart", "PSFS average"),
        },
        empty=base.empty,
    )
    feel = line_chart(
        words.gettext("Sleep, stress, headaches, energy (0-10) per week"),
        labels,
        {PLAIN[item]: list(values) for item, values in weeks.answers.items()},
        bounds=(0.0, 10.0),
        words=said,
    )
    psfs = line_chart(
        words.gettext("Hard activities (PSFS: 0 unable, 10 as before) per week"),
        labels,
        {**{k: list(v) for k, v in weeks.activities.items()}, "PSFS average": weeks.psfs_mean},
        bounds=(0.0, 10.0),
        words=said,
    )
    answered = [c for c in checkins if not c.skipped]
    return {
        "feel_chart": feel,
        "psfs_chart": psfs,
        "weeks": weeks,
        "any": bool(answered),
        "rated_psfs": any(c.activities for c in checkins),
        "skipped": sum(c.skipped for c in checkins),
        "changes": meaningful_changes(checkins),
        "sources": sources(),
        "latest": answered[-1] if answered else None,
    }


def checkin_of_week(store: Store, patient_id: int, day: date) -> CheckIn | None:
    """The patient's check-in of the week of `day` (the session report's line)."""
    week = week_of(day)
    return next((c for c in patient_checkins(store, patient_id) if c.week_start == week), None)


# ---- exports ---------------------------------------------------------------------------------
@router.get("/patients/{patient_id}/checkins.csv", include_in_schema=False)
@audited("checkins.export.csv")
def checkins_csv_export(patient: TherapistsPatientDep, store: StoreDep) -> PlainTextResponse:
    return PlainTextResponse(
        checkins_csv(patient_checkins(store, patient.id)),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="patient-{patient.id}-checkins.csv"'
        },
    )


@router.get("/patients/{patient_id}/checkins.json", include_in_schema=False)
@audited("checkins.export.json")
def checkins_json_export(patient: TherapistsPatientDep, store: StoreDep) -> JSONResponse:
    """Every check-in, the changes marked meaningful and the sources of the thresholds."""
    checkins = patient_checkins(store, patient.id)
    changes = [
        {
            "what": c.what,
            "since_week": c.since.isoformat(),
            "week": c.week.isoformat(),
            "old": c.old,
            "new": c.new,
            "points": c.points,
            "threshold": c.threshold,
            "source": c.source,
        }
        for c in meaningful_changes(checkins)
    ]
    return JSONResponse(
        {
            "patient_id": patient.id,
            "checkins": [c.to_json() for c in checkins],
            "meaningful_changes": changes,
            "sources": sources(),
        },
        headers={
            "Content-Disposition": f'attachment; filename="patient-{patient.id}-checkins.json"'
        },
    )
