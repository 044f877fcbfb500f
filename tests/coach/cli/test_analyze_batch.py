"""`coach analyze` on several videos: in parallel processes, results in the order given, each
the same as the video's own analysis; one bad video does not stop the others."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers.cli import CoachCli, run_coach


def _blank_video(path: Path) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for _ in range(5):
        writer.write(np.zeros((120, 160, 3), np.uint8))
    writer.release()
    return path


@pytest.mark.model
@pytest.mark.subprocess
def test_each_failure_is_said_and_the_first_sets_the_exit_status(tmp_path: Path) -> None:
    blank = _blank_video(tmp_path / "blank.avi")
    fake = tmp_path / "fake.mp4"
    fake.write_text("not a video\n" * 50)
    proc = run_coach("analyze", str(blank), str(fake), "-e", "squat", "--json", "-q", "-j", "2")
    assert proc.returncode == 3, proc.stderr  # the first that failed: no person
    items = json.loads(proc.stdout)
    assert [(i["video"], i["error"]) for i in items] == [
        (str(blank), "no_person"),
        (str(fake), "bad_video"),
    ]
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"coach: {blank}: no person")
    assert lines[1].startswith(f"coach: {fake}: cannot open")


def test_options_for_one_video_are_refused_with_several(
    tmp_path: Path, coach_cli: CoachCli
) -> None:
    a, b = _blank_video(tmp_path / "a.avi"), _blank_video(tmp_path / "b.avi")
    for option in (["--save"], ["--annotate", str(tmp_path / "out.mp4")]):
        proc = coach_cli("analyze", str(a), str(b), "-e", "squat", *option)
        assert proc.returncode == 2
        refused = "coach: --save, --annotate and --frames take one video; run once per video"
        assert proc.stderr.strip() == refused
    proc = coach_cli("analyze", str(a), str(b), "-e", "squat", "--jobs", "0")
    assert proc.returncode == 2 and "must be at least 1, got 0" in proc.stderr


@pytest.mark.model
@pytest.mark.subprocess
def test_two_real_clips_in_parallel_give_each_clip_s_own_analysis(
    shared_data: Path, coach_cli: CoachCli
) -> None:
    """A short clip (6 s, one squat) and a longer one (12 s, four) as a user runs them; then the
    short one alone, in this process."""
    clips = [
        shared_data / "videos/workouttracker_squats/squat_11.mp4",
        shared_data / "videos/postop_cv/squat.mp4",
    ]
    proc = run_coach("analyze", *map(str, clips), "-e", "squat", "--json", "-j", "2")
    assert proc.returncode == 0, proc.stderr
    items = json.loads(proc.stdout)
    assert [i.pop("video") for i in items] == [str(c) for c in clips]
    assert [i["rep_count"] for i in items] == [1, 4]  # the clips' ground truth
    assert "analysed 2 of 2" in proc.stderr
    alone = coach_cli("analyze", str(clips[0]), "-e", "squat", "--json", "-q")
    assert items[0] == json.loads(alone.stdout)  # the same as that clip analysed on its own
