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

import math
import statistics
from collections import deque
from typing import Literal

import numpy as np

from pose.landmarks import Landmark as L
from pose.types import Array

FRONT_MIN_RATIO = 0.55
SIDE_MAX_RATIO = 0.30
MIN_VIS = 0.5
# The body's turn from side-on (degrees) that makes a three-quarter view.
OBLIQUE_TURN = (30.0, 60.0)
# The view a definition, a fault rule or a measure needs ("any": every view will do).
View = Literal["front", "side", "any"]


# The landmarks the view is read from, in one small array per call: live, the view is
# refreshed every few frames, and numpy's per-call overhead on 2-vectors was most of its cost.
_VIEW_POINTS = [L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_EAR, L.RIGHT_EAR]


def width_ratio(landmarks: Array, aspect: float) -> float:
    """Apparent shoulder width over trunk length for one (33, 4) pose; NaN if unseen."""
    ls, rs, lh, rh, le, re = landmarks[_VIEW_POINTS].tolist()
    if ls[3] < MIN_VIS or rs[3] < MIN_VIS:
        # From the side the far shoulder is often hidden: that itself says "side".
        if max(ls[3], rs[3]) >= MIN_VIS and (lh[3] >= MIN_VIS or rh[3] >= MIN_VIS):
            return 0.0
        return float("nan")
    dx, dy = ls[0] * aspect - rs[0] * aspect, ls[1] - rs[1]
    width = math.sqrt(dx * dx + dy * dy)
    sh_mid = ((ls[0] * aspect + rs[0] * aspect) / 2, (ls[1] + rs[1]) / 2)
    if lh[3] >= MIN_VIS and rh[3] >= MIN_VIS:
        dx = sh_mid[0] - (lh[0] * aspect + rh[0] * aspect) / 2
        dy = sh_mid[1] - (lh[1] + rh[1]) / 2
        trunk = math.sqrt(dx * dx + dy * dy)
    elif le[3] >= MIN_VIS or re[3] >= MIN_VIS:
        ear_y = min(e[1] for e in (le, re) if e[3] >= MIN_VIS)
        trunk = 2.2 * abs(sh_mid[1] - ear_y)
    else:
        return float("nan")
    return width / trunk if trunk > 1e-6 else float("nan")


def body_turn(landmarks: Array, aspect: float, world: Array | None = None) -> float:
    """How far the body is turned from side-on to the camera, in degrees: 0 side-on, 90
    facing it (or its back). From the shoulder and hip lines: how much of their length lies
    across the image rather than in depth. World landmarks (33, 3) when given, else the image
    x and z of `landmarks` (33, 4). NaN when they are not finite."""
    if world is not None and np.isfinite(world).all():
        ls, rs, lh, rh = world[_VIEW_POINTS[:4]].tolist()
        scale = (1.0, 1.0)
    else:
        ls, rs, lh, rh = landmarks[_VIEW_POINTS[:4]].tolist()
        scale = (aspect, aspect)
    ax, az = scale
    across = abs((ls[0] * ax - rs[0] * ax) + (lh[0] * ax - rh[0] * ax))
    depth = abs((ls[2] * az - rs[2] * az) + (lh[2] * az - rh[2] * az))
    if not (math.isfinite(across) and math.isfinite(depth)) or across + depth < 1e-9:
        return float("nan")
    return math.degrees(math.atan2(across, depth))


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
        # What the windows say, decided once per update (read several times a frame).
        self._turn = float("nan")
        self._view = "unknown"
        self._stretch = 1.0

    def update(self, landmarks: Array | None, aspect: float, world: Array | None = None) -> str:
        if landmarks is not None:
            r = width_ratio(landmarks, aspect)
            if math.isfinite(r):
                self._ratios.append(r)
            if world is not None and not np.isfinite(world).all():
                world = None  # body_turn reads the image then, and so says the window
            turn = body_turn(landmarks, aspect, world)
            if math.isfinite(turn):
                self._turns.append(turn)
                self._from_world.append(world is not None)
            self._turn = float(statistics.median(self._turns)) if self._turns else float("nan")
            self._view = self._decide()
            self._stretch = sagittal_stretch(self._view, self._turn)
        return self._view

    @property
    def turn_deg(self) -> float:
        """The body's turn from side-on (median over the window; NaN before any)."""
        return self._turn

    @property
    def view(self) -> str:
        return self._view

    def _decide(self) -> str:
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
        return self._stretch


class ViewTracker:
    """The view as a stream follows it: the detector refreshed every `every` frames with a
    pose (its windowed median changes slowly; live, every call counts) and on each frame
    while the view is unknown. The engine and the track-wide measures of scoring.reported
    both follow a stream this way, so they agree frame by frame."""

    def __init__(self, every: int = 3) -> None:
        self._detector = ViewDetector()
        self._every = every
        self._poses = 0
        self.view = "unknown"
        self.stretch = 1.0  # `sagittal_stretch` for the view

    def update(self, landmarks: Array, aspect: float, world: Array | None = None) -> str:
        """The view at a frame with a pose: its (33, 4) landmarks, and the (33, 3) world
        landmarks when they are known and finite."""
        self._poses += 1
        if self._poses % self._every == 1 or self.view == "unknown":
            self.view = self._detector.update(landmarks, aspect, world)
            self.stretch = self._detector.stretch
        return self.view


def view_satisfies(detected: str, required: str) -> bool:
    """Oblique views are tolerated for both; unknown never blocks (we can't tell)."""
    if required == "any" or detected in ("unknown", "oblique"):
        return True
    return detected == required
