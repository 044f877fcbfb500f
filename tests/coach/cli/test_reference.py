"""`coach reference` and `coach analyze --reference` end to end: a real SQLite file, the
commands in-process through `coach.cli.main` (and once in a child process, as a user runs
it), sessions from real recordings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from coach.cli import analyze as analyze_command
from coach.offline.recording import record_landmarks
from coach.review.references import set_reference_from_session
from coach.store import open_store
from coach.store.store import Store
from exercises import load_exercise
from scoring.reference import PersonalReference
from tests.coach.store.uiprmd_sessions import EXERCISE, subject_track, write_session
from tests.helpers.cli import CoachCli, one_line_error, run_coach
from tests.helpers.data import manifest_entry
from tests.helpers.estimators import TrackEstimator
from tests.helpers.store import migrated_sqlite

MARK = "(compared with your reference reps)"


@pytest.fixture()
def db(tmp_path: Path) -> Iterator[tuple[Path, Store]]:
    path = tmp_path / "coach.db"
    store = open_store(migrated_sqlite(path))
    yield path, store
    store.close()


@pytest.fixture()
def coach(db: tuple[Path, Store], coach_cli: CoachCli, monkeypatch: pytest.MonkeyPatch) -> CoachCli:
    """`coach ARGS` in-process on the test's database (COACH_DATABASE_URL)."""
    monkeypatch.setenv("COACH_DATABASE_URL", f"sqlite:///{db[0]}")
    return coach_cli


@pytest.mark.subprocess
def test_the_reference_command_runs_as_a_user_runs_it(db: tuple[Path, Store]) -> None:
    path, store = db
    pid = store.create_patient(store.create_user("ther1", "T", "a long secret pw").id, "P").id
    proc = run_coach(
        "reference", "show", "--patient", str(pid), COACH_DATABASE_URL=f"sqlite:///{path}"
    )
    assert proc.returncode == 0 and "has no references" in proc.stdout, proc.stderr


def test_set_show_export_and_clear_a_reference(
    db: tuple[Path, Store], coach: CoachCli, shared_data: Path, tmp_path: Path
) -> None:
    path, store = db
    ther = store.create_user("ther1", "T One", "a long secret pw")
    pid = store.create_patient(ther.id, "Pat").id
    lm, aspect = subject_track(shared_data, "correct", 9)
    sid = write_session(store, pid, lm, aspect)

    proc = coach("reference", "show", "--patient", str(pid))
    assert proc.returncode == 0 and "has no references" in proc.stdout
    proc = coach("reference", "set", "--patient", str(pid), "--session", sid)
    assert proc.returncode == 0, proc.stderr
    assert f"reference for {EXERCISE} of patient {pid}" in proc.stdout and "9 reps" in proc.stdout
    ref = store.reference(pid, EXERCISE)
    assert ref is not None

    proc = coach("reference", "show", "--patient", str(pid), "--exercise", EXERCISE)
    assert proc.returncode == 0, proc.stderr
    lim = ref.limits["trunk_lean"]
    row = next(ln for ln in proc.stdout.splitlines() if ln.strip().startswith("trunk_lean"))
    assert row.split() == [
        "trunk_lean",
        f"{lim.mean:.1f}°",
        f"{lim.sd:.1f}°",
        "above",
        f"{lim.limit:.1f}°",
    ]
    assert f"session {sid}" in proc.stdout

    out = tmp_path / "ref.json"
    proc = coach(
        "reference", "export", "--patient", str(pid), "--exercise", EXERCISE, "-o", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    assert PersonalReference.from_json(json.loads(out.read_text())) == ref

    proc = coach("reference", "clear", "--patient", str(pid), "--exercise", EXERCISE)
    assert proc.returncode == 0, proc.stderr
    assert store.reference(pid, EXERCISE) is None
    proc = coach("reference", "show", "--patient", str(pid), "--exercise", EXERCISE)
    assert proc.returncode == 2
    assert one_line_error(proc) == f"coach: patient {pid} has no reference for {EXERCISE}"


def test_refusals_are_one_line_with_exit_status_2(
    db: tuple[Path, Store], coach: CoachCli, shared_data: Path, tmp_path: Path
) -> None:
    path, store = db
    ther = store.create_user("ther1", "T One", "a long secret pw")
    pid = store.create_patient(ther.id, "Pat").id
    other = store.create_patient(ther.id, "Other").id
    lm, aspect = subject_track(shared_data, "correct", 2)
    two = write_session(store, pid, lm, aspect)
    lm, _ = subject_track(shared_data, "correct", 4)
    theirs = write_session(store, other, lm, aspect)
    cases = [
        (("set", "--patient", "999", "--session", two), "no patient with id 999"),
        (("set", "--patient", str(pid), "--session", "nosuch"), "no session 'nosuch'"),
        (("set", "--patient", str(pid), "--session", theirs), "not one of this patient's"),
        (
            ("set", "--patient", str(other), "--session", theirs, "--exercise", "squat"),
            "is of sit_to_stand, not squat",
        ),
        (("set", "--patient", str(pid), "--session", two), "at least 3 reps, got 2"),
        (("clear", "--patient", str(pid), "--exercise", EXERCISE), "has no reference for"),
        (
            ("export", "--patient", str(pid), "--exercise", EXERCISE, "-o", "x.json"),
            "has no reference for",
        ),
    ]
    for args, reason in cases:
        proc = coach("reference", *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert reason in one_line_error(proc), args
    assert store.references_of(pid) == [] and store.references_of(other) == []

    # analyze --reference: checked before the video is read.
    video = str(shared_data / "videos/medflex/squat.MP4")
    wrong = tmp_path / "wrong.json"
    wrong.write_text(
        json.dumps(
            PersonalReference.from_profiles(
                load_exercise(EXERCISE), [{"trunk_lean": 30.0}] * 3
            ).to_json()
        )
    )
    broken = tmp_path / "broken.json"
    broken.write_text('{"exercise": "squat"')
    for ref_file, reason in (
        (tmp_path / "none.json", "no such reference file"),
        (broken, "is not a reference file"),
        (wrong, "is a reference for sit_to_stand, not squat"),
    ):
        proc = coach("analyze", video, "-e", "squat", "--reference", str(ref_file), "-q")
        assert proc.returncode == 2
        assert reason in one_line_error(proc)


def _record_clip(store: Store, shared_data: Path, clip_id: str, patient_id: int) -> str:
    """A stored session of a clip's stored landmark track (the model's output on it)."""
    entry = manifest_entry(shared_data, clip_id)
    cap = cv2.VideoCapture(str(shared_data / entry["video"]))
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    fps = cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    lm = np.load(shared_data / entry["landmarks"])["lm"]
    sid, _ = record_landmarks(store, lm, fps, size, load_exercise("squat"), patient_id=patient_id)
    return sid


@pytest.mark.model
def test_analyze_compares_reps_with_a_reference_file_and_the_patients_own(
    db: tuple[Path, Store],
    coach: CoachCli,
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reference from postop_cv's four deep squats; medflex's two squats go less deep than
    its limit, so each rep gets the definition's range cue "compared with your reference"."""
    path, store = db
    ther = store.create_user("ther1", "T One", "a long secret pw")
    pid = store.create_patient(ther.id, "Pat").id
    set_reference_from_session(store, pid, _record_clip(store, shared_data, "postop_cv/squat", pid))
    out = tmp_path / "squat-ref.json"
    assert (
        coach(
            "reference",
            "export",
            "--patient",
            str(pid),
            "--exercise",
            "squat",
            "-o",
            str(out),
        ).returncode
        == 0
    )
    video = str(shared_data / "videos/medflex/squat.MP4")

    proc = coach("analyze", video, "-e", "squat", "--reference", str(out), "--json", "-q")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    marked = [f for f in result["faults"] if MARK in f["message"]]
    assert result["rep_count"] == 2
    assert [f["id"] for f in marked] == ["incomplete_range", "incomplete_range"]
    assert all("incomplete_range" in r["faults"] for r in result["reps"])

    # The patient's own reference, from the store: the model is not the subject here, so the
    # clip's stored landmarks (the model's output on it) stand in for a second run of it.
    stored = np.load(shared_data / manifest_entry(shared_data, "medflex/squat")["landmarks"])
    replay = TrackEstimator(stored["lm"])
    monkeypatch.setattr(analyze_command, "model_estimator", lambda model: lambda: replay)
    proc = coach("analyze", video, "-e", "squat", "--save", "--patient", str(pid), "-q")
    assert proc.returncode == 0, proc.stderr
    sid = proc.stderr.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    saved = store.session(sid)
    assert saved.patient_id == pid
    assert [f.fault_id for f in saved.faults if MARK in f.message] == [
        "incomplete_range",
        "incomplete_range",
    ]
    assert all(r.profile and "incomplete_range" in r.profile for r in saved.reps)
