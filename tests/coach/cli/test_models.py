"""`--model lite|full|heavy`: the lite model on a real clip, and the refusal when it is missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pose.mediapipe_backend import mediapipe_model_path
from tests.coach.cli.test_cli import REPO, _one_line_error, run_coach


@pytest.mark.slow
def test_analyze_with_the_lite_model_on_a_real_squat(shared_data: Path) -> None:
    lite = mediapipe_model_path(0)
    if lite is None or not lite.is_file():
        pytest.skip(f"the lite model is not installed at {lite} (run coach assets fetch)")
    video = shared_data / "videos/medflex/squat.MP4"
    proc = run_coach("analyze", str(video), "--exercise", "squat", "--model", "lite", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "INFO:" not in proc.stderr and "W0000" not in proc.stderr  # native logs hidden
    out = json.loads(proc.stdout)
    assert out["frames_with_pose"] == out["frames"] > 0
    assert out["rep_count"] == 2  # the clip's ground truth, as with the full model


def test_a_missing_model_is_one_line_naming_coach_assets_fetch(tmp_path: Path) -> None:
    """A mediapipe package without the lite and heavy models (as the wheel ships), put first
    on the path: the command refuses before opening the video or starting a model."""
    fake = tmp_path / "mediapipe"
    (fake / "modules" / "pose_landmark").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "modules" / "pose_landmark" / "pose_landmark_full.tflite").write_bytes(b"x")
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"never read")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}"}
    for model in ("lite", "heavy"):
        proc = subprocess.run(
            [sys.executable, "-m", "coach.cli", "analyze", str(video), "-e", "squat"]
            + ["--model", model],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=REPO,
        )
        assert proc.returncode == 2
        line = _one_line_error(proc)
        assert f"the {model} pose model is not installed" in line
        assert "run `coach assets fetch`" in line
    assert run_coach("analyze", str(video), "-e", "squat", "--model", "medium").returncode == 2
