"""`coach admin audit export|verify` and `coach admin reset-2fa` on a real database: the
export as CSV and as FHIR AuditEvents (checked with fhir.resources), `--since`, the chain
verified, and an entry edited in the database file (SQLite, and PostgreSQL) found by
`verify`; the commands that read a patient's data leave their own entries."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pyotp
import pytest
from fhir.resources.R4B.bundle import Bundle

from coach.cli.admin_audit import COLUMNS
from coach.store import open_store
from coach.store.audit import AuditEvent, session_ref
from coach.store.store import Store
from tests.helpers.cli import CoachCli, one_line_error, run_coach
from tests.servers import migrated_database

NAME = "Petra Private"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Store, int]]:
    """A store on a SQLite file in a data folder, or on PostgreSQL, that the CLI opens too
    (COACH_DATABASE_URL), with a therapist, a patient and three entries in the trail."""
    for name in ("COACH_UPLOAD_DIR", "COACH_VIDEO_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'data' / 'coach.db'}"
        (tmp_path / "data").mkdir()
    else:
        url = migrated_database(request.getfixturevalue("postgres_url"))
    monkeypatch.setenv("COACH_DATABASE_URL", url)
    store = open_store(url)
    ther = store.create_user("ther.audit", "Dr Audit", "correct horse battery")
    patient = store.create_patient(ther.id, NAME)
    for action in ("patient.view", "session.view", "session.export.reps"):
        session = session_ref("s1") if action != "patient.view" else None
        store.audit(
            AuditEvent(
                action,
                f"user:{ther.id}",
                address="10.1.2.3",
                patient_ref=patient.audit_ref,
                session_ref=session,
            )
        )
    yield store, patient.id
    store.close()


def _raw(store: Store, *sql: str) -> None:
    with store.engine.begin() as conn:
        for statement in sql:
            conn.exec_driver_sql(statement)


def test_the_export_as_csv_names_no_one_and_is_itself_written(
    db: tuple[Store, int], coach_cli: CoachCli
) -> None:
    store, _ = db
    out = coach_cli("admin", "audit", "export")
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == COLUMNS
    body = [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]
    assert [r["action"] for r in body] == ["patient.view", "session.view", "session.export.reps"]
    assert {r["actor_username"] for r in body} == {"ther.audit"}
    assert body[1]["session_ref"] == session_ref("s1") and body[0]["address"] == "10.1.2.3"
    assert NAME.split()[0] not in out.stdout
    # The export is in the trail too, by the person at the command line.
    last = store.audit_entries(limit=1)[0]
    assert last.action == "audit.export" and last.actor.startswith("cli:")
    assert last.address == "local" and last.subject == "3 entries"


def test_the_export_as_fhir_is_valid_audit_events(
    db: tuple[Store, int], coach_cli: CoachCli, tmp_path: Path
) -> None:
    target = tmp_path / "audit.json"
    out = coach_cli("admin", "audit", "export", "--format", "fhir", "-o", str(target))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("(FHIR AuditEvents)")
    bundle = Bundle.model_validate(json.loads(target.read_text()))
    events = [e.resource for e in bundle.entry or []]
    assert len(events) == 3 and {e.get_resource_type() for e in events} == {"AuditEvent"}
    first = events[0]
    assert first.action == "R" and first.outcome == "0"
    assert [c.code for c in first.subtype] == ["patient.view"]
    assert first.agent[0].network.address == "10.1.2.3"
    assert events[2].type.display == "Export"
    refs = [e.what.identifier.value for e in first.entity if e.what is not None]
    store, _ = db
    assert refs == [store.audit_entries(patient_ref=refs[0], limit=1)[0].patient_ref]
    assert NAME.split()[0] not in target.read_text()


def test_since_keeps_the_entries_from_that_day_on(
    db: tuple[Store, int], coach_cli: CoachCli
) -> None:
    today, tomorrow = date.today(), date.today() + timedelta(days=2)
    some = coach_cli("admin", "audit", "export", "--since", str(today - timedelta(days=1)))
    none = coach_cli("admin", "audit", "export", "--since", str(tomorrow))
    assert len(some.stdout.strip().splitlines()) == 1 + 3
    assert none.stdout.strip().splitlines() == [",".join(COLUMNS)]
    bad = coach_cli("admin", "audit", "export", "--since", "last week")
    assert bad.returncode == 2 and "--since takes a date" in one_line_error(bad)


def test_verify_passes_then_names_an_entry_edited_in_the_database(
    db: tuple[Store, int], coach_cli: CoachCli
) -> None:
    store, _ = db
    ok = coach_cli("admin", "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    head = store.verify_audit()
    assert "3 entries, none changed" in ok.stdout and head.head_hash in ok.stdout
    refused = ["UPDATE audit_log SET address = '10.9.9.9' WHERE seq = 2"]
    with pytest.raises(Exception, match="append-only"):
        _raw(store, *refused)
    # The database's owner can drop the guard; the chain still shows the edit.
    if store.engine.dialect.name == "sqlite":
        _raw(store, "DROP TRIGGER audit_log_no_update", *refused)
    else:
        _raw(store, "DROP TRIGGER audit_log_append_only ON audit_log", *refused)
    bad = coach_cli("admin", "audit", "verify")
    assert bad.returncode == 1
    assert "does NOT verify" in bad.stderr and "entry 2 was changed" in bad.stderr


@pytest.mark.subprocess
def test_verify_as_a_user_runs_it_finds_a_row_deleted_from_the_file(tmp_path: Path) -> None:
    """The real entry point, on a SQLite file edited with the sqlite3 module."""
    path = tmp_path / "coach.db"
    url = f"sqlite:///{path}"
    store = open_store(url)
    for i in range(4):
        store.audit(AuditEvent("patient.view", f"user:{i}", address="10.0.0.1"))
    store.close()
    env = {"COACH_DATABASE_URL": url, "COACH_DATA_DIR": str(tmp_path)}
    assert run_coach("admin", "audit", "verify", **env).returncode == 0
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER audit_log_no_delete")
        conn.execute("DELETE FROM audit_log WHERE seq = 3")
    conn.close()
    proc = run_coach("admin", "audit", "verify", **env)
    assert proc.returncode == 1 and "entry 3 is missing: deleted" in proc.stderr


def test_reset_2fa_removes_the_factor_and_is_written(
    db: tuple[Store, int], coach_cli: CoachCli
) -> None:
    store, _ = db
    user = store.user_named("ther.audit")
    assert user is not None
    secret = store.start_enrolment(user.id).secret
    assert store.confirm_enrolment(user.id, pyotp.TOTP(secret).now()) is not None
    users = coach_cli("admin", "users")
    assert "ther.audit" in users.stdout and " 2fa" in users.stdout
    out = coach_cli("admin", "reset-2fa", "ther.audit")
    assert out.returncode == 0, out.stderr
    assert "second factor of ther.audit removed" in out.stdout
    assert not store.factor_status(user.id).on
    last = store.audit_entries(limit=1)[0]
    assert (last.action, last.subject) == ("account.second_factor.reset", f"user:{user.id}")
    unknown = coach_cli("admin", "reset-2fa", "nobody.here")
    assert unknown.returncode == 2 and "no therapist" in one_line_error(unknown)


def test_a_patients_export_from_the_command_line_is_written(
    db: tuple[Store, int], coach_cli: CoachCli, tmp_path: Path
) -> None:
    store, pid = db
    out = coach_cli("export", "fhir", "--patient", str(pid), "-o", str(tmp_path / "b.json"))
    assert out.returncode == 0, out.stderr
    last = store.audit_entries(limit=1)[0]
    assert last.action == "patient.export.fhir" and last.patient_ref == store.audit_ref(pid)
    assert last.actor.startswith("cli:") and store.verify_audit().ok
