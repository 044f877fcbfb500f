"""Uploaded videos analysed in the background, with progress.

The analysis runs on one background thread (no worker process: one pose model at a time
next to the live sessions), or, in a cluster (`COACH_REDIS_URL`), on `coach worker`
processes fed by a task queue; the job row carries its progress for any server's page to
poll. Uploads are named after their job (`<job>.mp4`, `<job>.keep.mp4` when the therapist
asked to keep the video); the upload is deleted after analysis unless kept. At start-up,
`clean_up_orphans` deletes what a crash left in `uploads/` (partial uploads, videos of jobs
that are no longer running), moving kept ones to `videos/`.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.offline.jobs import KEEP, run_job, video_name
from coach.store import Store, cluster
from coach.store.sessions import new_session_id
from web.uploads.receiving import PARTIAL, storage_error

if TYPE_CHECKING:
    from coach.offline.queue import UploadQueue

log = logging.getLogger(__name__)


class AnalysisJobs:
    """Runs uploaded videos through the pipeline into the store: one at a time on a thread of
    this process, or, with a task queue (`queue`, coach/offline/queue.py), on `coach worker`
    processes anywhere. The job itself is `coach.offline.jobs.run_job` either way."""

    def __init__(
        self,
        store: Store,
        upload_dir: Path | None = None,
        queue: UploadQueue | None = None,
        pose_model: str = "full",
        own_id: Callable[[str], bool] | None = None,
    ) -> None:
        self.store = store
        self._own_id = own_id  # one of several worker processes: job ids that are its own
        self.pose_model = pose_model  # pose.estimator.POSE_MODELS (`coach serve --model`)
        self.upload_dir = upload_dir or cluster.upload_dir()
        self.video_dir = cluster.video_dir()
        self.queue = queue
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coach-analysis")

    def submit(self, patient_id: int, exercise: Any, filename: str, path: Path, keep: bool) -> str:
        """Queue the received upload at `path`; it is renamed after its job first."""
        job = self.store.create_job(patient_id, exercise.id, filename, self._new_id())
        named = self.upload_dir / video_name(job.id, filename, keep)
        try:
            path.replace(named)
        except OSError as exc:
            path.unlink(missing_ok=True)
            self.store.update_job(job.id, status="failed", error="The server could not store it.")
            raise storage_error(exc) from None
        if self.queue is not None:
            self.queue.send(job.id)
        else:
            self._pool.submit(
                run_job, self.store, job.id, self.upload_dir, self.video_dir, self.pose_model
            )
        return job.id

    def _new_id(self) -> str | None:
        """None (the store makes one), or for one of several workers an id that is its own:
        if it dies, its supervisor fails the jobs it was running (web/workers.py)."""
        if self._own_id is None:
            return None
        while True:
            candidate = new_session_id()
            if self._own_id(candidate):
                return candidate

    def run_exclusive(self, fn: Any, *args: Any) -> Any:
        """Run `fn(*args)` on the analysis thread (a Future): a clinical test on an upload
        then waits its turn, so one pose model at a time runs next to the live sessions."""
        return self._pool.submit(fn, *args)

    def clean_up_orphans(self, min_age_s: float = 0.0) -> list[str]:
        """At start-up (after `Store.mark_interrupted`): delete the files a crash left in
        `uploads/`: partial uploads and the videos of jobs that are not running; a video the
        therapist asked to keep goes to `videos/` instead. Returns the names removed/moved.
        In a cluster (`min_age_s` > 0) another server may be receiving a partial upload into
        the shared folder: only those older than `min_age_s` are orphans."""
        if not self.upload_dir.is_dir():
            return []
        done: list[str] = []
        now = time.time()
        for path in sorted(self.upload_dir.iterdir()):
            if not path.is_file():
                continue
            job_id = path.name.split(".", 1)[0]
            partial = path.name.endswith(PARTIAL)
            job = self.store.job(job_id) if not partial else None
            if job is not None and job.status in ("queued", "running"):
                continue  # another server on this data directory is working on it
            try:
                if partial and min_age_s > 0 and now - path.stat().st_mtime < min_age_s:
                    continue
                if job is not None and KEEP + "." in path.name:
                    self.video_dir.mkdir(parents=True, exist_ok=True)
                    shutil.move(str(path), self.video_dir / f"interrupted-{path.name}")
                else:
                    path.unlink()
            except OSError as exc:
                log.warning("could not clean up upload %s: %s", path.name, exc)
                continue
            done.append(path.name)
        if done:
            log.warning("cleaned up %d upload(s) left by an interrupted server", len(done))
        return done

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self.queue is not None:
            self.queue.close()
