"""The audit trail in the database: appended entries chain by hash and verify; an entry
edited, deleted or added by raw SQL (once the database's own refusal is dropped, as the
database's owner can) makes the check fail naming that entry; concurrent writers on separate
connections keep one chain; patients' references are random and survive them. On SQLite and
PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from coach.i18n import reader
from coach.store import open_store
from coach.store.audit import GENESIS, AuditEvent, entry_hash, session_ref
from coach.store.models import Base
from coach.store.store import Store
from tests.helpers.store import database_at, migrated_sqlite
from tests.servers import migrated_database


def _event(i: int, **kw: object) -> AuditEvent:
    return AuditEvent("session.view", f"user:{i % 3 + 1}", address="10.0.0.7", **kw)  # type: ignore[arg-type]


def _fill(store: Store, n: int = 6) -> None:
    for i in range(n):
        store.audit(_event(i, patient_ref="a" * 32, session_ref=session_ref(f"s{i}")))


def _raw(store: Store, sql: str) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql(sql)


def _drop_guard(store: Store) -> None:
    """What the database's owner can do: drop the triggers that refuse edits."""
    if store.engine.dialect.name == "sqlite":
        _raw(store, "DROP TRIGGER audit_log_no_update")
        _raw(store, "DROP TRIGGER audit_log_no_delete")
    else:
        _raw(store, "DROP TRIGGER audit_log_append_only ON audit_log")
        _raw(store, "DROP TRIGGER audit_log_no_truncate ON audit_log")


def test_entries_chain_and_verify(any_store: Store) -> None:
    store = any_store
    assert store.verify_audit().ok and store.verify_audit().entries == 0
    _fill(store)
    check = store.verify_audit()
    assert check.ok and check.entries == 6 and check.head_seq == 6
    rows = list(store.iter_audit())
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]
    previous = GENESIS
    for row in rows:  # each hash is the previous one's and its own fields
        assert row.hash == entry_hash(previous, row)
        previous = row.hash
    assert check.head_hash == rows[-1].hash
    first = rows[0]
    assert (first.actor, first.address, first.action, first.outcome) == (
        "user:1",
        "10.0.0.7",
        "session.view",
        "ok",
    )
    assert first.session_ref == session_ref("s0") and "s0" not in first.session_ref


def test_the_database_refuses_to_change_or_delete_an_entry(any_store: Store) -> None:
    _fill(any_store, 2)
    for sql in ("UPDATE audit_log SET action = 'x' WHERE seq = 1", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            _raw(any_store, sql)
    assert any_store.verify_audit().ok


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("UPDATE audit_log SET action = 'patient.view' WHERE seq = 3", "entry 3 was changed"),
        ("UPDATE audit_log SET status = 200 WHERE seq = 4", "entry 4 was changed"),
        ("DELETE FROM audit_log WHERE seq = 3", "entry 3 is missing"),
        ("DELETE FROM audit_log WHERE seq = 6", "entry 6 is missing"),
        ("DELETE FROM audit_log WHERE seq >= 5", "entries 5 to 6 are missing"),
        (
            "INSERT INTO audit_log (seq, at, actor, address, action, subject, outcome, hash) "
            "VALUES (7, '2030-01-01 00:00:00', 'user:1', '', 'x', '', 'ok', 'f')",
            "entry 7 is beyond the trail's head",
        ),
    ],
)
def test_an_edited_deleted_or_added_entry_is_named(any_store: Store, sql: str, named: str) -> None:
    _fill(any_store)
    _drop_guard(any_store)
    _raw(any_store, sql)
    check = any_store.verify_audit()
    assert not check.ok
    assert any(named in p for p in check.problems), check.problems
    assert len(check.problems) <= 2, check.problems  # named where it happened, not everywhere after
    # Each finding is a message the admins' page says in its reader's language.
    german = [reader("de").say(p) for p in check.problems]
    assert all("Eintr" in g and g != p for g, p in zip(german, check.problems, strict=True)), german


def test_an_entry_rehashed_to_fit_its_edit_is_found_at_the_next_one(any_store: Store) -> None:
    """Someone who edits entry 3 and recomputes its hash still breaks entry 4's link."""
    _fill(any_store)
    _drop_guard(any_store)
    rows = list(any_store.iter_audit())
    row = rows[2]
    row.action = "patient.view"
    forged = entry_hash(rows[1].hash, row)
    _raw(any_store, f"UPDATE audit_log SET action = 'patient.view', hash = '{forged}' WHERE seq=3")
    check = any_store.verify_audit()
    assert [p for p in check.problems if "entry 4 was changed" in p], check.problems


def _hammer(stores: list[Store], per_writer: int) -> list[BaseException]:
    """Each store (its own engine and connections) appends from two threads at once."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(stores) * 2)

    def write(store: Store, k: int) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                store.audit(_event(i + k, subject=f"writer {k}"))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=(store, 10 * n + t))
        for n, store in enumerate(stores)
        for t in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def three_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Store]]:
    """Three stores on one database, each with its own engine: three servers' worth."""
    if request.param == "sqlite":
        url = migrated_sqlite(tmp_path / "coach.db")
    else:
        url = migrated_database(request.getfixturevalue("postgres_url"))
    stores = [open_store(url) for _ in range(3)]
    yield stores
    for store in stores:
        store.close()


def test_concurrent_writers_on_separate_connections_keep_one_chain(
    three_stores: list[Store],
) -> None:
    errors = _hammer(three_stores, per_writer=25)
    assert errors == []
    check = three_stores[0].verify_audit()
    assert check.ok, check.problems
    assert check.entries == check.head_seq == 3 * 2 * 25
    writers = {row.subject for row in three_stores[1].iter_audit()}
    assert len(writers) == 6


def test_patient_references_are_random_unique_and_outlive_the_patient(store: Store) -> None:
    ther = store.create_user("ther.refs", "Dr Refs", "correct horse battery")
    first = store.create_patient(ther.id, "Ann First")
    ref = first.audit_ref
    assert ref is not None and len(ref) == 32
    store.audit(AuditEvent("patient.view", f"user:{ther.id}", patient_ref=ref))
    store.erase_patient(first.id)
    # SQLite gives the next patient the erased one's id; never their reference.
    second = store.create_patient(ther.id, "Bob Second")
    assert second.id == first.id and second.audit_ref != ref
    assert store.audit_ref(second.id) == second.audit_ref
    assert [e.patient_ref for e in store.iter_audit()] == [ref]
    assert store.patients_by_ref({ref, second.audit_ref or ""}) == {second.audit_ref: second.id}


def test_iter_audit_since(store: Store) -> None:
    _fill(store, 3)
    rows = list(store.iter_audit())
    assert [r.seq for r in store.iter_audit(since=rows[1].at)] == [2, 3]


def test_the_migration_fills_references_and_matches_the_models(tmp_path: Path) -> None:
    url, engine = database_at(tmp_path, "0009")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO users (id, username, name, role, is_admin, active, created_at) "
            "VALUES (1, 'ther.old', 'Dr Old', 'therapist', 1, 1, '2024-01-01')"
        )
        for pid in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO patients (id, therapist_id, name, notes, created_at) "
                    "VALUES (:id, 1, 'Old Patient', '', '2024-01-01')"
                ),
                {"id": pid},
            )
        conn.exec_driver_sql(
            "INSERT INTO login_sessions (token_hash, user_id, created_at, expires_at) "
            "VALUES ('h', 1, '2024-01-01', '2999-01-01')"
        )
    engine.dispose()
    store = open_store(url)
    try:
        refs = {store.audit_ref(1), store.audit_ref(2)}
        assert None not in refs and len(refs) == 2
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM login_sessions").scalar() == 0
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        store.audit(AuditEvent("patient.view", "user:1", patient_ref=store.audit_ref(1)))
        assert store.verify_audit().ok
    finally:
        store.close()
