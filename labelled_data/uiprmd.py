"""UI-PRMD (Vakanski et al. 2018, Data 3(1):2), Kinect v2 part: one rep per file.

Reads the absolute joint positions of `ui_prmd_kinect/derived/kinect_abs_xyz_<movement>_
<correct|incorrect>.npz` (one array per file `mXX_sYY_eZZ`, (T, 22, 3), centimetres, y up,
z towards the sensor, the subject facing it; made from the segmented relative positions and
angles by the evaluation set's own `tools/uiprmd_kinect_fk.py`). The Kinect records at 30 Hz.

Joint mapping (Kinect -> MediaPipe): shoulders, elbows, wrists, hips, knees, ankles one to
one; toes -> foot index. Spine, neck, head, collars and hand tips have no MediaPipe
counterpart and no heel or face point exists: those landmarks stay invisible.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labelled_data.common import LabelledTrack, empty_landmarks, project_3d
from pose.landmarks import Landmark as L
from pose.types import Array

FPS = 30.0
MOVEMENTS = {"m01": "deep squat", "m05": "sit to stand", "m07": "standing shoulder abduction"}
LABELS = ("correct", "incorrect")

# Kinect joint index (UI-PRMD order) -> MediaPipe landmark.
KINECT_TO_MEDIAPIPE: dict[int, L] = {
    7: L.LEFT_SHOULDER,
    8: L.LEFT_ELBOW,
    9: L.LEFT_WRIST,
    11: L.RIGHT_SHOULDER,
    12: L.RIGHT_ELBOW,
    13: L.RIGHT_WRIST,
    14: L.LEFT_HIP,
    15: L.LEFT_KNEE,
    16: L.LEFT_ANKLE,
    17: L.LEFT_FOOT_INDEX,
    18: L.RIGHT_HIP,
    19: L.RIGHT_KNEE,
    20: L.RIGHT_ANKLE,
    21: L.RIGHT_FOOT_INDEX,
}


def to_landmarks(joints: Array, view: str = "front") -> tuple[Array, float]:
    """(T, 22, 3) Kinect joints -> ((T, 33, 4) landmarks seen from `view`, aspect)."""
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (22, 3):
        raise ValueError(f"UI-PRMD Kinect joints must be (T, 22, 3), got {joints.shape}")
    src = list(KINECT_TO_MEDIAPIPE)
    projected, aspect = project_3d(joints[:, src], view)
    lm = empty_landmarks(len(joints))
    dst = [int(m) for m in KINECT_TO_MEDIAPIPE.values()]
    lm[:, dst, :3] = projected
    lm[:, dst, 3] = 1.0
    return lm, aspect


def load(
    root: Path, movement: str, label: str, view: str = "front", limit: int | None = None
) -> list[LabelledTrack]:
    """Every file of one movement and label (`root` is `labelled/ui_prmd_kinect`)."""
    if label not in LABELS:
        raise ValueError(f"label must be one of {LABELS}, got {label!r}")
    path = Path(root) / "derived" / f"kinect_abs_xyz_{movement}_{label}.npz"
    if not path.is_file():
        raise FileNotFoundError(f"no UI-PRMD file {path}")
    tracks: list[LabelledTrack] = []
    with np.load(path) as data:
        for key in sorted(data.files)[:limit]:
            lm, aspect = to_landmarks(data[key], view)
            t = np.arange(len(lm)) / FPS
            tracks.append(
                LabelledTrack(key, lm, t, aspect, label, {"movement": movement, "view": view})
            )
    return tracks
