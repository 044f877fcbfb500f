"""Records that travel: a patient's whole record as an HL7 FHIR R4 Bundle (docs/FHIR.md), for
the patient's therapist only, and everything stored about a patient as one zip archive
(coach/review/archive.py), for their therapist and for the patient themselves (/me/archive).
Another therapist's patient answers 404, as every patient route does (web/access.py)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response, StreamingResponse

from coach.review.archive import patient_archive
from coach.review.fhir import MEDIA_TYPE, patient_bundle
from coach.store import Store
from coach.store.models import Patient
from web import access
from web.audit import audited, note_patient
from web.routes.deps import IdentityDep, StoreDep, TherapistsPatientDep

router = APIRouter()


@router.get("/patients/{patient_id}/fhir")
@audited("patient.export.fhir")
def patient_fhir(patient: TherapistsPatientDep, store: StoreDep) -> Response:
    """The Bundle (Patient, CarePlan, sessions as Procedures and Observations, ratings,
    clinical tests, our CodeSystems), as a download."""
    bundle = patient_bundle(store, patient)
    return Response(
        json.dumps(bundle, ensure_ascii=False, indent=1),
        media_type=f"{MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="patient-{patient.id}.fhir.json"'},
    )


def _archive(store: Store, patient: Patient, filename: str) -> StreamingResponse:
    """The archive, streamed as it is made (the videos a MiB at a time)."""
    return StreamingResponse(
        patient_archive(store, patient),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _today() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


@router.get("/patients/{patient_id}/archive", include_in_schema=False)
@audited("patient.export.archive")
def therapist_archive(patient: TherapistsPatientDep, store: StoreDep) -> StreamingResponse:
    """Everything stored about the patient, for their therapist."""
    return _archive(store, patient, f"coach-patient-{patient.id}-{_today()}.zip")


@router.get("/me/archive", include_in_schema=False)
@audited("patient.export.archive")
def my_archive(request: Request, who: IdentityDep, store: StoreDep) -> StreamingResponse:
    """Everything stored about the signed-in patient, for them (a therapist: 404)."""
    if who.patient_id is None:
        raise HTTPException(404, "No such patient.")
    patient = access.patient_for(store, who, who.patient_id)
    note_patient(request, patient.audit_ref)
    return _archive(store, patient, f"my-coach-data-{_today()}.zip")
