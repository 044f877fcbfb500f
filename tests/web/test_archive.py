"""The patient's archive over a real server: their therapist downloads it from the patient
page, the patient from /me; it opens as a zip with the FHIR record, the sessions' CSV
exports, the ratings and the kept video; no one else gets it."""

from __future__ import annotations

import io
import json
import zipfile

import httpx

from tests.coach.store.traces import PASSWORD, Traces, patient_with_everything
from tests.web.review_app import Review


def _opened(r: httpx.Response, filename_start: str) -> zipfile.ZipFile:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="{filename_start}')
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    assert archive.testzip() is None
    return archive


def _holds_everything(archive: zipfile.ZipFile, traces: Traces, review: Review) -> None:
    names = archive.namelist()
    bundle = json.loads(archive.read("record.fhir.json"))
    assert bundle["resourceType"] == "Bundle"
    for row in review.store.sessions_of(traces.patient_id):
        assert any(n.endswith(f"_{row.id}/reps.csv") for n in names)
    assert "ratings.csv" in names and "left knee" in archive.read("ratings.csv").decode()
    video = traces.files[0]
    kept = [n for n in names if n.startswith("videos/")]
    assert len(kept) == 1 and archive.read(kept[0]) == video.read_bytes()


def test_the_therapist_and_the_patient_download_the_archive(review: Review) -> None:
    traces = patient_with_everything(review.store, review.ther_a.id, "Zip Zora", "zip.zora")
    pid = traces.patient_id
    with review.client("ther.a") as c:
        page = c.get(f"/patients/{pid}")
        assert f'href="/patients/{pid}/archive"' in page.text
        archive = _opened(c.get(f"/patients/{pid}/archive"), f"coach-patient-{pid}-")
        _holds_everything(archive, traces, review)
        assert c.get("/me/archive").status_code == 404  # a therapist has no /me
    with httpx.Client(base_url=review.url, timeout=60, follow_redirects=False) as c:
        signed_in = c.post("/login", data={"username": "zip.zora", "password": PASSWORD})
        assert signed_in.status_code == 303
        assert 'href="/me/archive"' in c.get("/me").text
        mine = _opened(c.get("/me/archive"), "my-coach-data-")
        _holds_everything(mine, traces, review)
        assert sorted(mine.namelist()) == sorted(archive.namelist())
        assert c.get(f"/patients/{pid}/archive").status_code == 403  # a therapist's page
    with review.client("ther.b") as c:
        assert c.get(f"/patients/{pid}/archive").status_code == 404
