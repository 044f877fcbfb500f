"""`coach admin erase-patient` and `coach admin retention`, run as a user runs them (a
subprocess on a real SQLite file in a data directory)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coach.store import open_store
from tests.coach.store.traces import (
    aged_session,
    left_in_database,
    left_in_files,
    patient_with_everything,
)

pytestmark = pytest.mark.subprocess

REPO = Path(__file__).resolve().parents[3]


def _coach(data: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", "admin", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        env={**clean, "PYTHONPATH": str(REPO), "COACH_DATA_DIR": str(data), **env},
        cwd=REPO,
        check=False,
    )


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("COACH_DATA_DIR", str(folder))
    monkeypatch.delenv("COACH_DATABASE_URL", raising=False)
    monkeypatch.delenv("COACH_UPLOAD_DIR", raising=False)
    monkeypatch.delenv("COACH_VIDEO_DIR", raising=False)
    return folder


def test_admin_erase_patient_asks_for_the_name_then_leaves_no_trace(data: Path) -> None:
    store = open_store()
    ther = store.create_user("ther.cli", "Dr Cli", "a long secret pw")
    gone = patient_with_everything(store, ther.id, "Quentin Forgetme", "q.forget")
    kept = patient_with_everything(store, ther.id, "Priya Stays", "p.stays")
    store.close()
    pid = str(gone.patient_id)

    wrong = _coach(data, "erase-patient", pid, stdin="Quentin\n")
    assert wrong.returncode == 2, wrong.stderr
    assert "removes for good" in wrong.stdout and "3 sessions" in wrong.stdout
    assert wrong.stderr.strip() == "coach: that is not the patient's name or id: nothing erased"
    silent = _coach(data, "erase-patient", pid)  # no terminal and no --yes: nothing done
    assert silent.returncode == 2 and "--yes" in silent.stderr
    unknown = _coach(data, "erase-patient", "999", "--yes")
    assert unknown.returncode == 2 and "no patient with id 999" in unknown.stderr
    store = open_store()
    assert left_in_database(store.engine, gone) != []
    store.close()

    done = _coach(data, "erase-patient", pid, stdin="  quentin FORGETME \n")
    assert done.returncode == 0, done.stderr
    assert f"erased patient {pid}: " in done.stdout and "1 account" in done.stdout
    store = open_store()
    assert left_in_database(store.engine, gone) == []
    assert store.erasure_plan(kept.patient_id) is not None
    store.close()
    assert left_in_files(data, gone) == []

    by_id = _coach(data, "erase-patient", str(kept.patient_id), "--yes", "--vacuum")
    assert by_id.returncode == 0, by_id.stderr
    assert left_in_files(data, kept) == []


def test_admin_retention_says_what_would_go_then_removes_it(data: Path) -> None:
    store = open_store()
    ther = store.create_user("ther.ret", "Dr Ret", "a long secret pw")
    pid = store.create_patient(ther.id, "Rita Retained").id
    old = aged_session(store, pid, days_ago=40, video=True)
    store.close()

    unset = _coach(data, "retention")
    assert unset.returncode == 0 and "no retention set: everything is kept" in unset.stdout
    bad = _coach(data, "retention", COACH_RETENTION_DAYS="a month")
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "coach: COACH_RETENTION_DAYS must be a whole number of days, not 'a month'"
    )

    dry = _coach(data, "retention", "--dry-run", COACH_RETENTION_DAYS="30")
    assert dry.returncode == 0, dry.stderr
    assert f"would remove the per-frame poses of session {old}" in dry.stdout
    assert "would remove kept video" in dry.stdout
    store = open_store()
    assert len(store.session_frames(old).t) == 60
    store.close()

    run = _coach(data, "retention", COACH_RETENTION_DAYS="30")
    assert run.returncode == 0, run.stderr
    assert "removed the per-frame poses of 1 session (" in run.stdout
    store = open_store()
    row = store.session(old)
    assert len(store.session_frames(old).t) == 0 and len(row.reps) == 2
    assert row.video_path is None and row.video_removed_after_days == 30
    store.close()


def _coach_any(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**clean, "PYTHONPATH": str(REPO), "COACH_DATA_DIR": str(data)},
        cwd=REPO,
        check=False,
    )


def test_save_refuses_a_patient_who_said_no(data: Path) -> None:
    """`coach protocol/analyze --save --patient N` store nothing new for a patient who declined
    or withdrew consent: one line saying so, before any video is read."""
    store = open_store()
    ther = store.create_user("ther.save", "Dr Save", "a long secret pw")
    pid = store.create_patient(ther.id, "Nadia Nosave", birth_year=1950, sex="female").id
    store.record_consent(pid, "withdrawn", "1")
    store.close()
    video = data / "clip.mp4"
    video.write_bytes(b"not read")
    save = ("--save", "--patient", str(pid))
    for args in (("protocol", "chair-stand", str(video)), ("analyze", str(video), "-e", "squat")):
        proc = _coach_any(data, *args, *save)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip().startswith("coach: not saved: The patient withdrew consent on")
    store = open_store()
    assert store.sessions_of(pid) == [] and store.protocol_results(pid) == []
    store.close()
