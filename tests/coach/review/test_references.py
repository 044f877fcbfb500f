"""Personal references in the store: reps keep their features, a session's reps become the
patient's reference (one per exercise), and later sessions of that patient are judged by it.

Real data: UI-PRMD subject 1's sit-to-stand (tests/coach/store/uiprmd_sessions.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command

from coach.errors import ReferenceRefused
from coach.offline.recording import record_landmarks
from coach.review.references import set_reference_from_session
from coach.store import open_store
from coach.store.db import _alembic_config, create_db_engine, current_revision, head_revision
from coach.store.store import Store
from exercises import load_exercise
from scoring.reference import PersonalReference
from tests.coach.store.uiprmd_sessions import EXERCISE, subject_track, write_session

MARK = "(compared with your reference reps)"


@pytest.fixture()
def people(any_store: Store) -> tuple[Store, int, int]:
    ther = any_store.create_user("ther1", "T One", "a long secret pw")
    mine = any_store.create_patient(ther.id, "Pat")
    other = any_store.create_patient(ther.id, "Other")
    return any_store, mine.id, other.id


def test_a_sessions_reps_become_the_patients_reference(
    people: tuple[Store, int, int], shared_data: Path
) -> None:
    store, pid, _ = people
    lm, aspect = subject_track(shared_data, "correct", 9)
    sid = write_session(store, pid, lm, aspect)
    reps = store.session(sid).reps
    assert len(reps) == 9 and all("trunk_lean" in (r.profile or {}) for r in reps)

    row = set_reference_from_session(store, pid, sid, created_by=None)
    assert (row.exercise_id, row.session_id, row.reps) == (EXERCISE, sid, 9)
    ref = store.reference(pid, EXERCISE)
    expected = PersonalReference.from_profiles(load_exercise(EXERCISE), [r.profile for r in reps])
    assert ref == expected
    assert store.reference(pid, "squat") is None
    assert [r.exercise_id for r in store.references_of(pid)] == [EXERCISE]

    # A new reference for the same exercise replaces the old one.
    lm5, _ = subject_track(shared_data, "correct", 5)
    sid5 = write_session(store, pid, lm5, aspect)
    set_reference_from_session(store, pid, sid5)
    rows = store.references_of(pid)
    assert len(rows) == 1 and rows[0].session_id == sid5 and rows[0].reps == 5

    assert store.remove_reference(pid, EXERCISE)
    assert store.reference(pid, EXERCISE) is None and store.references_of(pid) == []
    assert not store.remove_reference(pid, EXERCISE)


def test_a_reference_is_refused_with_the_reason(
    people: tuple[Store, int, int], shared_data: Path
) -> None:
    store, pid, other = people
    lm, aspect = subject_track(shared_data, "correct", 2)
    two = write_session(store, pid, lm, aspect)
    with pytest.raises(ReferenceRefused, match="at least 3 reps, got 2"):
        set_reference_from_session(store, pid, two)
    lm, _ = subject_track(shared_data, "correct", 4)
    theirs = write_session(store, other, lm, aspect)
    with pytest.raises(ReferenceRefused, match="not one of this patient's sessions"):
        set_reference_from_session(store, pid, theirs)
    with pytest.raises(ReferenceRefused, match="is of sit_to_stand, not squat"):
        set_reference_from_session(store, other, theirs, exercise_id="squat")
    with pytest.raises(ReferenceRefused, match="no session"):
        set_reference_from_session(store, pid, "nosuchsession")
    with pytest.raises(ReferenceRefused, match="no patient with id 999"):
        set_reference_from_session(store, 999, theirs)
    assert store.references_of(pid) == [] and store.references_of(other) == []


def test_a_patients_later_sessions_are_judged_by_their_reference(
    people: tuple[Store, int, int], shared_data: Path
) -> None:
    """`record_landmarks` (as `coach analyze --save --patient N`) loads the patient's
    reference: the subject's incorrect rises get the reference's trunk-lean fault; another
    patient's (no reference) the fixed bound's only."""
    store, pid, other = people
    lm, aspect = subject_track(shared_data, "correct", 9)
    set_reference_from_session(store, pid, write_session(store, pid, lm, aspect))
    bad, _ = subject_track(shared_data, "incorrect", 10)
    size = (round(1000 * aspect), 1000)
    exercise = load_exercise(EXERCISE)
    judged, _ = record_landmarks(store, bad, 30.0, size, exercise, patient_id=pid)
    plain, _ = record_landmarks(store, bad, 30.0, size, exercise, patient_id=other)
    judged_msgs = [f.message for f in store.session(judged).faults]
    plain_msgs = [f.message for f in store.session(plain).faults]
    assert sum(MARK in m for m in judged_msgs) >= 3
    assert not any(MARK in m for m in plain_msgs)
    assert len(judged_msgs) > len(plain_msgs)
    faulty = [r for r in store.session(judged).reps if "trunk_lean" in r.faults]
    assert len(faulty) >= 3


def test_migration_adds_the_profile_column_and_keeps_old_reps(tmp_path: Path) -> None:
    """A database at the first revision, with a rep in it, upgraded by `open_store`."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_db_engine(url)
    command.upgrade(_alembic_config(engine), "0001")
    engine.dispose()
    con = sqlite3.connect(tmp_path / "old.db")
    con.execute(
        "insert into sessions (id, exercise_id, source, status, started_at, duration_s, summary)"
        " values ('s1', 'squat', 'analyze', 'completed', '2026-01-01 00:00:00', 3.0, '{}')"
    )
    con.execute(
        'insert into reps (session_id, "index", side, start_s, end_s, faults, extra)'
        " values ('s1', 1, '', 0.0, 2.0, '[]', '{}')"
    )
    con.commit()
    con.close()
    store = open_store(url)
    try:
        assert current_revision(store.engine) == head_revision()  # open_store upgrades to the head
        rep = store.session("s1").reps[0]
        assert rep.profile is None and rep.end_s == 2.0
        tables = {
            r[0]
            for r in sqlite3.connect(tmp_path / "old.db").execute(
                "select name from sqlite_master where type='table'"
            )
        }
        assert "personal_references" in tables
    finally:
        store.close()
