"""An upload's analysis job run twice (a task queue delivers at least once) stores one session,
on SQLite and on a real PostgreSQL server: the real clip is read, its stored landmarks stand in
for the pose model (the store is the subject here; the real model runs an upload's job in
tests/web/test_pose_model.py on SQLite and tests/cluster/test_uploads.py on PostgreSQL).
Each analysis, done or failed, is in the audit trail, and the chain still verifies."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from coach.offline.jobs import run_job, video_name
from coach.store.audit import session_ref, worker_actor
from coach.store.store import Store
from tests.helpers.estimators import TrackEstimator


def _analysed(store: Store) -> list[Any]:
    return [e for e in store.iter_audit() if e.action == "session.analyse"]


def test_a_job_delivered_again_after_a_crash_stores_one_session(
    any_store: Store,
    tmp_path: Path,
    squat_clip: tuple[Path, dict[str, Any]],
    shared_data: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np

    import pose.estimator
    from exercises import load_exercise

    clip, entry = squat_clip
    stored = np.load(shared_data / entry["landmarks"])["lm"]
    monkeypatch.setattr(
        pose.estimator, "create_model_estimator", lambda *_a, **_k: TrackEstimator(stored)
    )
    ther = any_store.create_user("ther", "Dr T", "correct horse battery")
    patient = any_store.create_patient(ther.id, "Pat")
    job = any_store.create_job(patient.id, "squat", "squat.mp4")
    uploads, videos = tmp_path / "uploads", tmp_path / "videos"
    uploads.mkdir()
    shutil.copy(clip, uploads / video_name(job.id, "squat.mp4", keep=True))

    # A first worker started it and died: the job is "running" with a partial session.
    any_store.update_job(job.id, status="running", progress=0.4)
    writer = any_store.writer(
        job.session_id, load_exercise("squat"), patient_id=patient.id, source="upload"
    )
    writer.start((640, 480), 30.0)

    assert run_job(any_store, job.id, uploads, videos) == "done"
    sessions = any_store.sessions_of(patient.id)
    assert [s.id for s in sessions] == [job.session_id]
    assert sessions[0].status == "completed" and len(sessions[0].reps) == 2
    done = any_store.job(job.id)
    assert done.status == "done" and done.progress == 1.0
    assert sessions[0].video_path and Path(sessions[0].video_path).parent == videos
    assert list(uploads.iterdir()) == []
    [entry] = _analysed(any_store)
    assert (entry.actor, entry.outcome) == (worker_actor(), "ok")
    assert entry.patient_ref == patient.audit_ref
    assert entry.session_ref == session_ref(job.session_id)
    assert any_store.verify_audit().ok

    # Delivered once more (acknowledgement lost): nothing to do, still one session.
    assert run_job(any_store, job.id, uploads, videos) is None
    assert len(any_store.sessions_of(patient.id)) == 1


class _NoModel:
    """The pose model's stand-in: the upload is not a video, so no frame reaches it."""

    def close(self) -> None:
        pass


def test_a_failed_analysis_is_in_the_audit_trail(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pose.estimator

    monkeypatch.setattr(pose.estimator, "create_model_estimator", lambda *_a, **_k: _NoModel())
    ther = store.create_user("ther", "Dr T", "correct horse battery")
    patient = store.create_patient(ther.id, "Pat")
    job = store.create_job(patient.id, "squat", "squat.mp4")
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / video_name(job.id, "squat.mp4", keep=False)).write_bytes(b"not a video")

    assert run_job(store, job.id, uploads, tmp_path / "videos") == "failed"
    [entry] = _analysed(store)
    assert (entry.actor, entry.outcome, entry.address) == (worker_actor(), "failed", "local")
    assert entry.patient_ref == patient.audit_ref
    assert entry.session_ref == session_ref(store.job(job.id).session_id)
    assert "Pat" not in entry.subject
    check = store.verify_audit()
    assert check.ok and check.entries >= 1
