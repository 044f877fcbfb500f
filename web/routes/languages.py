"""The therapist sets the language a patient reads and hears Coach in (issue 23,
docs/I18N.md): their pages, the live coach's words and voice, the handout. None chosen: the
patient's browser decides (Accept-Language)."""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import RedirectResponse

from coach.store.accounts import AccountError
from web.audit import audited
from web.routes.deps import StoreDep, TherapistsPatientDep

router = APIRouter()


@router.post("/patients/{patient_id}/language", include_in_schema=False)
@audited("patient.language")
def set_language(
    patient: TherapistsPatientDep, store: StoreDep, language: str = Form("")
) -> RedirectResponse:
    try:
        store.set_language(patient.id, language.strip() or None)
    except AccountError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/patients/{patient.id}#language", status_code=303)
