"""The Store's upload analysis jobs (coach.offline.jobs runs them): queued, claimed by one
runner, their progress and outcome."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import desc, select

from coach.store.models import AnalysisJob
from coach.store.part import StorePart
from coach.store.sessions import new_session_id


class AnalysisJobStore(StorePart):
    def create_job(
        self, patient_id: int, exercise_id: str, filename: str, job_id: str | None = None
    ) -> AnalysisJob:
        """A queued job (under `job_id`, else a new id); its session id is chosen now, so
        that a job run twice (a worker died, the queue delivered it again) still stores one
        session under that id."""
        with self.factory.begin() as db:
            job = AnalysisJob(
                id=job_id or secrets.token_urlsafe(9),
                patient_id=patient_id,
                exercise_id=exercise_id,
                filename=filename,
                session_id=new_session_id(),
            )
            db.add(job)
        return job

    def update_job(self, job_id: str, **values: Any) -> None:
        with self.factory.begin() as db:
            job = db.get(AnalysisJob, job_id)
            if job is not None:
                for k, v in values.items():
                    setattr(job, k, v)

    def claim_job(self, job_id: str) -> AnalysisJob | None:
        """Mark the job running and return it; None when it is finished (done or failed) or
        unknown: a delivery of a job already stored is then acknowledged without work."""
        with self.factory.begin() as db:
            job = db.get(AnalysisJob, job_id, with_for_update=True)
            if job is None or job.status not in ("queued", "running"):
                return None
            job.status = "running"
            return job

    def job(self, job_id: str) -> AnalysisJob | None:
        with self.factory() as db:
            return db.get(AnalysisJob, job_id)

    def jobs_of(self, patient_id: int) -> list[AnalysisJob]:
        with self.factory() as db:
            q = select(AnalysisJob).where(AnalysisJob.patient_id == patient_id)
            return list(db.scalars(q.order_by(desc(AnalysisJob.created_at)).limit(20)))

    def fail_unfinished_jobs(self, keep: Callable[[str], bool] | None = None) -> None:
        """After a crash: jobs still queued or running failed (their video must come again);
        those `keep(job id)` are left (another process of the server runs them)."""
        with self.factory.begin() as db:
            rows = db.scalars(
                select(AnalysisJob).where(AnalysisJob.status.in_(("queued", "running")))
            )
            for job in rows:
                if keep is not None and keep(job.id):
                    continue
                job.status = "failed"
                job.error = "The server stopped during the analysis; upload the video again."
