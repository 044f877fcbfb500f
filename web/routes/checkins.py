"""The patient's weekly check-in (coach.store.checkins): saving the form on /me
(web.routes.checkin_form, review/_checkin.html), the therapist's charts and marked
changes (review/_checkin_chart.html), the session report's line, and the CSV and JSON exports.

Only the patient answers their own check-in; a therapist reads their patients' (404 for any
other, as every patient route).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from coach.i18n import Reader, reader
from coach.review.checkins import checkins_csv, meaningful_changes, sources, weekly_checkins
from coach.store.checkins import CheckIn, CheckInError, patient_checkins, record_checkin, week_of
from coach.store.store import Store
from web.audit import audited, note_patient
from web.charts import ChartWords, chart_words, line_chart
from web.routes.checkin_form import Refused, Submitted
from web.routes.deps import IdentityDep, StoreDep, TherapistsPatientDep
from web.routes.patient import me_page

router = APIRouter()

PLAIN = {"sleep": "sleep", "stress": "stress", "headaches": "headaches", "energy": "energy"}


@router.post("/me/checkin", include_in_schema=False)
@audited("checkin.record")
async def save_checkin(request: Request, who: IdentityDep, store: StoreDep) -> Response:
    """The /me form: the answers given (a question left on "Skip" is left out), or the whole
    week skipped. Back to /me; when it cannot be saved, /me at once with the form as sent and
    the reason, so nothing the patient entered is lost."""
    if who.patient_id is None:
        raise HTTPException(403, "Only a patient answers their own weekly check-in.")
    note_patient(request, who.audit_ref)
    form = await request.form()
    sent = Submitted.of(form)
    skipped = form.get("action") == "skip"
    try:
        record_checkin(store, who.patient_id, sent.answers, sent.activities, skipped=skipped)
    except CheckInError as exc:
        return me_page(request, who, store, Refused(exc.reason, exc.position, sent))
    return RedirectResponse("/me?checkin=saved#checkin", status_code=303)


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
