"""Running one uploaded video's analysis job: the same code in the web process (one machine)
and in a `coach worker` (a cluster, coach/offline/queue.py).

A job may run more than once: a task queue delivers at least once, so a job whose worker died
is delivered again. Its writes are idempotent: the session id is fixed when the job is created
(`Store.create_job`), a finished job is acknowledged without work (`Store.claim_job`), and a
partial session left by a dead worker is discarded before the analysis starts again, so the
store ends with exactly one session per job.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from coach.store import Store, data_dir

if TYPE_CHECKING:
    from coach.store.models import AnalysisJob

log = logging.getLogger(__name__)

KEEP = ".keep"

JobEnd = Literal["done", "failed"]  # a job's final status, as `run_job` leaves it in the store


def video_name(job_id: str, filename: str, keep: bool) -> str:
    """The upload's name in the upload folder: `<job>.mp4`, `<job>.keep.mp4` when kept."""
    return f"{job_id}{KEEP if keep else ''}{Path(filename).suffix.lower()}"


def without_paths(message: str, path: Path, shown: str) -> str:
    """`message` with the server's path of an upload replaced by the name the user knows."""
    for p in (str(path), str(path.resolve()), str(path.parent), str(data_dir())):
        message = message.replace(p, shown)
    return message


def run_job(
    store: Store, job_id: str, upload_dir: Path, video_dir: Path, pose_model: str = "full"
) -> JobEnd | None:
    """Analyse job `job_id`'s video from `upload_dir` into its session with `pose_model`
    (lite, full, heavy); returns the job's final status, or None when there was nothing to
    do (finished before, or unknown)."""
    job = store.claim_job(job_id)
    if job is None:
        return None
    session_id = _clean_session(store, job)
    keep = (upload_dir / video_name(job_id, job.filename, True)).exists()
    path = upload_dir / video_name(job_id, job.filename, keep)
    error = _analyse(store, job, session_id, path, pose_model)
    _audit(store, job, session_id, error)
    # The job's status first: a worker killed before it leaves the job "running" with its video
    # in place, and the job runs again; killed after it, the video is an orphan that the
    # start-up clean-up of the upload folder removes (or moves to the videos when kept).
    if error is None:
        store.update_job(job_id, status="done", progress=1.0)
    else:
        store.update_job(job_id, status="failed", error=error)
    if keep and path.exists():
        kept = video_dir / f"{session_id}{path.suffix.lower()}"
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), kept)
        store.set_session_video(session_id, str(kept))
    else:
        path.unlink(missing_ok=True)
    return "done" if error is None else "failed"


def _audit(store: Store, job: AnalysisJob, session_id: str, error: str | None) -> None:
    """The analysis in the audit trail (`session.analyse`, ok or failed), before the job's
    status: an entry that cannot be written leaves the job running, to be run again."""
    from coach.store.audit import AuditEvent, session_ref, worker_actor

    store.audit(
        AuditEvent(
            action="session.analyse",
            actor=worker_actor(),
            outcome="ok" if error is None else "failed",
            address="local",
            patient_ref=store.audit_ref(job.patient_id),
            session_ref=session_ref(session_id),
        )
    )


def _clean_session(store: Store, job: AnalysisJob) -> str:
    """The job's session id (fixed now if an older job has none), with no rows left in it
    by an earlier attempt."""
    session_id = job.session_id or store.new_session_id()
    if job.session_id is None:
        store.update_job(job.id, session_id=session_id)
    log.info("job %s: started", job.id)
    if store.discard_session(session_id):
        log.warning("job %s: discarded the partial session of an earlier attempt", job.id)
    return session_id


def _analyse(
    store: Store, job: AnalysisJob, session_id: str, path: Path, pose_model: str
) -> str | None:
    """Record the video at `path` into the job's session; None when it went well, else the
    reason for the user (without the server's paths)."""
    from coach.errors import NoPersonFound
    from coach.offline.recording import record_video
    from exercises import load_exercise
    from pose.estimator import create_model_estimator
    from pose.sources import SourceError

    estimator = None
    try:
        estimator = create_model_estimator(pose_model)
        record_video(
            store,
            path,
            load_exercise(job.exercise_id),
            patient_id=job.patient_id,
            source="upload",
            video_name=job.filename,
            session_id=session_id,
            progress=_progress_to(store, job.id),
            estimator=estimator,
        )
    except (SourceError, NoPersonFound) as exc:
        return without_paths(str(exc), path, job.filename)
    except Exception as exc:
        log.exception("analysis job %s failed", job.id)
        return without_paths(f"{type(exc).__name__}: {exc}", path, job.filename)
    finally:
        if estimator is not None:
            estimator.close()
    return None


def _progress_to(store: Store, job_id: str) -> Callable[[int, int], None]:
    """A progress callback that stores the job's progress at every 2% (and at the end)."""
    last = [-1.0]

    def progress(done: int, total: int) -> None:
        frac = done / total if total > 0 else 0.0
        if frac - last[0] >= 0.02 or done == total:
            last[0] = frac
            store.update_job(job_id, progress=round(min(1.0, frac), 3))

    return progress
