"""Video uploads for a patient: checked on arrival and queued for analysis; the job's progress
is polled as JSON (by the patient page, and by whoever may see the patient)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response

from web import access
from web.routes.deps import IdentityDep, JobsDep, StoreDep, TherapistsPatientDep
from web.routes.pages import load_exercise
from web.uploads import UploadRefused, check_decodable, check_name, max_upload_bytes, save_stream

router = APIRouter()


@router.post("/patients/{patient_id}/uploads", include_in_schema=False, response_model=None)
def upload(
    request: Request,
    patient: TherapistsPatientDep,
    jobs: JobsDep,
    exercise_id: str = Form(""),
    keep_video: str = Form(""),
    video: Annotated[UploadFile | None, File()] = None,
) -> Response:
    patient_id = patient.id
    try:
        exercise = load_exercise(exercise_id)
        if exercise is None:
            raise UploadRefused(f"Choose an exercise (unknown: {exercise_id!r}).")
        if video is None:
            raise UploadRefused("Choose a video file to upload.")
        name = check_name(video.filename)
        dest = jobs.upload_dir / f"{secrets.token_hex(8)}{Path(name).suffix.lower()}"
        save_stream(video.file, dest, max_upload_bytes())
        try:
            check_decodable(dest)
        except UploadRefused:
            dest.unlink(missing_ok=True)
            raise
    except UploadRefused as exc:
        return JSONResponse({"error": "upload_refused", "message": str(exc)}, 400)
    job_id = jobs.submit(patient_id, exercise, name, dest, keep=bool(keep_video))
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"job": job_id}, 202)
    return RedirectResponse(f"/patients/{patient_id}?job={job_id}#uploads", status_code=303)


@router.get("/api/jobs/{job_id}")
def job_status(job_id: str, who: IdentityDep, store: StoreDep) -> dict[str, Any]:
    job = store.job(job_id)
    if job is None:
        raise HTTPException(404, "No such job.")
    access.patient_for(store, who, job.patient_id)
    return {
        "id": job.id,
        "status": job.status,
        "progress": job.progress,
        "error": job.error,
        "session": job.session_id if job.status == "done" else None,
        "filename": job.filename,
    }
