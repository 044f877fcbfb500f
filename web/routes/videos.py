"""A kept upload's video, played on its session page beside the replay: for the patient's own
therapist only (another therapist's patient, like any patient route, answers 404; a patient
gets 403, as on every therapist page). Starlette's FileResponse answers HTTP range requests
(206 Partial Content), so the browser seeks without downloading the whole file."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from coach.store.models import ExerciseSession
from web.audit import audited
from web.routes.deps import TherapistDep, VisibleSessionDep

router = APIRouter()

# What a browser's <video> plays; anything else is offered as a download on the page.
PLAYABLE = {".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg"}


def kept_video(row: ExerciseSession) -> Path | None:
    """The session's kept video file, if it was kept and is still there."""
    if not row.video_path:
        return None
    path = Path(row.video_path)
    return path if path.is_file() else None


def has_video(row: ExerciseSession) -> bool:
    return kept_video(row) is not None


@router.get("/sessions/{session_id}/video", include_in_schema=False)
@audited("session.video")
def session_video(who: TherapistDep, row: VisibleSessionDep) -> FileResponse:
    path = kept_video(row)
    if path is None:
        raise HTTPException(404, "No video was kept for this session.")
    suffix = path.suffix.lower()
    media = PLAYABLE.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(
        path,
        media_type=media,
        filename=row.video_name or path.name,
        content_disposition_type="inline",
        headers={"Cache-Control": "private, no-cache"},
    )
