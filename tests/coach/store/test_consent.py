"""Consent on SQLite and PostgreSQL: every answer kept with its text's version, the latest one
counts, and a no stops the live recorder (the real `LiveRecorder`) for that patient only. The
migration adds the table and the retention columns to a database made by an older Coach, and
the schema it makes is the models' own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from coach.store import open_store
from coach.store.consent import ConsentError, ConsentingRecorder, refusal_words
from coach.store.live_recorder import LiveRecorder
from coach.store.models import Base
from coach.store.store import Store
from tests.helpers.store import database_at


def test_answers_are_kept_with_their_version_and_the_latest_counts(any_store: Store) -> None:
    store = any_store
    ther = store.create_user("ther.c", "Dr C", "a long secret pw")
    pid = store.create_patient(ther.id, "Cora Consent").id
    assert store.consent(pid) is None and store.may_record(pid)  # not asked yet: as before
    assert store.recording_refusal(pid) is None
    store.record_consent(pid, "given", "1")
    assert store.consent(pid).answer == "given" and store.may_record(pid)
    store.record_consent(pid, "withdrawn", "1")
    now = store.consent(pid)
    assert (now.answer, now.text_version, now.refused) == ("withdrawn", "1", True)
    assert not store.may_record(pid) and store.may_record(None)  # anonymous: recorded
    assert "withdrew consent on" in store.recording_refusal(pid)
    store.record_consent(pid, "given", "2")
    assert store.consent(pid).text_version == "2" and store.may_record(pid)
    assert refusal_words(store.consent(pid)) is None
    with pytest.raises(ConsentError, match="answer"):
        store.record_consent(pid, "perhaps", "1")
    with pytest.raises(ConsentError, match="no such patient"):
        store.record_consent(pid + 100, "given", "1")
    assert store.therapist_name(pid) == "Dr C"


def _live(recorder: ConsentingRecorder, sid: str, patient_id: int | None) -> None:
    sink = recorder.sink(sid)
    sink.event({"kind": "SessionStarted", "t": 0.0, "exercise": "squat", "patient_id": patient_id})
    for i in range(30):
        sink.frame(i / 30, np.full((33, 4), 0.5, np.float32))
    sink.event(
        {
            "kind": "RepCompleted",
            "t": 0.9,
            "index": 1,
            "start_s": 0.1,
            "end_s": 0.9,
            "rom_deg": 80.0,
            "score": 90.0,
            "faults": [],
        }
    )
    sink.event({"kind": "SessionEnded", "t": 1.0, "rep_count": 1})


def test_the_live_recorder_keeps_nothing_of_a_patient_who_said_no(any_store: Store) -> None:
    store = any_store
    ther = store.create_user("ther.r", "Dr R", "a long secret pw")
    yes, no, unasked = (store.create_patient(ther.id, n).id for n in ("Yes", "No", "Unasked"))
    store.record_consent(yes, "given", "1")
    store.record_consent(no, "declined", "1")
    recorder = ConsentingRecorder(LiveRecorder(store.factory), store.may_record)
    for sid, pid in (
        ("liveYes01", yes),
        ("liveNo001", no),
        ("liveUnas1", unasked),
        ("liveAnon1", None),
    ):
        _live(recorder, sid, pid)
    recorder.flush()
    recorder.close()
    assert store.session("liveNo001") is None and store.sessions_of(no) == []
    for sid in ("liveYes01", "liveUnas1", "liveAnon1"):
        row = store.session(sid)
        assert row is not None and len(row.reps) == 1 and len(store.session_frames(sid).t) == 30


def test_the_migration_upgrades_an_older_database_and_matches_the_models(tmp_path: Path) -> None:
    url, engine = database_at(tmp_path, "0005")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO sessions (id, exercise_id, source, status, started_at, duration_s, "
            "summary) VALUES ('old00001', 'squat', 'live', 'completed', '2024-01-01', 3, '{}')"
        )
    engine.dispose()
    store = open_store(url)
    try:
        row = store.session("old00001")
        assert row.frames_removed_after_days is None and row.video_removed_after_days is None
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        store.close()
