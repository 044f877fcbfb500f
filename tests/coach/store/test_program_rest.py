"""The prescribed rest between sets: migration 0004 on an existing program, the 0-600 s check,
and the one-row lookup the live session reads its prescription from."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from coach.store import open_store
from coach.store.db import _alembic_config, create_db_engine, current_revision, head_revision
from coach.store.store import ProgramError
from tests.helpers.store import database_at


def test_migration_0004_adds_rest_to_existing_program_rows(tmp_path: Path) -> None:
    url, engine = database_at(tmp_path, "0003")  # a database from before the rest
    with engine.begin() as conn:
        conn.execute(
            text(
                "insert into users (username, name, role, is_admin, active, created_at)"
                " values ('t', 'T', 'therapist', 0, 1, '2024-01-01 10:00:00')"
            )
        )
        conn.execute(
            text(
                "insert into patients (therapist_id, name, notes, created_at)"
                " values (1, 'P', '', '2024-01-01 10:00:00')"
            )
        )
        conn.execute(
            text(
                "insert into program_items (patient_id, position, exercise_id, sets, reps,"
                " hold_s, days_per_week, notes) values (1, 0, 'squat', 2, 5, 0, 5, '')"
            )
        )
    engine.dispose()
    store = open_store(url)  # start-up applies 0004
    try:
        assert current_revision(store.engine) == head_revision()
        item = store.program_item(1, "squat")
        assert item is not None and (item.sets, item.reps, item.rest_s) == (2, 5, None)
    finally:
        store.close()
    engine = create_db_engine(url)
    command.downgrade(_alembic_config(engine), "0003")
    cols = {
        r[1]
        for r in sqlite3.connect(tmp_path / "old.db").execute("pragma table_info(program_items)")
    }
    assert "rest_s" not in cols
    engine.dispose()


def test_rest_is_kept_checked_and_looked_up(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    try:
        ther = store.create_user("ther1", "T One", "a long secret pw")
        pid = store.create_patient(ther.id, "P").id
        row = {"exercise_id": "squat", "sets": 2, "reps": 2, "rest_s": 3.0, "max_rom_deg": 60.0}
        store.set_program(pid, [row, {"exercise_id": "bicep_curl", "sets": 1, "reps": 5}])
        item = store.program_item(pid, "squat")
        assert item is not None and (item.rest_s, item.max_rom_deg) == (3.0, 60.0)
        curl = store.program_item(pid, "bicep_curl")
        assert curl is not None and curl.rest_s is None  # the definition's rest
        assert store.program_item(pid, "lunge") is None
        for bad in (-1, 601, float("nan"), "soon"):
            with pytest.raises(ProgramError, match="rest"):
                store.set_program(pid, [{**row, "rest_s": bad}])
        assert store.program_item(pid, "squat").rest_s == 3.0  # unchanged by the refusals
    finally:
        store.close()
