"""Pose Trainer (Chen & Yang 2018): OpenPose COCO-18 keypoints of good and bad repetitions.

Files: `pose_trainer_openpose/<exercise>/<exercise>_<good|bad>_<n>.npy`, (T, 18, 3) holding
x, y in pixels and OpenPose's confidence (0 where a keypoint was not found). Pixels are
square, so both axes are divided by one length and the aspect ratio is 1: true proportions,
whatever the original video size was. OpenPose gives no depth: z is 0, so our 3-D measures
reduce to the image plane. A keypoint counts as seen at confidence >= 0.05, OpenPose's own
default drawing threshold (`--render_threshold`); below it, visibility 0. The frame rate is
not stored with the keypoints; we assume 30 fps, the rate of typical phone video.

Mapping (COCO-18 -> MediaPipe): nose, eyes, ears, shoulders, elbows, wrists, hips, knees,
ankles one to one. The neck (mid-shoulder) has no MediaPipe point and is dropped; hands, heels
and toes do not exist in COCO-18 and stay invisible.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from labelled_data.common import LabelledTrack, empty_landmarks
from pose.landmarks import Landmark as L
from pose.types import Array

FPS = 30.0
MIN_CONFIDENCE = 0.05
EXERCISES = ("bicep", "frontraise")

COCO_TO_MEDIAPIPE: dict[int, L] = {
    0: L.NOSE,
    2: L.RIGHT_SHOULDER,
    3: L.RIGHT_ELBOW,
    4: L.RIGHT_WRIST,
    5: L.LEFT_SHOULDER,
    6: L.LEFT_ELBOW,
    7: L.LEFT_WRIST,
    8: L.RIGHT_HIP,
    9: L.RIGHT_KNEE,
    10: L.RIGHT_ANKLE,
    11: L.LEFT_HIP,
    12: L.LEFT_KNEE,
    13: L.LEFT_ANKLE,
    14: L.RIGHT_EYE,
    15: L.LEFT_EYE,
    16: L.RIGHT_EAR,
    17: L.LEFT_EAR,
}

_NAME = re.compile(r"^(?P<exercise>[a-z]+)_(?P<label>good|bad)_(?P<n>\d+)\.npy$")


def to_landmarks(keypoints: Array) -> tuple[Array, float]:
    """(T, 18, 3) OpenPose keypoints in pixels -> ((T, 33, 4) landmarks, aspect 1.0)."""
    kp = np.asarray(keypoints, dtype=np.float64)
    if kp.ndim != 3 or kp.shape[1:] != (18, 3):
        raise ValueError(f"OpenPose COCO-18 keypoints must be (T, 18, 3), got {kp.shape}")
    seen = kp[..., 2] >= MIN_CONFIDENCE
    if not seen.any():
        raise ValueError("no keypoint detected in any frame")
    xy = kp[..., :2]
    lo = xy[seen].min(axis=0)
    scale = float((xy[seen].max(axis=0) - lo).max()) * 1.2  # one square frame with a margin
    norm = (xy - lo) / scale + 0.1 / 1.2
    lm = empty_landmarks(len(kp))
    for src, dst in COCO_TO_MEDIAPIPE.items():
        ok = seen[:, src]
        lm[ok, dst, :2] = norm[ok, src]
        lm[:, dst, 3] = ok.astype(np.float64)
    return lm, 1.0


def load(root: Path, exercise: str, limit: int | None = None) -> list[LabelledTrack]:
    """Every good and bad file of one exercise (`root` is `labelled/pose_trainer_openpose`)."""
    folder = Path(root) / exercise
    if not folder.is_dir():
        raise FileNotFoundError(f"no Pose Trainer folder {folder}")
    files = []
    for path in folder.iterdir():
        m = _NAME.match(path.name)
        if m:
            files.append((m["label"], int(m["n"]), path))
    tracks: list[LabelledTrack] = []
    for label, _, path in sorted(files)[:limit] if limit is None else _balanced(files, limit):
        lm, aspect = to_landmarks(np.load(path))
        t = np.arange(len(lm)) / FPS
        tracks.append(LabelledTrack(path.stem, lm, t, aspect, label, {"exercise": exercise}))
    return tracks


def _balanced(files: list[tuple[str, int, Path]], limit: int) -> list[tuple[str, int, Path]]:
    """Up to `limit` files of each label (small subsets for tests keep both classes)."""
    out: list[tuple[str, int, Path]] = []
    for label in ("bad", "good"):
        out += sorted(f for f in files if f[0] == label)[:limit]
    return out
