"""Erasing a patient leaves no trace of them in the database or the data directory, on SQLite
(the raw bytes of the file and its write-ahead log, before and after VACUUM) and PostgreSQL
(every column of every table), and nothing of another patient goes with them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.store import open_store
from coach.store.erasure import ErasureRefused
from coach.store.store import Store
from tests.coach.store.traces import (
    Traces,
    left_in_database,
    left_in_files,
    patient_with_everything,
    written_session,
)
from tests.servers import fresh_database

NAME, USERNAME = "Zelda Quintessa", "zq.erasure"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def data_store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Store, Path]]:
    """The store with its data directory (uploads, videos and, for SQLite, the database)."""
    data = tmp_path / "data"
    monkeypatch.setenv("COACH_DATA_DIR", str(data))
    monkeypatch.delenv("COACH_UPLOAD_DIR", raising=False)
    monkeypatch.delenv("COACH_VIDEO_DIR", raising=False)
    if request.param == "sqlite":
        url = f"sqlite:///{data / 'coach.db'}"
    else:
        url = fresh_database(request.getfixturevalue("postgres_url"))
    store = open_store(url)
    yield store, data
    store.close()


def _two_patients(store: Store) -> tuple[Traces, Traces]:
    ther = store.create_user("ther.erase", "Dr Eraser", "a long secret pw")
    gone = patient_with_everything(store, ther.id, NAME, USERNAME)
    kept = patient_with_everything(store, ther.id, "Olaf Keepme", "olaf.keeps")
    return gone, kept


def test_an_erased_patient_leaves_no_trace_in_the_database_or_data_directory(
    data_store: tuple[Store, Path],
) -> None:
    store, data = data_store
    gone, kept = _two_patients(store)
    assert left_in_database(store.engine, gone) and left_in_files(data, gone)  # the search works
    plan = store.erasure_plan(gone.patient_id)
    assert plan is not None and plan.name == NAME
    assert plan.rows["sessions"] == 3 and plan.rows["reps"] == 7 and plan.rows["ratings"] == 2
    assert plan.rows["users"] == 1 and len(plan.files) == 3

    ref = store.audit_ref(gone.patient_id)
    entries = len(list(store.iter_audit()))
    done = store.erase_patient(gone.patient_id)

    assert done.rows == plan.rows and sorted(done.files) == sorted(plan.files) and not done.failed
    assert done.log_emptied is (True if store.engine.dialect.name == "sqlite" else None)
    assert store.patient(gone.patient_id) is None and store.erasure_plan(gone.patient_id) is None
    assert left_in_database(store.engine, gone) == []
    assert left_in_files(data, gone) == []
    # The other patient keeps everything.
    other = store.erasure_plan(kept.patient_id)
    assert other is not None and other.rows == plan.rows and len(other.files) == 3
    assert all(path.exists() for path in kept.files)
    assert store.authenticate(USERNAME, "correct horse battery staple") is None
    assert store.authenticate("olaf.keeps", "correct horse battery staple") is not None
    # The audit trail keeps its entries about them, by a reference nothing else holds now.
    trail = list(store.iter_audit())
    assert len(trail) == entries and sum(e.patient_ref == ref for e in trail) == 2
    assert store.patients_by_ref({ref or ""}) == {} and store.verify_audit().ok
    if store.engine.dialect.name == "sqlite":
        store.close()
        with sqlite3.connect(data / "coach.db") as db:
            db.execute("VACUUM")
        assert left_in_files(data, gone) == []


def test_a_sqlite_erasure_rewrites_the_whole_file(tmp_path: Path) -> None:
    """secure_delete zeroes the deleted cells, not the old copies SQLite leaves in a page's gap
    when it compacts or splits the page (measured in docs/STORAGE.md): only VACUUM, which
    rebuilds every page, removes those. A rebuilt file has no free pages."""
    store = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    ther = store.create_user("ther.vacuum", "Dr Vacuum", "a long secret pw")
    gone, kept = (store.create_patient(ther.id, name) for name in ("Vera Gone", "Kay Kept"))
    for patient in (gone, kept):
        store.record_consent(patient.id, "given", "1")
        for _ in range(3):
            written_session(store, patient.id, "analyze")
    store.erase_patient(gone.id)
    with store.engine.connect() as conn:
        free = conn.exec_driver_sql("PRAGMA freelist_count").scalar()
    store.close()
    assert free == 0


def test_vacuum_rewrites_the_database_after_an_erasure(data_store: tuple[Store, Path]) -> None:
    store, data = data_store
    gone, kept = _two_patients(store)
    done = store.erase_patient(gone.patient_id, vacuum=True)
    assert done.rows["sessions"] == 3
    assert left_in_database(store.engine, gone) == [] and left_in_files(data, gone) == []
    assert store.erasure_plan(kept.patient_id) is not None


def test_erasure_waits_for_an_upload_being_analysed_and_changes_nothing(
    data_store: tuple[Store, Path],
) -> None:
    store, data = data_store
    gone, _ = _two_patients(store)
    job = store.jobs_of(gone.patient_id)[0]
    assert store.claim_job(job.id) is not None  # a worker is analysing it
    before = store.erasure_plan(gone.patient_id)
    with pytest.raises(ErasureRefused, match="being analysed"):
        store.erase_patient(gone.patient_id)
    assert store.erasure_plan(gone.patient_id) == before
    assert all(path.exists() for path in gone.files)
    store.update_job(job.id, status="done")
    assert store.erase_patient(gone.patient_id).rows["analysis_jobs"] == 1
    with pytest.raises(ErasureRefused, match="No patient"):
        store.erase_patient(gone.patient_id)


def test_an_upload_of_an_erased_patient_stores_nothing(data_store: tuple[Store, Path]) -> None:
    """A queued job whose patient was erased is acknowledged without work (its row is gone),
    and a session written for them fails on the patient's foreign key."""
    from sqlalchemy.exc import IntegrityError

    from coach.offline.jobs import run_job
    from coach.store import cluster
    from exercises import load_exercise

    store, data = data_store
    gone, _ = _two_patients(store)
    job = store.jobs_of(gone.patient_id)[0]
    store.erase_patient(gone.patient_id)
    assert run_job(store, job.id, cluster.upload_dir(), cluster.video_dir()) is None
    writer = store.writer(
        "late0001", load_exercise("squat"), patient_id=gone.patient_id, source="live"
    )
    with pytest.raises(IntegrityError):
        writer.start((640, 480))
    assert left_in_database(store.engine, gone) == []


def test_erasure_covers_every_table_that_points_at_a_patient() -> None:
    """A table added later with a foreign key to a patient, their sessions or links must be
    erased with them: listed in `_owned`, or here with the reason it is not. (A key to `users`
    alone is a therapist's as often as a patient account's: the erasure deletes the account
    and the test above finds what would be left.)"""
    from coach.store.erasure import _owned
    from coach.store.models import Base

    keyed_to = {"patients", "sessions", "patient_links"}
    erased = set(_owned(1)) | {"patients", "users"}
    for table in Base.metadata.sorted_tables:
        targets = {fk.column.table.name for fk in table.foreign_keys}
        if targets & keyed_to:
            assert table.name in erased, f"{table.name} points at {targets & keyed_to}"


def test_a_file_that_cannot_be_deleted_is_reported(tmp_path: Path) -> None:
    from coach.store.erasure import _remove

    stuck, fine = tmp_path / "stuck.mp4", tmp_path / "fine.mp4"
    stuck.mkdir()  # unlink() refuses a folder, as it would a file on a read-only mount
    fine.write_bytes(b"x")
    removed, failed = _remove([stuck, fine])
    assert removed == [fine] and not fine.exists()
    assert len(failed) == 1 and failed[0].startswith(f"{stuck}: ")
