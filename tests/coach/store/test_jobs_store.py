"""The job rows a task queue relies on, on SQLite and PostgreSQL: a job's session id is fixed
when it is created, a finished job can't be claimed again, a partial session is discarded
whole; and the migrations run (twice, harmlessly) on a fresh PostgreSQL database."""

from __future__ import annotations

import numpy as np

from coach.store import open_store
from coach.store.db import current_revision
from coach.store.store import Store
from exercises import load_exercise


def test_a_job_is_claimed_until_it_is_finished(any_store: Store) -> None:
    ther = any_store.create_user("ther", "Dr T", "correct horse battery")
    patient = any_store.create_patient(ther.id, "Pat")
    job = any_store.create_job(patient.id, "squat", "a.mp4")
    other = any_store.create_job(patient.id, "squat", "b.mp4")
    assert job.session_id and job.session_id != other.session_id
    assert any_store.claim_job(job.id).status == "running"
    assert any_store.claim_job(job.id) is not None  # delivered again: still to do
    any_store.update_job(job.id, status="done")
    assert any_store.claim_job(job.id) is None
    assert any_store.claim_job("no-such-job") is None


def test_discarding_a_partial_session_removes_all_its_rows(any_store: Store) -> None:
    writer = any_store.writer("sessJ0001", load_exercise("squat"), patient_id=None, source="upload")
    writer.start((640, 480), 30.0)
    for i in range(45):
        writer.frame(i / 30, np.full((33, 4), 0.5, dtype=np.float32))
    writer.event({"kind": "RepCompleted", "index": 1, "start_s": 0.2, "end_s": 1.4, "score": 90})
    writer.flush_frames()
    assert any_store.discard_session("sessJ0001")
    assert any_store.session("sessJ0001") is None
    assert len(any_store.session_frames("sessJ0001").t) == 0
    assert not any_store.discard_session("sessJ0001")
    again = any_store.writer("sessJ0001", load_exercise("squat"), patient_id=None, source="upload")
    again.start((640, 480), 30.0)  # a re-run starts from nothing, not from the partial rows
    assert again.t_offset == 0.0 and again.reps_written == 0


def test_migrations_run_on_postgresql_and_are_idempotent(postgres_url: str) -> None:
    from tests.servers import fresh_database

    url = fresh_database(postgres_url)
    first = open_store(url)
    head = current_revision(first.engine)
    first.close()
    again = open_store(url)
    assert current_revision(again.engine) == head is not None
    again.close()
