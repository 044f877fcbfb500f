"""The patient to and from FHIR: Patient (name, sex, birth year, the therapist's notes, when
the record began) and the therapist as Practitioner.

Coach keeps a birth year, not a date: FHIR's `birthDate` takes a year alone ("1950"). The
record's start matters to the patient page (weeks before it are not shown as missed), so it
travels in an extension.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from coach.review.fhir.refs import parse_when, ref
from coach.review.fhir.terms import PATIENT_ID, extension, extension_values


def patient_resource(patient: Any, therapist_url: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": PATIENT_ID, "value": str(patient.id)}],
        "name": [{"text": patient.name}],
    }
    if patient.sex in ("female", "male"):
        out["gender"] = patient.sex
    if patient.birth_year:
        out["birthDate"] = f"{int(patient.birth_year):04d}"
    if therapist_url:
        out["generalPractitioner"] = [ref(therapist_url)]
    exts = [extension("record-created", patient.created_at)]
    if patient.notes:
        exts.append(extension("patient-notes", patient.notes))
    return out | {"extension": exts}


def practitioner_resource(name: str) -> dict[str, Any]:
    return {"resourceType": "Practitioner", "name": [{"text": name}]}


@dataclass
class PatientFields:
    """What a Patient resource gives a new patient row."""

    name: str
    sex: str | None
    birth_year: int | None
    notes: str
    created_at: datetime | None


def read_patient(resource: dict[str, Any]) -> PatientFields:
    names = resource.get("name") or [{}]
    first = names[0]
    name = first.get("text") or " ".join([*(first.get("given") or []), first.get("family", "")])
    birth = str(resource.get("birthDate") or "")
    ext = extension_values(resource)
    gender = resource.get("gender")
    return PatientFields(
        name=name.strip(),
        sex=gender if gender in ("female", "male") else None,
        birth_year=int(birth[:4]) if birth[:4].isdigit() else None,
        notes=str(ext.get("patient-notes") or ""),
        created_at=parse_when(ext.get("record-created")),
    )
