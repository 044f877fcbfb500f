"""`GET /patients/ID/fhir`: the patient's record as a FHIR R4 bundle, for their therapist only,
and the round trip seen as the therapist sees it: the bundle imported into another Coach (a
real app on an empty SQLite store) shows the same patient page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from coach.review.fhir import import_bundle, validate
from tests.coach.review.fhir_record import build_record
from tests.web.review_app import Review, review_app


@pytest.fixture(scope="module")
def patient_id(review: Review) -> int:
    return build_record(review.store, review.ther_a.id, "Fiona Fhir").patient_id


def test_the_therapist_downloads_a_valid_bundle(review: Review, patient_id: int) -> None:
    with review.client("ther.a") as c:
        r = c.get(f"/patients/{patient_id}/fhir")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/fhir+json")
    assert f'filename="patient-{patient_id}.fhir.json"' in r.headers["content-disposition"]
    bundle = validate(r.json())
    names = [
        e.resource.name[0].text for e in bundle.entry if e.resource.__resource_type__ == "Patient"
    ]
    assert names == ["Fiona Fhir"]


def test_only_the_patients_therapist_gets_it(review: Review, patient_id: int) -> None:
    url = f"/patients/{patient_id}/fhir"
    with review.client("ther.b") as c:
        r = c.get(url)
        assert r.status_code == 404 and "Fiona" not in r.text  # as for a missing id
        assert c.get("/patients/999999/fhir").status_code == 404
    with review.client("pat.a") as c:
        assert c.get(url).status_code == 403  # a patient, even signed in: a therapist's page
    with review.client() as c:
        r = c.get(url)
        assert r.status_code == 303 and r.headers["location"] == f"/login?next={url}"


def _page(html: str, patient_id: int) -> str:
    """The part of the patient page the record makes (name to sessions and tests), with the
    patient's local id taken out."""
    start = html.index('<h1 data-testid="patient-name">')
    end = html.index('<section class="card" id="references">')
    html = re.sub(rf"patient-{patient_id}-", "patient-ID-", html[start:end])  # downloads
    return re.sub(rf"/patients/{patient_id}\b", "/patients/ID", html)


def test_an_imported_bundle_shows_the_same_patient_page(
    review: Review, patient_id: int, tmp_path: Path
) -> None:
    with review.client("ther.a") as c:
        bundle = c.get(f"/patients/{patient_id}/fhir").json()
        original = _page(c.get(f"/patients/{patient_id}").text, patient_id)
    assert "Single-leg stance" in original and "30-second chair stand" in original
    with review_app(tmp_path) as other:
        new_id = import_bundle(other.store, json.loads(json.dumps(bundle)), other.ther_a.id)
        with other.client("ther.a") as c:
            imported = _page(c.get(f"/patients/{new_id}").text, new_id)
    assert imported == original
