"""Dataset adapters on the real labelled files, and the labelled benchmark on a small subset."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from exercises import load_exercise
from labelled_data import exercise_correction, pose_trainer, uiprmd
from labelled_data.common import project_3d
from labelled_data.validate import evaluate_all, format_table, run_engine
from pose.landmarks import Landmark as L
from scoring.measures import compute_measures
from scoring.view import classify, width_ratio

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def labelled(shared_data: Path) -> Path:
    return shared_data / "labelled"


def test_projection_keeps_proportions_and_puts_the_head_up() -> None:
    # A 2 m tall stick figure: feet at y=0, head at y=200 (cm, y up), 40 cm wide.
    pts = np.array([[[0.0, 0.0, 0.0], [0.0, 200.0, 0.0], [40.0, 100.0, 0.0]]])
    img, aspect = project_3d(pts, "front")
    assert img[0, 1, 1] < img[0, 0, 1]  # the head is higher in the image (smaller y)
    height = (img[0, 0, 1] - img[0, 1, 1]) * 1.0
    width = (img[0, 2, 0] - img[0, 0, 0]) * aspect
    assert width / height == pytest.approx(40 / 200)
    side, _ = project_3d(pts, "side")
    assert side[0, 0, 0] == pytest.approx(side[0, 2, 0])  # the width is now depth
    with pytest.raises(ValueError):
        project_3d(pts, "top")


def test_uiprmd_squat_is_a_standing_person_who_squats(labelled: Path) -> None:
    root = labelled / "ui_prmd_kinect"
    (front,) = uiprmd.load(root, "m01", "correct", "front", limit=1)
    (side,) = uiprmd.load(root, "m01", "correct", "side", limit=1)
    assert front.landmarks.shape == (front.frames, 33, 4) and len(front.t) == front.frames
    assert front.t[1] == pytest.approx(1 / 30)
    # Joints UI-PRMD lacks are invisible, never invented.
    assert (front.landmarks[:, [L.NOSE, L.LEFT_HEEL, L.RIGHT_EAR], 3] == 0).all()
    assert (front.landmarks[:, [L.LEFT_KNEE, L.RIGHT_SHOULDER], 3] == 1).all()
    # Facing the sensor, the subject's left is on the image's right; the views read right.
    lm = front.landmarks
    assert (lm[:, L.LEFT_SHOULDER, 0] > lm[:, L.RIGHT_SHOULDER, 0]).all()
    assert classify(width_ratio(front.landmarks[0], front.aspect)) == "front"
    assert classify(width_ratio(side.landmarks[0], side.aspect)) == "side"
    hip = compute_measures(side.landmarks, side.aspect, ["hip_height"])["hip_height"]
    assert hip[0] > 0.9 and np.nanmin(hip) < 0.6  # standing, then below parallel-ish
    reps, _, _ = run_engine(load_exercise("squat"), side)
    assert reps == 1


def test_pose_trainer_keypoints_become_landmarks(labelled: Path) -> None:
    tracks = pose_trainer.load(labelled / "pose_trainer_openpose", "bicep", limit=1)
    assert {t.label for t in tracks} == {"good", "bad"}
    for t in tracks:
        assert t.aspect == 1.0 and t.landmarks.shape[1:] == (33, 4)
        lm = t.landmarks
        assert (lm[..., 3] == 0).sum() > 0  # hands, heels, toes: absent
        assert (lm[:, [L.LEFT_HEEL, L.RIGHT_FOOT_INDEX, L.LEFT_PINKY], 3] == 0).all()
        seen = lm[..., 3] > 0
        assert ((lm[..., :2][seen] > 0) & (lm[..., :2][seen] < 1)).all()
        elbow = compute_measures(lm, 1.0, ["elbow_flexion_2d_right"])["elbow_flexion_2d_right"]
        assert np.nanmax(elbow) > 80  # a curl
    with pytest.raises(ValueError):
        pose_trainer.to_landmarks(np.zeros((3, 17, 3)))


def test_exercise_correction_rows_are_one_frame_tracks(labelled: Path) -> None:
    root = labelled / "exercise_correction_mediapipe"
    tracks = exercise_correction.load(root, "lunge", limit=3)
    assert [t.label for t in tracks].count("knee_over_toe") == 3
    assert [t.label for t in tracks].count("correct") == 3
    t = tracks[0]
    assert t.landmarks.shape == (1, 33, 4) and t.aspect == pytest.approx(16 / 9)
    assert t.landmarks[0, L.LEFT_KNEE, 3] > 0.5 and t.landmarks[0, L.LEFT_ELBOW, 3] == 0
    knee = compute_measures(t.landmarks, t.aspect, ["knee_flexion_2d_left"])
    assert math.isfinite(float(knee["knee_flexion_2d_left"][0]))
    with pytest.raises(ValueError):
        exercise_correction.load(root, "plank")


def test_benchmark_on_a_small_subset(labelled: Path, tmp_path: Path) -> None:
    results = evaluate_all(labelled, limit=2)
    names = [r.dataset for r in results]
    assert len(names) == 7 and any("m05" in n for n in names)
    for r in results:
        assert r.scores[-1].n_correct == 2 and r.scores[-1].n_incorrect == 2
        for s in r.scores:
            ba = s.balanced_accuracy
            assert 0.0 <= s.sensitivity <= 1.0 and 0.0 <= s.specificity <= 1.0
            assert ba == pytest.approx((s.sensitivity + s.specificity) / 2)
    squat = next(r for r in results if "m01" in r.dataset)
    assert squat.one_rep_share == 1.0
    # UI-PRMD's sit-to-stand files go stand -> sit -> stand: one rise, one rep.
    rises = next(r for r in results if "m05" in r.dataset)
    assert rises.one_rep_share == 1.0
    curl = next(r for r in results if r.dataset.startswith("Exercise-Correction bicep"))
    assert curl.scores[0].balanced_accuracy == 1.0  # strong leaning back vs upright frames
    table = format_table(results)
    assert "| UI-PRMD m01 (deep squat) | squat | any |" in table


@pytest.mark.subprocess
def test_the_benchmark_command_runs_as_anyone_reruns_it(labelled: Path, tmp_path: Path) -> None:
    """benchmarks/labelled.py as documented, with its JSON output."""
    out = tmp_path / "labelled.json"
    data_dir = labelled.parent
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "labelled.py"),
            "--data",
            str(data_dir),
            "--limit",
            "1",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "balanced accuracy" in proc.stdout
    rows = json.loads(out.read_text())
    assert {"dataset", "exercise", "faults", "one_rep_share_correct"} <= set(rows[0])
