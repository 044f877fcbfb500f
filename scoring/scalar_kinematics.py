"""The measures' formulas for one pose, in plain floats: scoring.kinematics for a single frame.

Live, the engine measures one (33, 4) pose at a time, 30 times a second per patient. There
numpy's per-call overhead on (1, 33, 3) arrays is nearly all of the vectorised formulas' cost
(about 100 us a frame for a squat), while each measure needs only a few points. So the
measures the library's definitions read most have a second form here, with `math` on those
points: the same formulas as scoring.kinematics, term by term in the same order, so the same
values (bit for bit wherever numpy's ufuncs use the C library's maths, as on x86 without
AVX-512; within an ulp or two elsewhere). scoring.measures' registry pairs each with its
vectorised formula (`Measure.scalar`), and `frame_measures` there takes every other measure
from the vectorised one. tests/scoring/test_frame_measures.py compares the two on every
stored track.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from pose.landmarks import Landmark as L
from pose.types import Array
from scoring.kinematics import PICTURE_MARGIN, SIDE_POINTS

NAN = math.nan
_LS, _RS, _LH, _RH = L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP
# Each side's (hip, knee, ankle) and (hip, shoulder, elbow) landmark indices.
_LEG = {side: (pts["hip"], pts["knee"], pts["ankle"]) for side, pts in SIDE_POINTS.items()}
_ARM = {side: (pts["hip"], pts["shoulder"], pts["elbow"]) for side, pts in SIDE_POINTS.items()}
_OTHER = {"left": "right", "right": "left"}
_LOW, _HIGH = -PICTURE_MARGIN, 1.0 + PICTURE_MARGIN


def _div(a: float, b: float) -> float:
    """a / b as numpy divides (inf or NaN for b == 0), where Python would raise."""
    if b != 0.0:
        return a / b
    if a != a or a == 0.0:
        return NAN
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _clip_acos_degrees(cos: float) -> float:
    """np.degrees(np.arccos(np.minimum(np.maximum(cos, -1), 1))), NaN kept."""
    if cos != cos:
        return NAN
    return math.degrees(math.acos(min(max(cos, -1.0), 1.0)))


def _angle(a: Sequence[float], b: Sequence[float], c: Sequence[float]) -> float:
    """scoring.kinematics._angle: the angle ABC in degrees for 2- or 3-D points (sums term
    by term from the first, as numpy's reduction does)."""
    ux, uy, vx, vy = a[0] - b[0], a[1] - b[1], c[0] - b[0], c[1] - b[1]
    dot, uu, vv = ux * vx + uy * vy, ux * ux + uy * uy, vx * vx + vy * vy
    if len(a) == 3:
        uz, vz = a[2] - b[2], c[2] - b[2]
        dot, uu, vv = dot + uz * vz, uu + uz * uz, vv + vz * vz
    return _clip_acos_degrees(_div(dot, math.sqrt(uu) * math.sqrt(vv)))


def _sign(x: float) -> float:
    """np.sign: -1, 0 or 1, NaN for NaN."""
    if x != x:
        return NAN
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0


class PosePoints:
    """One pose's points as `scoring.kinematics.Frames` reads them, in Python floats."""

    def __init__(
        self,
        landmarks: Array,
        aspect: float,
        min_visibility: float,
        world: Array | None,
        stretch: float,
    ) -> None:
        self.rows: list[list[float]] = landmarks.tolist()
        self.aspect = aspect
        self.min_visibility = min_visibility
        self.world = world
        self.stretch = stretch
        self._world_rows: list[list[float]] | None = None

    def p(self, i: int) -> list[float]:
        """Image point in image heights (x, y, z)."""
        x, y, z = self.rows[i][:3]
        return [x * self.aspect, y, z * self.aspect]

    def p2(self, i: int) -> list[float]:
        x, y = self.rows[i][:2]
        return [x * self.aspect, y]

    def w(self, i: int) -> list[float]:
        """`Frames.w`: the world point when the pose has finite world landmarks."""
        if self.world is None:
            return self.p(i)
        if self._world_rows is None:
            ok = bool(np.isfinite(self.world).all())
            self._world_rows = self.world.tolist() if ok else []
        return self._world_rows[i] if self._world_rows else self.p(i)

    def sagittal(self, i: int) -> list[float]:
        """`Frames.sagittal`: x stretched for a turned body."""
        pt = self.p2(i)
        if self.stretch != 1.0:
            pt = [pt[0] * self.stretch, pt[1] * 1.0]
        return pt

    def seen(self, *indices: int) -> bool:
        """`Frames.visible`: seen with confidence and inside the picture."""
        mv = self.min_visibility
        for i in indices:
            x, y, _, v = self.rows[i]
            if not (v >= mv and math.isfinite(v) and _LOW <= x <= _HIGH and _LOW <= y <= _HIGH):
                return False
        return True

    def mid2(self, a: int, b: int) -> list[float]:
        pa, pb = self.p2(a), self.p2(b)
        return [(pa[0] + pb[0]) / 2.0, (pa[1] + pb[1]) / 2.0]

    def mid3(self, a: int, b: int) -> list[float]:
        pa, pb = self.p(a), self.p(b)
        return [(pa[k] + pb[k]) / 2.0 for k in range(3)]

    def leg_length(self, side: str) -> float:
        """`kinematics._leg_length`: hip-knee plus knee-ankle in the image plane."""
        hip, knee, ankle = (self.p2(i) for i in _LEG[side])
        return _norm2(hip, knee) + _norm2(knee, ankle)


def _norm2(a: list[float], b: list[float]) -> float:
    dx, dy = a[0] - b[0], a[1] - b[1]
    return math.sqrt(dx * dx + dy * dy)


def joint_flexion(f: PosePoints, a: int, b: int, c: int, dims: int) -> float:
    """`kinematics.joint_flexion` of the joint at b (landmark indices a, b, c)."""
    if not f.seen(a, b, c):
        return NAN
    point = f.w if dims == 3 else f.sagittal
    return 180.0 - _angle(point(a), point(b), point(c))


def hip_height(f: PosePoints, _side: str = "") -> float:
    higher, seen = -math.inf, False
    for hip_i, knee_i, ankle_i in (_LEG["left"], _LEG["right"]):
        hip, knee, ankle = f.p2(hip_i), f.p2(knee_i), f.p2(ankle_i)
        h = _div(ankle[1] - hip[1], _norm2(hip, knee) + _norm2(knee, ankle))
        if f.seen(hip_i, knee_i, ankle_i) and math.isfinite(h):
            higher, seen = max(higher, h), True
    return higher if seen else NAN


def trunk_lean_image(f: PosePoints, _side: str = "") -> float:
    if not f.seen(_LS, _RS, _LH, _RH):
        return NAN
    sh, hp = f.mid2(_LS, _RS), f.mid2(_LH, _RH)
    tx, ty = sh[0] - hp[0], sh[1] - hp[1]
    return math.degrees(math.atan2(abs(tx), -ty))


def _dot3(a: Sequence[float], b: Sequence[float]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def trunk_lean(f: PosePoints, _side: str = "", plane: str = "any") -> float:
    if not f.seen(_LS, _RS, _LH, _RH):
        return NAN
    sh, hp = f.mid3(_LS, _RS), f.mid3(_LH, _RH)
    trunk = [sh[k] - hp[k] for k in range(3)]
    if plane == "any":
        vertical = (0.0, -1.0, 0.0)
        norms = math.sqrt(_dot3(trunk, trunk)) * math.sqrt(_dot3(vertical, vertical))
        return _clip_acos_degrees(_div(_dot3(trunk, vertical), norms))
    left, right = f.p(_LH), f.p(_RH)
    line = [left[0] - right[0], 0.0, left[2] - right[2]]
    n = math.sqrt(_dot3(line, line))
    lat = [_div(line[0], n), _div(0.0, n), _div(line[2], n)]
    axis = lat if plane == "lateral" else [-lat[2], 0.0, lat[0]]
    return math.degrees(math.atan2(abs(_dot3(trunk, axis)), -trunk[1]))


def knee_valgus(f: PosePoints, side: str) -> float:
    hip_i, knee_i, ankle_i = _LEG[side]
    if not f.seen(hip_i, knee_i, ankle_i, _LH, _RH):
        return NAN
    hip, knee, ankle = f.p2(hip_i), f.p2(knee_i), f.p2(ankle_i)
    fppa = 180.0 - _angle(hip, knee, ankle)
    line = [ankle[0] - hip[0], ankle[1] - hip[1]]
    rel = [knee[0] - hip[0], knee[1] - hip[1]]
    cross = line[0] * rel[1] - line[1] * rel[0]
    towards_mid = _sign(f.mid2(_LH, _RH)[0] - hip[0])
    return -_sign(cross) * towards_mid * fppa


def arm_trunk_angle_2d(f: PosePoints, side: str) -> float:
    hip_i, shoulder_i, elbow_i = _ARM[side]
    if not f.seen(hip_i, shoulder_i, elbow_i):
        return NAN
    return _angle(f.p2(hip_i), f.p2(shoulder_i), f.p2(elbow_i))


def foot_lift(f: PosePoints, side: str) -> float:
    s, o = _LEG[side], _LEG[_OTHER[side]]
    if not f.seen(s[2], o[2], s[0], s[1], o[0], o[1]):
        return NAN
    rise = f.p2(o[2])[1] - f.p2(s[2])[1]
    mine, other = f.leg_length(side), f.leg_length(_OTHER[side])
    leg = other if mine != mine else mine if other != other else max(mine, other)
    return _div(rise, leg)


def feet_separation(f: PosePoints, _side: str = "") -> float:
    if not f.seen(_LH, _RH, L.LEFT_ANKLE, L.RIGHT_ANKLE):
        return NAN
    hips = abs(f.p2(_LH)[0] - f.p2(_RH)[0])
    feet = abs(f.p2(L.LEFT_ANKLE)[0] - f.p2(L.RIGHT_ANKLE)[0])
    return feet / hips if hips >= 0.02 else NAN
