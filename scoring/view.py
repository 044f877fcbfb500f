"""Which way the patient faces the camera: front, side or oblique, from the landmarks.

Facing the camera, the shoulders look about as wide as the trunk is long; from the side,
they nearly overlap. The ratio of apparent shoulder width to trunk length (both in the image
plane, in true proportions via the aspect ratio) separates the views. Seated patients may
hide their hips: then the shoulder-to-ear height stands in for the trunk (scaled by ~2.2).
"""

from __future__ import annotations

import statistics
from collections import deque

import numpy as np

from pose.landmarks import Landmark as L

FRONT_MIN_RATIO = 0.55
SIDE_MAX_RATIO = 0.30
MIN_VIS = 0.5


def width_ratio(landmarks: np.ndarray, aspect: float) -> float:
    """Apparent shoulder width over trunk length for one (33, 4) pose; NaN if unseen."""
    lm = landmarks
    vis = lm[:, 3]
    if vis[L.LEFT_SHOULDER] < MIN_VIS or vis[L.RIGHT_SHOULDER] < MIN_VIS:
        # From the side the far shoulder is often hidden: that itself says "side".
        if max(vis[L.LEFT_SHOULDER], vis[L.RIGHT_SHOULDER]) >= MIN_VIS and (
            vis[L.LEFT_HIP] >= MIN_VIS or vis[L.RIGHT_HIP] >= MIN_VIS
        ):
            return 0.0
        return float("nan")
    xy = lm[:, :2] * np.array([aspect, 1.0])
    width = float(np.linalg.norm(xy[L.LEFT_SHOULDER] - xy[L.RIGHT_SHOULDER]))
    sh_mid = (xy[L.LEFT_SHOULDER] + xy[L.RIGHT_SHOULDER]) / 2
    if vis[L.LEFT_HIP] >= MIN_VIS and vis[L.RIGHT_HIP] >= MIN_VIS:
        trunk = float(np.linalg.norm(sh_mid - (xy[L.LEFT_HIP] + xy[L.RIGHT_HIP]) / 2))
    elif vis[L.LEFT_EAR] >= MIN_VIS or vis[L.RIGHT_EAR] >= MIN_VIS:
        ear_y = min(xy[e, 1] for e in (L.LEFT_EAR, L.RIGHT_EAR) if vis[e] >= MIN_VIS)
        trunk = 2.2 * abs(sh_mid[1] - ear_y)
    else:
        return float("nan")
    return width / trunk if trunk > 1e-6 else float("nan")


def classify(ratio: float) -> str:
    if not np.isfinite(ratio):
        return "unknown"
    if ratio >= FRONT_MIN_RATIO:
        return "front"
    if ratio <= SIDE_MAX_RATIO:
        return "side"
    return "oblique"


class ViewDetector:
    """Median of the width ratio over a short window, so one odd frame does not flip it."""

    def __init__(self, window: int = 15) -> None:
        self._ratios: deque[float] = deque(maxlen=window)

    def update(self, landmarks: np.ndarray | None, aspect: float) -> str:
        if landmarks is not None:
            r = width_ratio(landmarks, aspect)
            if np.isfinite(r):
                self._ratios.append(r)
        return self.view

    @property
    def view(self) -> str:
        if not self._ratios:
            return "unknown"
        # statistics.median: the same value as np.median, without its overhead on 15 floats.
        return classify(float(statistics.median(self._ratios)))


def view_satisfies(detected: str, required: str) -> bool:
    """Oblique views are tolerated for both; unknown never blocks (we can't tell)."""
    if required == "any" or detected in ("unknown", "oblique"):
        return True
    return detected == required
