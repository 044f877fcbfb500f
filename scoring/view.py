"""Which way the patient faces the camera: front, side or oblique, from the landmarks.

Facing the camera, the shoulders look about as wide as the trunk is long; from the side,
they nearly overlap. The ratio of apparent shoulder width to trunk length (both in the image
plane, in true proportions via the aspect ratio) separates the views. Seated patients may
hide their hips: then the shoulder-to-ear height stands in for the trunk (scaled by ~2.2).

A three-quarter view (the body turned 30-60 degrees from side-on) still looks wide enough to
pass for "front" by that ratio, and a barbell across the shoulders makes a side view look wide.
The body's turn, from the depth of the shoulder and hip lines, tells them apart: with
MediaPipe's world landmarks (metric depth) the view is read from the turn alone (under 30
degrees side, over 60 front, oblique between); with image landmarks only, whose z is rougher,
the ratio decides and the turn only marks a "front" that is turned three-quarters as
oblique. `sagittal_stretch` then says how much the image foreshortens the body's sagittal
plane, so that image-plane flexion angles can be corrected (scoring.kinematics).
"""

from __future__ import annotations

import statistics
from collections import deque

import numpy as np

from pose.landmarks import Landmark as L

FRONT_MIN_RATIO = 0.55
SIDE_MAX_RATIO = 0.30
MIN_VIS = 0.5
# The body's turn from side-on (degrees) that makes a three-quarter view.
OBLIQUE_TURN = (30.0, 60.0)
# Views whose image shows the body's sagittal plane (face-on, or stretched back to it).
SAGITTAL_VIEWS = frozenset({"side", "oblique"})


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


def body_turn(landmarks: np.ndarray, aspect: float, world: np.ndarray | None = None) -> float:
    """How far the body is turned from side-on to the camera, in degrees: 0 side-on, 90
    facing it (or its back). From the shoulder and hip lines: how much of their length lies
    across the image rather than in depth. World landmarks (33, 3) when given, else the image
    x and z of `landmarks` (33, 4). NaN when they are not finite."""
    if world is not None and np.isfinite(world).all():
        pts = np.asarray(world, dtype=np.float64)
    else:
        pts = np.asarray(landmarks[:, :3], dtype=np.float64) * np.array([aspect, 1.0, aspect])
    lat = (pts[L.LEFT_SHOULDER] - pts[L.RIGHT_SHOULDER]) + (pts[L.LEFT_HIP] - pts[L.RIGHT_HIP])
    across, depth = abs(float(lat[0])), abs(float(lat[2]))
    if not (np.isfinite(across) and np.isfinite(depth)) or across + depth < 1e-9:
        return float("nan")
    return float(np.degrees(np.arctan2(across, depth)))


def sagittal_stretch(view: str, turn_deg: float) -> float:
    """The horizontal stretch (>= 1) that undoes the foreshortening of the body's sagittal
    plane in a three-quarter view: a forward-pointing limb turned `turn_deg` from the image
    plane looks cos(turn) as long. 1 in any other view (side-on the plane is face-on; facing
    the camera it is edge-on, and the image-plane angles mean the frontal plane)."""
    lo, hi = OBLIQUE_TURN
    if view != "oblique" or not (np.isfinite(turn_deg) and lo <= turn_deg <= hi):
        return 1.0
    return float(1.0 / np.cos(np.radians(turn_deg)))


def classify(ratio: float) -> str:
    if not np.isfinite(ratio):
        return "unknown"
    if ratio >= FRONT_MIN_RATIO:
        return "front"
    if ratio <= SIDE_MAX_RATIO:
        return "side"
    return "oblique"


class ViewDetector:
    """Medians of the width ratio and of the body's turn over a short window, so one odd
    frame does not flip the view."""

    def __init__(self, window: int = 15) -> None:
        self._ratios: deque[float] = deque(maxlen=window)
        self._turns: deque[float] = deque(maxlen=window)
        self._from_world: deque[bool] = deque(maxlen=window)

    def update(
        self, landmarks: np.ndarray | None, aspect: float, world: np.ndarray | None = None
    ) -> str:
        if landmarks is not None:
            r = width_ratio(landmarks, aspect)
            if np.isfinite(r):
                self._ratios.append(r)
            turn = body_turn(landmarks, aspect, world)
            if np.isfinite(turn):
                self._turns.append(turn)
                self._from_world.append(world is not None and bool(np.isfinite(world).all()))
        return self.view

    @property
    def turn_deg(self) -> float:
        """The body's turn from side-on (median over the window; NaN before any)."""
        return float(statistics.median(self._turns)) if self._turns else float("nan")

    @property
    def view(self) -> str:
        lo, hi = OBLIQUE_TURN
        turn = self.turn_deg
        if self._turns and sum(self._from_world) * 2 > len(self._from_world):
            return "side" if turn < lo else "front" if turn > hi else "oblique"
        if not self._ratios:
            return "unknown"
        # statistics.median: the same value as np.median, without its overhead on 15 floats.
        view = classify(float(statistics.median(self._ratios)))
        if view == "front" and lo <= turn <= hi:
            return "oblique"  # wide by the ratio, but turned three-quarters
        return view

    @property
    def stretch(self) -> float:
        """`sagittal_stretch` for the current view and turn."""
        return sagittal_stretch(self.view, self.turn_deg)


def view_satisfies(detected: str, required: str) -> bool:
    """Oblique views are tolerated for both; unknown never blocks (we can't tell)."""
    if required == "any" or detected in ("unknown", "oblique"):
        return True
    return detected == required
