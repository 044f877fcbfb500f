"""The range limit in the store: migration 0003 (reps.over_limit) on an existing database,
the writers keeping the mark, and program rows validated before anything changes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from coach.store import open_store
from coach.store.db import _alembic_config, create_db_engine, current_revision, head_revision
from coach.store.store import ProgramError, Store
from exercises import load_exercise
from tests.helpers.store import database_at


def test_migration_0003_adds_over_limit_to_existing_reps(tmp_path: Path) -> None:
    url, engine = database_at(tmp_path, "0002")  # a database from before the limit
    with engine.begin() as conn:
        conn.execute(
            text(
                "insert into sessions (id, exercise_id, source, status, started_at, duration_s,"
                " summary) values ('old1', 'squat', 'analyze', 'completed',"
                " '2024-01-01 10:00:00', 5.0, '{}')"
            )
        )
        conn.execute(
            text(
                'insert into reps (session_id, "index", side, start_s, end_s, faults, extra)'
                " values ('old1', 1, '', 0.5, 2.5, '[]', '{}')"
            )
        )
    engine.dispose()
    store = open_store(url)  # start-up applies 0003 (and every later revision)
    try:
        assert current_revision(store.engine) == head_revision()
        (rep,) = store.session("old1").reps
        assert rep.over_limit is False  # stored before any limit: not over one
    finally:
        store.close()
    cols = {
        r[1]: r for r in sqlite3.connect(tmp_path / "old.db").execute("pragma table_info(reps)")
    }
    assert cols["over_limit"][3] == 1  # not null
    engine = create_db_engine(url)
    command.downgrade(_alembic_config(engine), "0002")
    assert "over_limit" not in {
        r[1] for r in sqlite3.connect(tmp_path / "old.db").execute("pragma table_info(reps)")
    }
    engine.dispose()


def _rep(index: int, over: bool | None) -> dict:  # type: ignore[type-arg]
    event = {
        "kind": "RepCompleted",
        "t": index * 2.0,
        "index": index,
        "start_s": index * 2.0 - 1.5,
        "end_s": index * 2.0,
        "rom_deg": 90.0,
        "peak_deg": 110.0 if over else 80.0,
        "score": 85.0,
        "faults": ["range_limit"] if over else [],
    }
    if over is not None:
        event["over_limit"] = over
    return event


def test_the_writer_keeps_over_limit(any_store: Store) -> None:
    writer = any_store.writer("lim1", load_exercise("squat"), patient_id=None, source="analyze")
    writer.start((640, 480), 30.0)
    for i, over in enumerate([True, False, None], start=1):  # None: an event from before
        writer.event(_rep(i, over))
    writer.finish()
    reps = any_store.session("lim1").reps
    assert [r.over_limit for r in reps] == [True, False, False]
    assert all("over_limit" not in (r.extra or {}) for r in reps)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"max_rom_deg": 200}, "between 0 and 180"),
        ({"max_rom_deg": -5}, "between 0 and 180"),
        ({"max_rom_deg": float("nan")}, "between 0 and 180"),
        ({"reps": 0}, "no reps"),
        ({"reps": None}, "no reps"),
        ({"target_rom_deg": 120, "max_rom_deg": 90}, "above the limit"),
    ],
)
def test_a_bad_program_row_is_refused_and_changes_nothing(
    any_store: Store,
    row: dict,
    reason: str,  # type: ignore[type-arg]
) -> None:
    ther = any_store.create_user("ther.lim", "T", "a long secret pw")
    patient = any_store.create_patient(ther.id, "P Limit")
    good = {"exercise_id": "squat", "sets": 3, "reps": 10, "max_rom_deg": 100}
    any_store.set_program(patient.id, [good])
    with pytest.raises(ProgramError, match=reason) as exc:
        any_store.set_program(patient.id, [good, {"exercise_id": "squat", "reps": 5} | row])
    assert "row 2" in str(exc.value).lower()
    assert [(p.reps, p.max_rom_deg) for p in any_store.program(patient.id)] == [(10, 100.0)]


def test_a_hold_row_needs_no_reps_and_a_limit_of_180_is_allowed(any_store: Store) -> None:
    ther = any_store.create_user("ther.hold", "T", "a long secret pw")
    patient = any_store.create_patient(ther.id, "P Hold")
    rows = [
        {"exercise_id": "single_leg_stance", "reps": 0, "hold_s": 20},
        {"exercise_id": "squat", "reps": 8, "max_rom_deg": 180},
        {"exercise_id": "squat"},  # reps not stated: the default
    ]
    assert [p.reps for p in any_store.set_program(patient.id, rows)] == [0, 8, 10]
