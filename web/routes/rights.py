"""The patient's rights on the web: the consent screen a personal link opens first (and /me's
one button to withdraw), and the therapist's confirmed erasure of a patient.

- Consent (coach/store/consent.py): `/consent` says in plain words what is kept, that the video
  is not, and who sees the results; the answer and the text's version (`CONSENT_VERSION`) are
  stored. Asked when the patient has not answered yet, or agreed to an older text. A "no"
  (declined, withdrawn) stops every new recording; the patient can still exercise.
- Erasure (coach/store/erasure.py): the patient page links to `/patients/ID/erase`, a second
  page that lists what goes and asks for the patient's name; only the patient's therapist may,
  and not while the patient is exercising live or one of their videos is being analysed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from coach.live import SessionRegistry
from coach.store import Store
from coach.store.consent import Consent
from coach.store.erasure import ErasureRefused, confirms, empty_sqlite_log_soon
from coach.store.models import Patient
from scoring.words import say
from web import access
from web.audit import audited, note_of, note_patient
from web.routes.deps import (
    IdentityDep,
    RegistryDep,
    StoreDep,
    TherapistDep,
    TherapistsPatientDep,
)
from web.routes.pages import render

router = APIRouter()

# The consent text's version (web/templates/review/consent.html): change it with the text, and
# everyone who agreed to the old one is asked again.
CONSENT_VERSION = "1"
ANSWERS = {"yes": "given", "no": "declined", "withdraw": "withdrawn"}


def needs_consent(consent: Consent | None) -> bool:
    """Whether the consent screen comes first: no answer yet, or a yes to an older text."""
    return consent is None or (
        consent.answer == "given" and consent.text_version != CONSENT_VERSION
    )


def after_sign_in(store: Store, patient_id: int) -> str:
    """Where a patient goes once signed in: the consent screen if it is due, else /me."""
    return "/consent" if needs_consent(store.consent(patient_id)) else "/me"


def recordable_patient(patient: TherapistsPatientDep, store: StoreDep) -> Patient:
    """The path's patient, if something new may be stored for them (409 with the reason when
    they declined or withdrew consent): uploads and clinical tests ask for it."""
    refusal = store.recording_refusal(patient.id)
    if refusal is not None:
        raise HTTPException(409, refusal)
    return patient


RecordablePatientDep = Annotated[Patient, Depends(recordable_patient)]


# ---- consent -------------------------------------------------------------------------------
@router.get("/consent", include_in_schema=False)
@audited("consent.view")
def consent_page(request: Request, who: IdentityDep, store: StoreDep) -> Response:
    if who.patient_id is None:
        return RedirectResponse("/therapist", status_code=303)
    patient = access.patient_for(store, who, who.patient_id)
    note_patient(request, patient.audit_ref)
    return render(
        request,
        "consent.html",
        who,
        patient=patient,
        therapist=store.therapist_name(patient.id) or say("your therapist"),
        consent=store.consent(patient.id),
        version=CONSENT_VERSION,
    )


@router.post("/consent", include_in_schema=False)
@audited("consent.answer")
def answer_consent(
    request: Request, who: IdentityDep, store: StoreDep, answer: str = Form("")
) -> RedirectResponse:
    """The patient's yes or no (the consent screen), or their withdrawal (/me)."""
    if who.patient_id is None:
        raise HTTPException(403, "Only a patient answers for themselves.")
    note_patient(request, who.audit_ref)
    note_of(request).subject = answer[:20]
    if answer not in ANSWERS:
        raise HTTPException(400, "Answer yes, no or withdraw.")
    store.record_consent(who.patient_id, ANSWERS[answer], CONSENT_VERSION)
    return RedirectResponse("/me", status_code=303)


# ---- erasure -------------------------------------------------------------------------------
def _exercising(registry: SessionRegistry, patient_id: int) -> bool:
    """The patient's page is connected to a live session (on any worker process)."""
    return any(s.patient_id == patient_id for s in registry.live_views())


def _erase_page(
    request: Request,
    who: TherapistDep,
    store: Store,
    patient: Patient,
    error: str = "",  # a message (scoring.words), or an English sentence
    status: int = 200,
) -> HTMLResponse:
    """The confirmation page: what goes, the name to type; with `error`, why not (yet)."""
    plan = store.erasure_plan(patient.id)
    if plan is None:
        raise HTTPException(404, "No such patient.")
    page = render(request, "erase.html", who, patient=patient, plan=plan, error=error)
    page.status_code = status
    return page


@router.get("/patients/{patient_id}/erase", include_in_schema=False)
@audited("patient.erase_page")
def erase_page(
    request: Request, who: TherapistDep, patient: TherapistsPatientDep, store: StoreDep
) -> HTMLResponse:
    return _erase_page(request, who, store, patient)


@router.post("/patients/{patient_id}/erase", include_in_schema=False, response_model=None)
@audited("patient.erase")
def erase(
    request: Request,
    who: TherapistDep,
    patient: TherapistsPatientDep,
    store: StoreDep,
    registry: RegistryDep,
    confirm: str = Form(""),
) -> Response:
    """Erase the patient once their name (or id) is typed; back to the patient list."""
    if not confirms(confirm, patient.id, patient.name):
        wrong = say("That is not the patient's name: nothing was erased.")
        return _erase_page(request, who, store, patient, wrong, 400)
    if _exercising(registry, patient.id):
        busy = say("They are exercising right now: erase them once their session has ended.")
        return _erase_page(request, who, store, patient, busy, 409)
    try:
        done = store.erase_patient(patient.id)
    except ErasureRefused as exc:
        return _erase_page(request, who, store, patient, str(exc), 409)
    if done.log_emptied is False:  # a reader held the log: it is emptied once they let go
        empty_sqlite_log_soon(store.engine)
    # Files the server could not delete (their paths are in its log): the page says how many.
    left = f"&files_left={len(done.failed)}" if done.failed else ""
    return RedirectResponse(f"/therapist?erased=1{left}", status_code=303)
