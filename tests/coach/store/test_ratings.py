"""Pain and effort ratings in the store: migration 0005 on an existing database, checked
values (a pain of 11 is refused with the reason, also by the database itself), one rating of
each kind per set, and a patient's ratings in order."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from coach.store import open_store
from coach.store.db import _alembic_config, create_db_engine, current_revision, head_revision
from coach.store.ratings import (
    RatingError,
    check_rating,
    patient_ratings,
    record_rating,
    session_ratings,
)
from coach.store.store import Store
from tests.helpers.store import add_set, database_at


def test_migration_0005_adds_ratings_to_an_existing_database(tmp_path: Path) -> None:
    url, engine = database_at(tmp_path, "0003")  # a database from before ratings
    engine.dispose()
    store = open_store(url)
    try:
        assert current_revision(store.engine) == head_revision()
        ther = store.create_user("ther.t", "T", "a long password here")
        pat = store.create_patient(ther.id, "P")
        sid = add_set(store, pat.id, datetime.now(timezone.utc), "s1")
        assert record_rating(store, sid, "pain_before", 4).value == 4
    finally:
        store.close()
    engine = create_db_engine(url)
    command.downgrade(_alembic_config(engine), "0003")
    engine.dispose()
    tables = {
        r[0]
        for r in sqlite3.connect(tmp_path / "old.db").execute(
            "select name from sqlite_master where type='table'"
        )
    }
    assert "ratings" not in tables and "sessions" in tables


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        ("pain_before", 11, "pain must be a whole number from 0 (no pain) to 10"),
        ("pain_after", -1, "got -1"),
        ("pain_after", 3.5, "got 3.5"),
        ("effort", "7", "effort must be a whole number from 0 (no effort at all) to 10"),
        ("effort", True, "got True"),
        ("pain", 3, "kind must be one of pain_before, pain_after, effort"),
    ],
)
def test_bad_ratings_are_refused_with_the_reason(kind: str, value: object, reason: str) -> None:
    with pytest.raises(RatingError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        check_rating(kind, value)


def test_one_of_each_kind_per_set_and_the_database_checks_the_range(store: Store) -> None:
    ther = store.create_user("ther.t", "T", "a long password here")
    pat = store.create_patient(ther.id, "P")
    now = datetime.now(timezone.utc)
    first = add_set(store, pat.id, now - timedelta(days=1), "s1")
    second = add_set(store, pat.id, now, "s2")
    record_rating(store, second, "effort", 5)
    record_rating(store, second, "effort", 8, set_number=2)
    record_rating(store, second, "effort", 6, set_number=2)  # set 2 said again
    record_rating(store, first, "pain_after", 3, "knee")
    record_rating(store, first, "pain_before", 6, "knee")
    record_rating(store, first, "pain_before", 2, "knee")  # said again: replaces
    assert [(r.kind, r.value) for r in session_ratings(store, first)] == [
        ("pain_before", 2),
        ("pain_after", 3),
    ]
    rows = patient_ratings(store, pat.id)
    assert [(r.session_id, r.kind) for r in rows] == [
        ("s1", "pain_after"),
        ("s1", "pain_before"),
        ("s2", "effort"),
        ("s2", "effort"),
    ]
    assert [(r.set_number, r.value) for r in session_ratings(store, second)] == [(1, 5), (2, 6)]
    assert rows[0].exercise_id == "squat" and rows[0].started_at is not None
    with pytest.raises(RatingError, match="no such session"):
        record_rating(store, "nope", "effort", 3)
    add_set(store, None, now, "anon")  # a try-out set with no patient: nothing to rate
    with pytest.raises(RatingError, match="no such session"):
        record_rating(store, "anon", "effort", 3)
    with pytest.raises(IntegrityError), store.engine.begin() as conn:  # the schema's own check
        conn.execute(
            text(
                "insert into ratings (session_id, patient_id, kind, value, area, created_at)"
                " values ('s2', :p, 'pain_after', 11, '', '2026-01-01')"
            ),
            {"p": pat.id},
        )
