"""`coach admin erase-patient` and `coach admin retention` on a real SQLite file in a data
directory: in this process through `coach.cli.main`, and the erasure once in a child process
as a user runs it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from coach.store import open_store
from tests.coach.store.traces import (
    aged_session,
    left_in_database,
    left_in_files,
    patient_with_everything,
)

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
    for name in (
        "COACH_DATABASE_URL",
        "COACH_UPLOAD_DIR",
        "COACH_VIDEO_DIR",
        "COACH_RETENTION_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)
    return folder


Coach = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def coach(data: Path, coach_cli: Coach, monkeypatch: pytest.MonkeyPatch) -> Coach:
    """`coach ARGS` in this process on `data`, with `stdin` as its input (not a terminal) and
    keyword arguments as added environment variables."""

    def run(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
        with monkeypatch.context() as m:
            m.setattr(sys, "stdin", io.StringIO(stdin))
            for name, value in env.items():
                m.setenv(name, value)
            return coach_cli(*args)

    return run


@pytest.mark.subprocess
def test_admin_erase_patient_asks_for_the_name_then_leaves_no_trace(
    data: Path, coach: Coach
) -> None:
    store = open_store()
    ther = store.create_user("ther.cli", "Dr Cli", "a long secret pw")
    gone = patient_with_everything(store, ther.id, "Quentin Forgetme", "q.forget")
    kept = patient_with_everything(store, ther.id, "Priya Stays", "p.stays")
    store.close()
    pid = str(gone.patient_id)

    wrong = coach("admin", "erase-patient", pid, stdin="Quentin\n")
    assert wrong.returncode == 2, wrong.stderr
    assert "removes for good" in wrong.stdout and "3 sessions" in wrong.stdout
    assert wrong.stderr.strip() == "coach: that is not the patient's name or id: nothing erased"
    silent = coach("admin", "erase-patient", pid)  # no terminal and no --yes: nothing done
    assert silent.returncode == 2 and "--yes" in silent.stderr
    unknown = coach("admin", "erase-patient", "999", "--yes")
    assert unknown.returncode == 2 and "no patient with id 999" in unknown.stderr
    store = open_store()
    assert left_in_database(store.engine, gone) != []
    store.close()

    done = _coach(data, "erase-patient", pid, stdin="  quentin FORGETME \n")  # as a user runs it
    assert done.returncode == 0, done.stderr
    assert f"erased patient {pid}: " in done.stdout and "1 account" in done.stdout
    store = open_store()
    assert left_in_database(store.engine, gone) == []
    assert store.erasure_plan(kept.patient_id) is not None
    store.close()
    assert left_in_files(data, gone) == []

    by_id = coach("admin", "erase-patient", str(kept.patient_id), "--yes", "--vacuum")
    assert by_id.returncode == 0, by_id.stderr
    assert left_in_files(data, kept) == []


def test_admin_retention_says_what_would_go_then_removes_it(data: Path, coach: Coach) -> None:
    store = open_store()
    ther = store.create_user("ther.ret", "Dr Ret", "a long secret pw")
    pid = store.create_patient(ther.id, "Rita Retained").id
    old = aged_session(store, pid, days_ago=40, video=True)
    store.close()

    unset = coach("admin", "retention")
    assert unset.returncode == 0 and "no retention set: everything is kept" in unset.stdout
    bad = coach("admin", "retention", COACH_RETENTION_DAYS="a month")
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "coach: COACH_RETENTION_DAYS must be a whole number of days, not 'a month'"
    )

    dry = coach("admin", "retention", "--dry-run", COACH_RETENTION_DAYS="30")
    assert dry.returncode == 0, dry.stderr
    assert f"would remove the per-frame poses of session {old}" in dry.stdout
    assert "would remove kept video" in dry.stdout
    store = open_store()
    assert len(store.session_frames(old).t) == 60
    store.close()

    run = coach("admin", "retention", COACH_RETENTION_DAYS="30")
    assert run.returncode == 0, run.stderr
    assert "removed the per-frame poses of 1 session (" in run.stdout
    store = open_store()
    row = store.session(old)
    assert len(store.session_frames(old).t) == 0 and len(row.reps) == 2
    assert row.video_path is None and row.video_removed_after_days == 30
    store.close()


def test_save_refuses_a_patient_who_said_no(data: Path, coach: Coach) -> None:
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
        proc = coach(*args, *save)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip().startswith("coach: not saved: The patient withdrew consent on")
    store = open_store()
    assert store.sessions_of(pid) == [] and store.protocol_results(pid) == []
    store.close()
