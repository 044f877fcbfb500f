"""Pose builders for the scoring tests: a person drawn in isotropic coordinates (image heights;
x right, y down, z away from the camera) with angles known by construction, converted to
MediaPipe's normalised landmarks for a given image aspect (width / height)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from pose.landmarks import NUM_LANDMARKS
from pose.landmarks import Landmark as L
from scoring.measures import compute_measures

Point = tuple[float, float, float]

LEG = 0.4  # thigh 0.2 + shin 0.2, in image heights
THIGH = LEG / 2
FLOOR = 0.95  # ankle height in the image


def _face(points: dict[int, Point], nose: Point, facing_x: float) -> None:
    """Face landmarks around the nose; `facing_x` 0 for the front view, +1 facing +x."""
    nx, ny, nz = nose
    back = -0.03 * facing_x  # ears/eyes sit behind the nose when seen from the side
    spread = 0.0 if facing_x else 1.0
    for side, sign in (("LEFT", 1.0), ("RIGHT", -1.0)):
        depth = 0.0 if not facing_x else 0.03 * sign
        points[L[f"{side}_EYE_INNER"]] = (nx + back + sign * 0.01 * spread, ny - 0.01, nz + depth)
        points[L[f"{side}_EYE"]] = (nx + back + sign * 0.02 * spread, ny - 0.01, nz + depth)
        points[L[f"{side}_EYE_OUTER"]] = (nx + back + sign * 0.03 * spread, ny - 0.01, nz + depth)
        points[L[f"{side}_EAR"]] = (nx + 2 * back + sign * 0.045 * spread, ny, nz + 2 * depth)
        points[L[f"MOUTH_{side}"]] = (
            nx + back + sign * 0.015 * spread,
            ny + 0.03,
            nz + depth,
        )
    points[L.NOSE] = nose


def _hand(points: dict[int, Point], side: str, wrist: Point, elbow: Point) -> None:
    """Pinky, index and thumb a little beyond the wrist, along the forearm."""
    w, e = np.asarray(wrist), np.asarray(elbow)
    d = w - e
    n = float(np.linalg.norm(d)) or 1.0
    tip = w + 0.03 * d / n
    for part in ("PINKY", "INDEX", "THUMB"):
        points[L[f"{side}_{part}"]] = (float(tip[0]), float(tip[1]), float(tip[2]))


def _arm_points(
    shoulder: Point, lateral: float, abduction_deg: float, elbow_flex_deg: float
) -> tuple[Point, Point]:
    """Elbow and wrist for an arm raised `abduction_deg` in the image plane (0 = down),
    `lateral` +1 towards +x; the forearm bends `elbow_flex_deg` upwards in the same plane."""
    a = math.radians(abduction_deg)
    upper = (lateral * math.sin(a), math.cos(a))  # unit vector in the image plane
    elbow = (shoulder[0] + 0.15 * upper[0], shoulder[1] + 0.15 * upper[1], shoulder[2])
    # Rotate the forearm away from the upper arm's line, towards the head.
    b = math.radians(abduction_deg + elbow_flex_deg)
    fore = (lateral * math.sin(b), math.cos(b))
    wrist = (elbow[0] + 0.15 * fore[0], elbow[1] + 0.15 * fore[1], elbow[2])
    return elbow, wrist


def front_points(
    cx: float = 0.5,
    *,
    knee_flex: float = 0.0,
    knee_dir: float = 1.0,
    abduction: tuple[float, float] = (0.0, 0.0),
    elbow_flex: tuple[float, float] = (0.0, 0.0),
    lift_right: float = 0.0,
    lateral_lean: float = 0.0,
) -> dict[int, Point]:
    """A person facing the camera (their left on the image right).

    `knee_flex` bends both knees in the image plane, knees moving outward (`knee_dir` +1)
    or inward (-1): hip height is then cos(knee_flex / 2) leg lengths. `abduction` and
    `elbow_flex` are (left, right) in degrees. `lift_right` raises the right ankle by that
    much (image heights). `lateral_lean` tilts the trunk towards the person's left.
    """
    pts: dict[int, Point] = {}
    half = math.radians(knee_flex / 2)
    hip_y = FLOOR - LEG * math.cos(half)
    for side, sign in (("LEFT", 1.0), ("RIGHT", -1.0)):
        x = cx + 0.05 * sign
        ankle_y = FLOOR - (lift_right if side == "RIGHT" else 0.0)
        knee_x = x + knee_dir * sign * 0.2 * math.sin(half)
        knee_y = FLOOR - 0.2 * math.cos(half)
        if side == "RIGHT" and lift_right:
            knee_y = min(knee_y, ankle_y - 0.1)
        pts[L[f"{side}_HIP"]] = (x, hip_y, 0.0)
        pts[L[f"{side}_KNEE"]] = (knee_x, knee_y, 0.0)
        pts[L[f"{side}_ANKLE"]] = (x, ankle_y, 0.0)
        pts[L[f"{side}_HEEL"]] = (x, ankle_y + 0.02, 0.03)
        pts[L[f"{side}_FOOT_INDEX"]] = (x, ankle_y + 0.02, -0.06)
    lean = math.radians(lateral_lean)
    mid_hip = (cx, hip_y)
    sh_mid = (mid_hip[0] + 0.25 * math.sin(lean), mid_hip[1] - 0.25 * math.cos(lean))
    for i, (side, sign) in enumerate((("LEFT", 1.0), ("RIGHT", -1.0))):
        sh = (sh_mid[0] + 0.1 * sign * math.cos(lean), sh_mid[1] + 0.1 * sign * math.sin(lean), 0.0)
        pts[L[f"{side}_SHOULDER"]] = sh
        elbow, wrist = _arm_points(sh, sign, abduction[i], elbow_flex[i])
        pts[L[f"{side}_ELBOW"]] = elbow
        pts[L[f"{side}_WRIST"]] = wrist
        _hand(pts, side, wrist, elbow)
    _face(pts, (sh_mid[0], sh_mid[1] - 0.15, -0.05), 0.0)
    return pts


def side_points(
    cx: float = 0.5, *, knee_flex: float = 0.0, trunk_lean: float = 0.0
) -> dict[int, Point]:
    """A person seen from the side, facing +x (right side nearer the camera).

    `knee_flex` bends both knees forward (hip height cos(knee_flex / 2) leg lengths);
    `trunk_lean` tilts the trunk forward from vertical, in degrees.
    """
    pts: dict[int, Point] = {}
    half = math.radians(knee_flex / 2)
    knee = (cx + 0.2 * math.sin(half), FLOOR - 0.2 * math.cos(half))
    hip = (cx, FLOOR - LEG * math.cos(half))
    lean = math.radians(trunk_lean)
    sh = (hip[0] + 0.25 * math.sin(lean), hip[1] - 0.25 * math.cos(lean))
    for side, depth in (("LEFT", 0.05), ("RIGHT", -0.05)):
        pts[L[f"{side}_HIP"]] = (hip[0], hip[1], depth)
        pts[L[f"{side}_KNEE"]] = (knee[0], knee[1], depth)
        pts[L[f"{side}_ANKLE"]] = (cx, FLOOR, depth)
        pts[L[f"{side}_HEEL"]] = (cx - 0.03, FLOOR + 0.02, depth)
        pts[L[f"{side}_FOOT_INDEX"]] = (cx + 0.06, FLOOR + 0.02, depth)
        shoulder = (sh[0], sh[1], depth)
        elbow = (sh[0], sh[1] + 0.15, depth)
        wrist = (sh[0], sh[1] + 0.3, depth)
        pts[L[f"{side}_SHOULDER"]] = shoulder
        pts[L[f"{side}_ELBOW"]] = elbow
        pts[L[f"{side}_WRIST"]] = wrist
        _hand(pts, side, wrist, elbow)
    head = (sh[0] + 0.15 * math.sin(lean) + 0.03, sh[1] - 0.15 * math.cos(lean), 0.0)
    _face(pts, head, 1.0)
    return pts


def to_landmarks(
    points: Mapping[int, Point], aspect: float = 1.0, visibility: float = 1.0
) -> np.ndarray:
    """Isotropic points (image heights) -> a (33, 4) MediaPipe landmark array."""
    assert len(points) == NUM_LANDMARKS, sorted(set(range(NUM_LANDMARKS)) - set(points))
    lm = np.zeros((NUM_LANDMARKS, 4), dtype=np.float64)
    for idx, (x, y, z) in points.items():
        lm[idx] = (x / aspect, y, z / aspect, visibility)
    return lm


def hide(lm: np.ndarray, *indices: int, visibility: float = 0.0) -> np.ndarray:
    """A copy with these landmarks' visibility set low (coordinates kept)."""
    out = lm.copy()
    out[list(indices), 3] = visibility
    return out


def measure(lm: np.ndarray, name: str, aspect: float = 1.0) -> float:
    """One measure of one pose, as a float (NaN when not visible)."""
    values = compute_measures(lm, aspect, [name])[name]
    assert values.shape == (1,)
    return float(values[0])


def with_points(base: Mapping[int, Point], **changes: Point) -> dict[int, Point]:
    out = dict(base)
    for name, p in changes.items():
        out[L[name.upper()]] = p
    return out
