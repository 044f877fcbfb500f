"""Records that travel: a patient's whole record as an HL7 FHIR R4 Bundle (docs/FHIR.md),
for the patient's therapist only (another therapist's patient answers 404, as every patient
route does; web/access.py)."""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import Response

from coach.review.fhir import MEDIA_TYPE, patient_bundle
from web.routes.deps import StoreDep, TherapistsPatientDep

router = APIRouter()


@router.get("/patients/{patient_id}/fhir")
def patient_fhir(patient: TherapistsPatientDep, store: StoreDep) -> Response:
    """The Bundle (Patient, CarePlan, sessions as Procedures and Observations, ratings,
    clinical tests, our CodeSystems), as a download."""
    bundle = patient_bundle(store, patient)
    return Response(
        json.dumps(bundle, ensure_ascii=False, indent=1),
        media_type=f"{MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="patient-{patient.id}.fhir.json"'},
    )
