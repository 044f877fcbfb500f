"""`--model lite|full|heavy`: the lite model on a real clip, and the refusal when it is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pose import mediapipe_backend
from pose.mediapipe_backend import mediapipe_model_path
from tests.helpers.cli import CoachCli, one_line_error


@pytest.mark.model
def test_analyze_with_the_lite_model_on_a_real_squat(
    shared_data: Path, coach_cli: CoachCli
) -> None:
    lite = mediapipe_model_path(0)
    if lite is None or not lite.is_file():
        pytest.skip(f"the lite model is not installed at {lite} (run coach assets fetch)")
    video = shared_data / "videos/medflex/squat.MP4"
    proc = coach_cli("analyze", str(video), "--exercise", "squat", "--model", "lite", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["frames_with_pose"] == out["frames"] > 0
    assert out["rep_count"] == 2  # the clip's ground truth, as with the full model


def test_a_missing_model_is_one_line_naming_coach_assets_fetch(
    tmp_path: Path, coach_cli: CoachCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mediapipe package without the lite and heavy models (as the wheel ships): the
    command refuses before opening the video or starting a model."""
    models = tmp_path / "mediapipe" / "modules" / "pose_landmark"
    models.mkdir(parents=True)
    (models / "pose_landmark_full.tflite").write_bytes(b"x")
    names = {0: "pose_landmark_lite.tflite", 1: "pose_landmark_full.tflite"}
    names[2] = "pose_landmark_heavy.tflite"
    monkeypatch.setattr(mediapipe_backend, "mediapipe_model_path", lambda c: models / names[c])
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"never read")
    for model in ("lite", "heavy"):
        proc = coach_cli("analyze", str(video), "-e", "squat", "--model", model)
        assert proc.returncode == 2
        line = one_line_error(proc)
        assert f"the {model} pose model is not installed" in line
        assert "run `coach assets fetch`" in line
    assert coach_cli("analyze", str(video), "-e", "squat", "--model", "medium").returncode == 2
