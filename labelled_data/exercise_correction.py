"""Exercise-Correction (Ngô Hồng Quốc Bảo 2022, MIT): MediaPipe landmarks of single frames.

Files: `exercise_correction_mediapipe/core/<model>/<file>.csv`, one frame per row: `label`
then `<landmark>_x, _y, _z, _v` for a subset of MediaPipe's 33 landmarks (already our
format: the author ran MediaPipe Pose). Labels: bicep `test.csv` C (correct) / L (leaning
back); lunge `err.test.csv` C (correct) / L (knee over toe). Rows carry no video id or time,
so each row is a one-frame track and the fault rules are judged frame by frame.

The video size is not stored. We take 16:9 landscape (phone or webcam video, 1280x720): of
9:16, 3:4, 1:1, 4:3 and 16:9, it keeps limb lengths most constant across the rows (a check
of the camera geometry, not of any fault).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from labelled_data.common import LabelledTrack, empty_landmarks
from pose.landmarks import Landmark

ASPECT = 16 / 9
SETS = {
    "bicep_curl": ("bicep_model/test.csv", {"C": "correct", "L": "leaning_back"}),
    "lunge": ("lunge_model/err.test.csv", {"C": "correct", "L": "knee_over_toe"}),
}


def load(root: Path, name: str, limit: int | None = None) -> list[LabelledTrack]:
    """Every labelled row of one set (`root` is `labelled/exercise_correction_mediapipe`).

    `limit` keeps at most that many rows of each label (small subsets for tests).
    """
    if name not in SETS:
        raise ValueError(f"unknown set {name!r}; known: {', '.join(SETS)}")
    rel, labels = SETS[name]
    path = Path(root) / "core" / rel
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    columns: list[tuple[int, int, int]] = []  # (landmark, axis, column)
    for col, key in enumerate(header):
        stem, _, coordinate = key.rpartition("_")
        if coordinate in ("x", "y", "z", "v") and stem.upper() in Landmark.__members__:
            columns.append((Landmark[stem.upper()].value, "xyzv".index(coordinate), col))
    counts: dict[str, int] = {}
    tracks: list[LabelledTrack] = []
    for i, row in enumerate(body):
        label = labels.get(row[0].strip())
        if label is None:
            continue
        counts[label] = counts.get(label, 0) + 1
        if limit is not None and counts[label] > limit:
            continue
        lm = empty_landmarks(1)
        for idx, axis, col in columns:
            lm[0, idx, axis] = float(row[col])
        tracks.append(
            LabelledTrack(f"{name}_{i + 1}", lm, np.zeros(1), ASPECT, label, {"set": name})
        )
    return tracks
