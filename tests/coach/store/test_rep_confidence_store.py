"""How well a rep's angle was seen, in the store (issue 26): migration 0007 on an existing
database, the writer keeping confidence, reason and limit verdict on SQLite and PostgreSQL, and
the per-frame values stored being the engine's own (a rep's peak is the largest stored value
within it), on the real landmark tracks of a side-view and a front-view squat."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command
from sqlalchemy import text

from coach.offline.recording import record_landmarks
from coach.store import open_store
from coach.store.db import _alembic_config, create_db_engine, current_revision, head_revision
from coach.store.store import Store
from exercises import load_exercise
from tests.helpers.data import manifest_entry
from tests.helpers.store import database_at
from tests.scoring.tracks import video_info


def test_migration_0007_adds_confidence_to_existing_reps(tmp_path: Path) -> None:
    url, engine = database_at(tmp_path, "0006")  # a database from before the confidence
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
                'insert into reps (session_id, "index", side, start_s, end_s, rom_deg, peak_deg,'
                " faults, extra, over_limit) values ('old1', 1, '', 0.5, 2.5, 90, 110, '[]',"
                " '{}', 0)"
            )
        )
    engine.dispose()
    store = open_store(url)  # start-up applies 0007
    try:
        assert current_revision(store.engine) == head_revision()
        (rep,) = store.session("old1").reps
        # Unknown how well it was seen; its numbers stay as they were stored.
        assert (rep.confidence, rep.confidence_reason, rep.limit_check) == (None, "", "")
        assert rep.peak_deg == 110.0
    finally:
        store.close()
    engine = create_db_engine(url)
    command.downgrade(_alembic_config(engine), "0006")
    cols = {r[1] for r in sqlite3.connect(tmp_path / "old.db").execute("pragma table_info(reps)")}
    assert not cols & {"confidence", "confidence_reason", "limit_check"}
    engine.dispose()


def _rep(index: int, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "RepCompleted",
        "t": index * 2.0,
        "index": index,
        "start_s": index * 2.0 - 1.5,
        "end_s": index * 2.0,
        "rom_deg": 90.0,
        "peak_deg": 110.0,
        "score": 85.0,
        "faults": [],
        **fields,
    }


def test_the_writer_keeps_how_well_each_rep_was_seen(any_store: Store) -> None:
    writer = any_store.writer("conf1", load_exercise("squat"), patient_id=None, source="analyze")
    writer.start((640, 480), 30.0)
    writer.event(_rep(1, measured=True, confidence=0.9, confidence_reason="", limit_check="within"))
    writer.event(
        _rep(2, rom_deg=None, peak_deg=None, measured=False, confidence=0.12,
             confidence_reason="view", limit_check="unchecked")
    )  # fmt: skip
    writer.event(_rep(3))  # an event from before (no confidence)
    writer.finish()
    reps = any_store.session("conf1").reps
    assert [(r.confidence, r.confidence_reason, r.limit_check) for r in reps] == [
        (0.9, "", "within"),
        (0.12, "view", "unchecked"),
        (None, "", ""),
    ]
    assert [(r.rom_deg, r.peak_deg) for r in reps] == [(90.0, 110.0), (None, None), (90.0, 110.0)]
    # Ids and numbers only: nothing of it lands in `extra` twice.
    assert "confidence" not in (reps[0].extra or {})


def _recorded(store: Store, shared_data: Path, clip: str) -> tuple[str, Any]:
    entry = manifest_entry(shared_data, clip)
    lm = np.load(shared_data / entry["landmarks"])["lm"]
    fps, w, h = video_info(shared_data / entry["video"])
    return record_landmarks(store, lm, fps, (w, h), load_exercise("squat"), patient_id=None)


@pytest.mark.parametrize("clip", ["medflex/squat", "rehab_bme410/squat"])
def test_a_reps_peak_is_the_largest_stored_value_within_it(
    any_store: Store, shared_data: Path, clip: str
) -> None:
    session_id, engine = _recorded(any_store, shared_data, clip)
    frames = any_store.session_frames(session_id)
    knees = np.fmax(frames.measures["knee_flexion_left"], frames.measures["knee_flexion_right"])
    stored = any_store.session(session_id).reps
    assert len(stored) == len(engine.reps) >= 2
    for rep in stored:
        assert rep.peak_deg is not None and rep.confidence is not None and rep.confidence >= 0.5
        inside = knees[(frames.t >= rep.start_s) & (frames.t <= rep.end_s)]
        # float16 storage: 0.1 degree at 100-150 degrees.
        assert rep.peak_deg == pytest.approx(float(np.nanmax(inside)), abs=0.1)
    # Kept: the measures the squat names, once each (no 3-D or 2-D variant beside them).
    assert set(frames.measures) == set(load_exercise("squat").measures_named())


def test_from_the_front_the_knee_is_stored_as_not_measured(
    any_store: Store, shared_data: Path
) -> None:
    session_id, engine = _recorded(any_store, shared_data, "postop_cv/squat")
    frames = any_store.session_frames(session_id)
    assert np.isnan(frames.measures["knee_flexion_left"]).all()
    assert np.isfinite(frames.measures["hip_height"]).mean() > 0.9
    assert all(r.peak_deg is None and r.confidence_reason == "view"
               for r in any_store.session(session_id).reps)  # fmt: skip
