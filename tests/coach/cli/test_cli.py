"""`coach` end to end: real clips through the real model, and every kind of bad input.

The commands run in-process through `coach.cli.main` (the `coach_cli` fixture); the JSON
contract test runs `python -m coach.cli` in a child process, exactly as a user would, with
the native libraries' own logging hidden. Where the model is not the subject (a hold, the
annotated video, a clip without a person or with one now and then), the real video is read
and the landmarks the model found on it (../shared/data/landmarks) stand in for the model:
`coach protocol single-leg-stance` times the same hold with the real model
(tests/coach/offline/test_protocols.py), and a video without a person meets the real model
below (blank frames).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.exercises.definitions import REQUIRED_IDS
from tests.helpers.cli import CoachCli, coach_in_process, one_line_error, run_coach
from tests.helpers.estimators import ClipTrackEstimator
from tests.scoring.tracks import clip_by_id, landmarks


@pytest.fixture()
def stored_model(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """`stored_model("medflex/sls")`: that clip's video, whose stored landmarks the analysis
    gets in the model's place (coach.pipeline makes the model of `coach analyze`)."""
    import coach.pipeline

    def replace(clip_id: str) -> Path:
        clip = clip_by_id(shared_data, clip_id)
        lm = landmarks(shared_data, clip)
        monkeypatch.setattr(
            coach.pipeline, "create_model_estimator", lambda *_a, **_k: ClipTrackEstimator(lm)
        )
        return shared_data / clip["video"]

    return replace


@pytest.mark.model
@pytest.mark.subprocess
def test_analyze_json_contract_on_real_squat(shared_data: Path) -> None:
    proc = run_coach(
        "analyze", str(shared_data / "videos/medflex/squat.MP4"), "--exercise", "squat", "--json"
    )
    assert proc.returncode == 0, proc.stderr
    assert "W0000" not in proc.stderr and "INFO:" not in proc.stderr  # native logs hidden
    out = json.loads(proc.stdout)
    for key in (
        "exercise",
        "frames",
        "frames_with_pose",
        "fps",
        "rep_count",
        "reps",
        "holds",
        "faults",
        "warnings",
    ):
        assert key in out
    assert out["exercise"] == "squat"
    assert out["frames"] == 240 and out["frames_with_pose"] == 240
    assert out["rep_count"] == 2  # ground truth: 2 slow squats
    for i, rep in enumerate(out["reps"], start=1):
        assert rep["index"] == i
        assert 0 <= rep["start_s"] < rep["end_s"] <= 10.1
        assert 70 <= rep["rom_deg"] <= 130  # knee range from standing to a deep squat
        assert 0 <= rep["score"] <= 100
        assert isinstance(rep["faults"], list)


def test_analyze_hold_and_annotate(
    stored_model: Callable[[str], Path], tmp_path: Path, coach_cli: CoachCli
) -> None:
    out_video = tmp_path / "annotated.mp4"
    proc = coach_cli(
        "analyze",
        str(stored_model("medflex/sls")),
        "--exercise",
        "single_leg_stance",
        "--json",
        "--annotate",
        str(out_video),
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert len(out["holds"]) == 1
    hold = out["holds"][0]
    assert 7.3 <= hold["duration_s"] <= 8.1  # ground truth accept range
    assert hold["touch_downs"] == 0
    cap = cv2.VideoCapture(str(out_video))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == out["frames"]
    ok, frame = cap.read()
    assert ok and frame.shape[:2] == (720, 1280)


@pytest.mark.model
def test_human_summary(shared_data: Path, coach_cli: CoachCli) -> None:
    proc = coach_cli(
        "analyze",
        str(shared_data / "videos/pose_trainer/sample_bicep_curl.mp4"),
        "-e",
        "bicep_curl",
    )
    assert proc.returncode == 0, proc.stderr
    assert "Repetitions: 1" in proc.stdout


def test_no_person_is_said_plainly(
    stored_model: Callable[[str], Path], coach_cli: CoachCli
) -> None:
    proc = coach_cli("analyze", str(stored_model("quva/028_bar_lift")), "-e", "any")
    assert proc.returncode == 3
    assert "no person found" in one_line_error(proc)


def test_partial_detection_is_warned(
    stored_model: Callable[[str], Path], coach_cli: CoachCli
) -> None:
    proc = coach_cli("analyze", str(stored_model("quva/029_bar_lift")), "-e", "any", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["pose_detectable"] is False
    assert any("person found in only" in w for w in out["warnings"])


def test_missing_file(coach_cli: CoachCli) -> None:
    proc = coach_cli("analyze", "/no/such/clip.mp4", "-e", "squat")
    assert proc.returncode == 2
    assert "no such file" in one_line_error(proc)


def test_not_a_video(tmp_path: Path, coach_cli: CoachCli) -> None:
    fake = tmp_path / "clip.mp4"
    fake.write_text("this is not a video\n" * 100)
    proc = coach_cli("analyze", str(fake), "-e", "squat")
    assert proc.returncode == 2
    one_line_error(proc)


def test_empty_video(tmp_path: Path, coach_cli: CoachCli) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    proc = coach_cli("analyze", str(empty), "-e", "squat")
    assert proc.returncode == 2
    one_line_error(proc)


@pytest.mark.model
def test_truncated_video_is_analysed_with_a_warning(
    shared_data: Path, tmp_path: Path, coach_cli: CoachCli
) -> None:
    """An AVI (the real clip's first 2 s) cut in half: read what can be read, warn, still
    answer."""
    cap = cv2.VideoCapture(str(shared_data / "videos/medflex/squat.MP4"))
    path = tmp_path / "cut.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 24, (640, 360))
    for _ in range(48):
        ok, frame = cap.read()
        assert ok
        writer.write(cv2.resize(frame, (640, 360)))
    writer.release()
    cap.release()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    proc = coach_cli("analyze", str(path), "-e", "squat", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert 0 < out["frames"] < 48
    assert any("ended early" in w for w in out["warnings"])


def test_unknown_exercise_lists_known_ones(tmp_path: Path, coach_cli: CoachCli) -> None:
    proc = coach_cli("analyze", str(tmp_path / "x.mp4"), "-e", "jumping_on_one_ear")
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert "unknown exercise" in line and "squat" in line and "single_leg_stance" in line


def test_invalid_definition_names_field_and_reason(tmp_path: Path, coach_cli: CoachCli) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'id = "bad"\nname = "Bad"\nkind = "reps"\ncategory = "strength"\ninstructions = "x"\n'
        'view = "any"\n[rep]\nmeasure = "knee_flexion"\nenter = 40\nexit = 60\ntarget = 90\n'
    )
    proc = coach_cli("analyze", str(tmp_path / "x.mp4"), "-e", str(bad))
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert "bad.toml" in line and "rep" in line and "enter" in line


def test_exercises_list_and_validate(tmp_path: Path, coach_cli: CoachCli) -> None:
    proc = coach_cli("exercises", "list")
    assert proc.returncode == 0
    ids = {line.split()[0] for line in proc.stdout.splitlines()}
    assert ids >= REQUIRED_IDS
    bad = tmp_path / "typo.toml"
    bad.write_text('id = "typo"\nname = "T"\nkind = "reps"\n[rep\n')
    proc = coach_cli("exercises", "validate", str(bad))
    assert proc.returncode == 2
    assert "TOML syntax error" in one_line_error(proc)


def test_help_is_a_tour(coach_cli: CoachCli) -> None:
    proc = coach_cli("--help")
    assert proc.returncode == 0
    for word in ("analyze", "eval", "serve", "live", "exercises"):
        assert word in proc.stdout


def test_eval_on_stored_landmarks(shared_data: Path, coach_cli: CoachCli) -> None:
    """The evaluation table on the stored tracks (fast): the accuracy target holds."""
    proc = coach_cli("eval", str(shared_data / "MANIFEST.json"), "--landmarks", "--json", "-q")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    by_id = {r["clip"]: r for r in rows}
    assert by_id["quva/028_bar_lift"]["result"].startswith("not detectable")
    assert by_id["quva/028_bar_lift"]["verdict"] == "ok"
    reps = [r for r in rows if "reps" in r["truth"] and r["truth"] != "not detectable"]
    ok = sum(r["verdict"] == "ok" for r in reps)
    assert ok / len(reps) >= 0.9, [r for r in reps if r["verdict"] != "ok"]
    assert by_id["medflex/sls"]["verdict"] == "ok"


@pytest.mark.model
def test_synthetic_blank_video_has_no_person(tmp_path: Path, coach_cli: CoachCli) -> None:
    path = tmp_path / "blank.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for _ in range(10):
        writer.write(np.zeros((240, 320, 3), np.uint8))
    writer.release()
    proc = coach_cli("analyze", str(path), "-e", "squat")
    assert proc.returncode == 3
    assert "no person" in one_line_error(proc)


def test_admin_set_password_finds_the_user_without_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`coach admin set-password MaRa` changes mara's password (usernames match without case).
    In this process, the password on stdin (tests/coach/cli/test_commands.py runs `coach admin`
    as a user does)."""
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COACH_DATABASE_URL", raising=False)

    def admin(*args: str, password: str) -> subprocess.CompletedProcess[str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
        return coach_in_process(capsys, "admin", *args, "--password-stdin")

    made = admin("create-therapist", "mara", password="correct horse battery")
    assert made.returncode == 0, made.stderr
    changed = admin("set-password", "MaRa", password="another long passphrase")
    assert changed.returncode == 0, changed.stderr
    from coach.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    try:
        assert store.authenticate("Mara", "another long passphrase") is not None
    finally:
        store.close()
    missing = admin("set-password", "nobody", password="another long passphrase")
    assert missing.returncode == 2 and "no user 'nobody'" in missing.stderr
