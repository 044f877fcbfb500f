"""Between sessions, without any outside service: the patient's calendar feed and e-mail
reminders, set up by their therapist on the patient's page.

- The calendar feed (GET /cal/TOKEN.ics, coach.review.calendar) is a secret URL like the
  personal link: whoever has it reads the program's days and doses (no sign-in: a phone's
  calendar cannot sign in). The therapist makes one, shown once with a QR code, and revokes
  it (404 from then on).
- E-mail reminders (web/reminders.py) go out on the program's days when an SMTP server is
  configured; the therapist enters the patient's address and the hour.
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from coach.i18n import reader
from coach.review.calendar import program_calendar
from coach.review.prescription import any_dose_words, definition_of
from coach.review.progress import week_start
from coach.store import Store
from coach.store.reminders import ReminderError
from web.audit import audited, note_of, note_patient
from web.public_url import base_url, configured
from web.routes.deps import StoreDep, TherapistsPatientDep
from web.routes.pages import exercise_names

router = APIRouter()


def feed_calendar(store: Store, patient_id: int, link: str | None) -> bytes:
    """The patient's program as iCalendar, from this week on, in the patient's language (a
    calendar app has no browser language to go by: English when none is set)."""
    names = exercise_names()
    today = datetime.now(timezone.utc).date()
    patient = store.patient(patient_id)
    return program_calendar(
        patient_id,
        store.program(patient_id),
        lambda exercise_id: names.get(exercise_id, exercise_id),
        lambda item: any_dose_words(item, definition_of(item.exercise_id)),
        week_start(today),
        link,
        words=reader((patient.language if patient else None) or "en"),
    )


@router.get("/cal/{token}.ics", include_in_schema=False)
@audited("calendar.read")
def calendar_feed(request: Request, token: str, store: StoreDep) -> Response:
    feed = store.resolve_feed(token)
    if feed is None:
        raise HTTPException(404, "This calendar no longer exists: ask your therapist.")
    note_of(request).actor = "calendar-feed"  # whoever holds its secret address
    note_patient(request, store.audit_ref(feed.patient_id))
    public = configured(request)
    body = feed_calendar(store, feed.patient_id, f"{public}/me" if public else None)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'inline; filename="exercises.ics"',
            "Cache-Control": "private, max-age=3600",
        },
    )


def feed_url(request: Request, token: str) -> str:
    return f"{base_url(request)}/cal/{token}.ics"


@router.post("/patients/{patient_id}/calendar", include_in_schema=False)
@audited("calendar.create")
def new_feed(patient: TherapistsPatientDep, store: StoreDep) -> RedirectResponse:
    _, token = store.create_feed(patient.id)
    return RedirectResponse(
        f"/patients/{patient.id}?new_feed={quote(token)}#between", status_code=303
    )


@router.post("/patients/{patient_id}/calendar/{feed_id}/revoke", include_in_schema=False)
@audited("calendar.revoke")
def revoke_feed(patient: TherapistsPatientDep, feed_id: int, store: StoreDep) -> RedirectResponse:
    if not store.revoke_feed(patient.id, feed_id):
        raise HTTPException(404, "No such calendar feed.")
    return RedirectResponse(f"/patients/{patient.id}#between", status_code=303)


@router.post("/patients/{patient_id}/reminder", include_in_schema=False)
@audited("reminder.set")
def set_reminder(
    patient: TherapistsPatientDep,
    store: StoreDep,
    address: str = Form(""),
    hour: str = Form("9"),
) -> RedirectResponse:
    try:
        store.set_reminder(patient.id, address, int(hour or 9))
    except (ReminderError, ValueError) as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/patients/{patient.id}#between", status_code=303)


@router.post("/patients/{patient_id}/reminder/stop", include_in_schema=False)
@audited("reminder.stop")
def stop_reminder(patient: TherapistsPatientDep, store: StoreDep) -> RedirectResponse:
    store.stop_reminder(patient.id)
    return RedirectResponse(f"/patients/{patient.id}#between", status_code=303)
