"""The stored landmark tracks of the real recordings (../shared/data): manifest, video size
and fps, and a clip's landmarks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np


def manifest(shared_data: Path) -> list[dict[str, Any]]:
    return json.loads((shared_data / "MANIFEST.json").read_text())["videos"]


def video_info(path: Path) -> tuple[float, int, int]:
    """(fps, width, height) from the container, without decoding frames."""
    cap = cv2.VideoCapture(str(path))
    try:
        assert cap.isOpened(), f"cannot open {path}"
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    finally:
        cap.release()
    assert fps > 0 and w > 0 and h > 0, path
    return fps, w, h


def landmarks(shared_data: Path, clip: dict[str, Any]) -> np.ndarray:
    with np.load(shared_data / clip["landmarks"]) as data:
        lm = data["lm"]
    assert lm.ndim == 3 and lm.shape[1:] == (33, 4)
    return lm
