"""Therapist video uploads: checked on arrival, analysed in the background with progress.

Checks, in order: a known exercise, a video file name extension, a size limit (counted while
streaming to disk, so a huge upload is cut off rather than filling the disk), and a file
OpenCV can actually decode. The analysis runs on one background thread (one pose model at a
time next to the live sessions); the job row carries its progress for the page to poll. The
upload is deleted after analysis unless the therapist asked to keep the video.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from coach.store import Store, data_dir

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"}
CHUNK = 1 << 20


def max_upload_bytes() -> int:
    mb = float(os.environ.get("COACH_MAX_UPLOAD_MB", "500"))
    return int(mb * 1024 * 1024)


class UploadRefused(ValueError):
    """The upload is not acceptable; the message says why, for the therapist."""


def check_name(filename: str | None) -> str:
    name = Path(filename or "").name
    if not name:
        raise UploadRefused("Choose a video file to upload.")
    if Path(name).suffix.lower() not in VIDEO_EXTENSIONS:
        allowed = ", ".join(sorted(VIDEO_EXTENSIONS))
        raise UploadRefused(f"{name} is not a video file we accept ({allowed}).")
    return name


def save_stream(src: BinaryIO, dest: Path, limit: int) -> int:
    """Copy to `dest`, refusing (and deleting) once more than `limit` bytes arrived."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    total = 0
    with open(dest, "wb") as out:
        while True:
            block = src.read(CHUNK)
            if not block:
                break
            total += len(block)
            if total > limit:
                out.close()
                dest.unlink(missing_ok=True)
                raise UploadRefused(
                    f"The video is larger than the {limit // (1024 * 1024)} MB limit; "
                    "trim it or lower its resolution."
                )
            out.write(block)
    if total == 0:
        dest.unlink(missing_ok=True)
        raise UploadRefused("The uploaded file is empty.")
    return total


def check_decodable(path: Path) -> None:
    from pose.sources import SourceError, VideoFileSource

    try:
        with VideoFileSource(path) as src:
            first = next(iter(src), None)
    except SourceError as exc:
        raise UploadRefused(f"This file can't be read as a video: {exc}") from None
    if first is None:
        raise UploadRefused("This file has no readable video frames.")


class AnalysisJobs:
    """Runs uploaded videos through the pipeline, one at a time, recording into the store."""

    def __init__(self, store: Store, upload_dir: Path | None = None) -> None:
        self.store = store
        self.upload_dir = upload_dir or data_dir() / "uploads"
        self.video_dir = data_dir() / "videos"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coach-analysis")
        self._lock = threading.Lock()

    def submit(self, patient_id: int, exercise: Any, filename: str, path: Path, keep: bool) -> str:
        job = self.store.create_job(patient_id, exercise.id, filename)
        self._pool.submit(self._run, job.id, patient_id, exercise, filename, path, keep)
        return job.id

    def _run(
        self, job_id: str, patient_id: int, exercise: Any, filename: str, path: Path, keep: bool
    ) -> None:
        from coach.offline.analysis import NoPersonFound
        from coach.offline.recording import record_video
        from pose.sources import SourceError

        store = self.store
        session_id = store.new_session_id()
        store.update_job(job_id, status="running", session_id=session_id)
        last = [-1.0]

        def progress(done: int, total: int) -> None:
            frac = done / total if total > 0 else 0.0
            if frac - last[0] >= 0.02 or done == total:
                last[0] = frac
                store.update_job(job_id, progress=round(min(1.0, frac), 3))

        try:
            record_video(
                store,
                path,
                exercise,
                patient_id=patient_id,
                source="upload",
                video_name=filename,
                session_id=session_id,
                progress=progress,
            )
        except (SourceError, NoPersonFound) as exc:
            store.update_job(job_id, status="failed", error=str(exc))
        except Exception as exc:
            log.exception("analysis job %s failed", job_id)
            store.update_job(job_id, status="failed", error=f"{type(exc).__name__}: {exc}")
        else:
            store.update_job(job_id, status="done", progress=1.0)
        finally:
            if keep and path.exists():
                kept = self.video_dir / f"{session_id}{path.suffix.lower()}"
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(path), kept)
                store.set_session_video(session_id, str(kept))
            else:
                path.unlink(missing_ok=True)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
