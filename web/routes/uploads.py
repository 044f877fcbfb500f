"""Video uploads for a patient: checked on arrival and queued for analysis; the job's progress
is polled as JSON (by the patient page, and by whoever may see the patient).

The upload route takes no form parameters on purpose: FastAPI would parse (and spool to disk)
the whole body before the sign-in dependency runs. Here the therapist and their patient are
checked first, then `web.uploads.receiving.receive_upload` streams the body under its limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.requests import ClientDisconnect

from web.audit import audited, note_patient
from web.body_limits import STREAMED, body_limit
from web.routes.deps import IdentityDep, JobsDep, StoreDep
from web.routes.pages import load_exercise
from web.routes.rights import RecordablePatientDep
from web.uploads.jobs import AnalysisJobs
from web.uploads.receiving import (
    ReceivedUpload,
    UploadRefused,
    check_decodable,
    check_name,
    max_upload_bytes,
    receive_upload,
)

router = APIRouter()


def _refused(exc: UploadRefused) -> JSONResponse:
    headers = {"Connection": "close"} if exc.status in (408, 413) else None
    return JSONResponse(
        {"error": exc.error, "message": str(exc)}, status_code=exc.status, headers=headers
    )


async def receive_video(request: Request, jobs: AnalysisJobs) -> ReceivedUpload | Response:
    """The streamed multipart body (under the upload limits), or the response refusing it."""
    try:
        return await receive_upload(
            request.stream(),
            request.headers.get("content-type", ""),
            request.headers.get("content-length"),
            jobs.upload_dir,
            max_upload_bytes(),
        )
    except UploadRefused as exc:
        return _refused(exc)
    except ClientDisconnect:
        return Response(status_code=400)  # nobody is listening; the partial file is gone


async def checked_video(received: ReceivedUpload) -> tuple[Path, str]:
    """The received file and the name to show, once the body arrived whole and the file is
    named like a video and decodes (UploadRefused otherwise)."""
    if received.refused is not None:
        raise received.refused
    if received.path is None or received.filename is None:
        raise UploadRefused("Choose a video file to upload.")
    name = check_name(received.filename)
    await run_in_threadpool(check_decodable, received.path, name)
    return received.path, name


@router.post("/patients/{patient_id}/uploads", include_in_schema=False, response_model=None)
@body_limit(STREAMED)  # receive_upload's own limits
@audited("upload.create")
async def upload(request: Request, patient: RecordablePatientDep, jobs: JobsDep) -> Response:
    patient_id = patient.id
    received = await receive_video(request, jobs)
    if isinstance(received, Response):
        return received
    dest = received.path
    try:
        exercise_id = received.fields.get("exercise_id", "")
        exercise = load_exercise(exercise_id)
        if exercise is None:
            raise UploadRefused(f"Choose an exercise (unknown: {exercise_id[:80]!r}).")
        dest, name = await checked_video(received)
        job_id = await run_in_threadpool(
            jobs.submit, patient_id, exercise, name, dest, bool(received.fields.get("keep_video"))
        )
    except UploadRefused as exc:
        if dest is not None:
            dest.unlink(missing_ok=True)
        return _refused(exc)
    except BaseException:
        if dest is not None:
            dest.unlink(missing_ok=True)
        raise
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"job": job_id}, 202)
    return RedirectResponse(f"/patients/{patient_id}?job={job_id}#uploads", status_code=303)


@router.get("/api/jobs/{job_id}")
@audited("upload.status")
def job_status(request: Request, job_id: str, who: IdentityDep, store: StoreDep) -> dict[str, Any]:
    job = store.job(job_id)
    if job is not None:
        note_patient(request, store.audit_ref(job.patient_id))
    if job is None or store.patient_visible_to(who, job.patient_id) is None:
        raise HTTPException(404, "No such job.")  # the same words for someone else's job
    return {
        "id": job.id,
        "status": job.status,
        "progress": job.progress,
        "error": job.error,
        "session": job.session_id if job.status == "done" else None,
        "filename": job.filename,
    }
