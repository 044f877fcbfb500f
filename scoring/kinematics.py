"""Named clinical measures (joint angles, leans, lifts) computed from landmark arrays.

Vectorised over frames: pass (T, 33, 4) or (33, 4) landmarks and get one value per frame.
A measure whose landmarks are not visible is NaN (missing), never a number: downstream code
must treat NaN as "can't see it", not as zero.

Coordinates: MediaPipe gives x, y normalised to the image width and height and z on roughly
the scale of x. We convert to one isotropic unit (image heights) with the aspect ratio
(width/height) so that angles are true angles: P = (x * aspect, y, z * aspect), y pointing down.
Flexion angles use all three axes (robust to the camera view): from MediaPipe's world landmarks
(metres, hip-centred) when the caller has them, whose depth is far steadier than the image z;
frontal-plane measures (valgus) use the image plane only, and the fault rules that read them
declare the front view. The image-plane flexion angles (`*_flexion_2d`) measure a movement in
the body's sagittal plane as a side camera sees it; when the body is turned part way towards
the camera (a three-quarter view) the caller passes `sagittal_stretch` (scoring.view), which
undoes the foreshortening of that plane before the angle is taken.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from pose.landmarks import Landmark as L

DEFAULT_MIN_VISIBILITY = 0.5
# The largest horizontal stretch for a turned body: 2 undoes a 60-degree turn from the side;
# past that the sagittal plane is too edge-on to measure in the image (scoring.view).
MAX_STRETCH = 2.0
SIDES = ("left", "right")

_SIDE_POINTS: dict[str, dict[str, int]] = {
    side: {
        "shoulder": getattr(L, f"{side.upper()}_SHOULDER"),
        "elbow": getattr(L, f"{side.upper()}_ELBOW"),
        "wrist": getattr(L, f"{side.upper()}_WRIST"),
        "hip": getattr(L, f"{side.upper()}_HIP"),
        "knee": getattr(L, f"{side.upper()}_KNEE"),
        "ankle": getattr(L, f"{side.upper()}_ANKLE"),
        "heel": getattr(L, f"{side.upper()}_HEEL"),
        "toe": getattr(L, f"{side.upper()}_FOOT_INDEX"),
    }
    for side in SIDES
}


# Left then right, for measures that take both sides at once.
_HIPS = [L.LEFT_HIP, L.RIGHT_HIP]
_KNEES = [L.LEFT_KNEE, L.RIGHT_KNEE]
_ANKLES = [L.LEFT_ANKLE, L.RIGHT_ANKLE]


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


def to_points(landmarks: np.ndarray, aspect: float) -> np.ndarray:
    """(T, 33, 4) normalised landmarks -> (T, 33, 3) isotropic points in image heights."""
    pts = landmarks[..., :3].astype(np.float64, copy=True)
    pts[..., 0] *= aspect
    pts[..., 2] *= aspect
    return pts


# Live, these run on one frame at a time, 30 times a second per patient: there numpy's Python
# wrappers (np.sum, np.clip, np.all and even the array methods) cost more than the arithmetic,
# so the helpers below call the ufuncs they wrap directly (the same results).
_sum = np.add.reduce
_all = np.logical_and.reduce


def _norm(v: np.ndarray) -> np.ndarray:
    return np.sqrt(_sum(v * v, axis=-1))


def _vector_angle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle between vectors in degrees (NaN for zero-length; callers run under errstate)."""
    cos = _sum(u * v, axis=-1) / (_norm(u) * _norm(v))
    return np.degrees(np.arccos(np.minimum(np.maximum(cos, -1.0), 1.0)))


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle ABC in degrees for (T, k) point arrays (k = 2 or 3)."""
    return _vector_angle(a - b, c - b)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / _norm(v)[..., None]


class _Frame:
    """Per-call cache of points and visibility, so each measure reads what it needs."""

    def __init__(
        self,
        landmarks: np.ndarray,
        aspect: float,
        min_visibility: float,
        world: np.ndarray | None = None,
        sagittal_stretch: float = 1.0,
    ) -> None:
        self.pts = to_points(landmarks, aspect)
        vis = landmarks[..., 3]
        self.visible = (vis >= min_visibility) & np.isfinite(vis)
        self.world = world
        self.stretch = sagittal_stretch

    def p(self, idx: int, dims: int = 3) -> np.ndarray:
        return self.pts[:, idx, :dims]

    def w(self, idx: int) -> np.ndarray:
        """World point where the frame has one, else the image point (same units per frame
        for every landmark, so angles stay true either way)."""
        if self.world is None:
            return self.p(idx)
        world = self.world[:, idx]
        ok = np.isfinite(self.world).all(axis=(1, 2))[:, None]
        return np.where(ok, world, self.p(idx))

    def sagittal(self, idx: int) -> np.ndarray:
        """Image point with x stretched to undo a turned body's foreshortening (scoring.view)."""
        pt = self.p(idx, 2)
        if self.stretch == 1.0:
            return pt
        return pt * np.array([self.stretch, 1.0])

    def gate(self, values: np.ndarray, *indices: int) -> np.ndarray:
        ok = _all(self.visible[:, list(indices)], axis=1)
        return np.where(ok, values, np.nan)

    def mid(self, a: int, b: int, dims: int = 3) -> np.ndarray:
        return (self.p(a, dims) + self.p(b, dims)) / 2.0


def _joint_flexion(f: _Frame, side: str, a: str, b: str, c: str, dims: int = 3) -> np.ndarray:
    """180 minus the angle at joint b: 0 when the limb is straight. 3-D from the world
    landmarks when given; 2-D in the (stretched, when turned) sagittal plane."""
    s = _SIDE_POINTS[side]
    point = f.w if dims == 3 else f.sagittal
    angle = _angle(point(s[a]), point(s[b]), point(s[c]))
    return f.gate(180.0 - angle, s[a], s[b], s[c])


def _body_axes(f: _Frame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trunk frame: up (hips->shoulders), lateral (right->left shoulder, orthogonal to up),
    forward (perpendicular to both)."""
    up = _unit(f.mid(L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - f.mid(L.LEFT_HIP, L.RIGHT_HIP))
    # Seated patients often hide their hips: fall back to the image vertical as the trunk axis.
    hips_seen = f.visible[:, [L.LEFT_HIP, L.RIGHT_HIP]].all(axis=1, keepdims=True)
    up = np.where(hips_seen, up, np.array([0.0, -1.0, 0.0]))
    lat = f.p(L.LEFT_SHOULDER) - f.p(L.RIGHT_SHOULDER)
    lat = _unit(lat - np.sum(lat * up, axis=-1, keepdims=True) * up)
    fwd = np.cross(up, lat)
    return up, lat, fwd


def _shoulder_plane_angle(f: _Frame, side: str, plane: str) -> np.ndarray:
    """Arm elevation projected on the body's frontal (abduction) or sagittal (flexion) plane."""
    s = _SIDE_POINTS[side]
    up, lat, fwd = _body_axes(f)
    arm = f.p(s["elbow"]) - f.p(s["shoulder"])
    drop = -np.sum(arm * up, axis=-1)  # component along "down the trunk"
    axis = lat if plane == "frontal" else fwd
    other = np.abs(np.sum(arm * axis, axis=-1))
    angle = np.degrees(np.arctan2(other, drop))  # 0 arm down, 90 horizontal, 180 overhead
    return f.gate(angle, s["shoulder"], s["elbow"], L.LEFT_SHOULDER, L.RIGHT_SHOULDER)


def _shoulder_elevation(f: _Frame, side: str) -> np.ndarray:
    """Angle between the trunk (pointing down) and the upper arm, in any plane."""
    s = _SIDE_POINTS[side]
    up, _, _ = _body_axes(f)
    arm = f.p(s["elbow"]) - f.p(s["shoulder"])
    return f.gate(
        _vector_angle(-up, arm), s["shoulder"], s["elbow"], L.LEFT_SHOULDER, L.RIGHT_SHOULDER
    )


def _horizontal_axes(f: _Frame) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal lateral (along the hip line, in the x-z floor plane) and forward axes."""
    hip_line = f.p(L.LEFT_HIP) - f.p(L.RIGHT_HIP)
    lat = np.stack([hip_line[:, 0], np.zeros(len(hip_line)), hip_line[:, 2]], axis=-1)
    lat = _unit(lat)
    fwd = np.stack([-lat[:, 2], np.zeros(len(lat)), lat[:, 0]], axis=-1)
    return lat, fwd


def _trunk_lean(f: _Frame, plane: str) -> np.ndarray:
    trunk = f.mid(L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - f.mid(L.LEFT_HIP, L.RIGHT_HIP)
    up = -trunk[:, 1]  # image y points down
    if plane == "any":
        value = _vector_angle(trunk, np.broadcast_to(np.array([0.0, -1.0, 0.0]), trunk.shape))
    else:
        lat, fwd = _horizontal_axes(f)
        axis = lat if plane == "lateral" else fwd
        comp = np.abs(np.sum(trunk * axis, axis=-1))
        value = np.degrees(np.arctan2(comp, up))
    return f.gate(value, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)


def _trunk_lean_side_view(f: _Frame) -> np.ndarray:
    """Trunk angle from vertical in the image plane: forward lean as a side camera sees it."""
    trunk = f.mid(L.LEFT_SHOULDER, L.RIGHT_SHOULDER, 2) - f.mid(L.LEFT_HIP, L.RIGHT_HIP, 2)
    value = np.degrees(np.arctan2(np.abs(trunk[:, 0]), -trunk[:, 1]))
    return f.gate(value, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)


def _knee_valgus(f: _Frame, side: str) -> np.ndarray:
    """Frontal-plane projection angle at the knee, positive when the knee falls inward.

    2-D (image plane): only meaningful from the front, which the rules that use it declare.
    """
    s = _SIDE_POINTS[side]
    hip, knee, ankle = f.p(s["hip"], 2), f.p(s["knee"], 2), f.p(s["ankle"], 2)
    fppa = 180.0 - _angle(hip, knee, ankle)
    # Signed distance of the knee from the hip-ankle line, positive towards the body midline.
    line = ankle - hip
    rel = knee - hip
    cross = line[:, 0] * rel[:, 1] - line[:, 1] * rel[:, 0]
    midline_x = f.mid(L.LEFT_HIP, L.RIGHT_HIP, 2)[:, 0]
    towards_mid = np.sign(midline_x - hip[:, 0])  # +1 if midline is to the +x side of this hip
    # For a line pointing down (+y), cross < 0 means the knee is on the +x side.
    inward = -np.sign(cross) * towards_mid
    return f.gate(inward * fppa, s["hip"], s["knee"], s["ankle"], L.LEFT_HIP, L.RIGHT_HIP)


def _leg_length(f: _Frame, side: str) -> np.ndarray:
    s = _SIDE_POINTS[side]
    return _norm(f.p(s["hip"], 2) - f.p(s["knee"], 2)) + _norm(
        f.p(s["knee"], 2) - f.p(s["ankle"], 2)
    )


def _heel_lift(f: _Frame, side: str) -> np.ndarray:
    """Heel height above the toes, in leg lengths (positive = heel raised)."""
    s = _SIDE_POINTS[side]
    rise = f.p(s["toe"], 2)[:, 1] - f.p(s["heel"], 2)[:, 1]
    value = rise / _leg_length(f, side)
    return f.gate(value, s["heel"], s["toe"], s["hip"], s["knee"], s["ankle"])


def _foot_lift(f: _Frame, side: str) -> np.ndarray:
    """How far this ankle is above the other one, in leg lengths (positive = foot lifted)."""
    s, o = _SIDE_POINTS[side], _SIDE_POINTS[_other(side)]
    rise = f.p(o["ankle"], 2)[:, 1] - f.p(s["ankle"], 2)[:, 1]
    leg = np.fmax(_leg_length(f, side), _leg_length(f, _other(side)))
    value = rise / leg
    return f.gate(value, s["ankle"], o["ankle"], s["hip"], s["knee"], o["hip"], o["knee"])


def _hip_height(f: _Frame) -> np.ndarray:
    """Hip height above the ankles, in leg lengths (about 1 standing, less when squatting).

    Uses whichever side is seen (from the side the far leg is often hidden); both averaged.
    """
    hip, knee, ankle = (f.pts[:, idx, :2] for idx in (_HIPS, _KNEES, _ANKLES))  # (T, 2, 2)
    h = (ankle[..., 1] - hip[..., 1]) / (_norm(hip - knee) + _norm(knee - ankle))
    ok = f.visible[:, _HIPS] & f.visible[:, _KNEES] & f.visible[:, _ANKLES] & np.isfinite(h)
    count = ok.sum(axis=1)
    total = np.where(ok, h, 0.0).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _feet_separation(f: _Frame) -> np.ndarray:
    """Side-to-side distance between the ankles over the distance between the hips (image x).

    About 1 in a relaxed stance, about 0.5 with the feet together, near 0 in tandem stance.
    A front-view measure: from the side the hips overlap, and it is NaN when they do (their
    distance below 0.02 image heights), rather than a huge ratio.
    """
    hips = np.abs(f.p(L.LEFT_HIP, 2)[:, 0] - f.p(L.RIGHT_HIP, 2)[:, 0])
    feet = np.abs(f.p(L.LEFT_ANKLE, 2)[:, 0] - f.p(L.RIGHT_ANKLE, 2)[:, 0])
    value = np.where(hips >= 0.02, feet / hips, np.nan)
    return f.gate(value, L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_ANKLE, L.RIGHT_ANKLE)


# -- Measures added for the fault rules validated on labelled data (docs/BENCHMARKS.md) --
def _arm_trunk_angle_2d(f: _Frame, side: str) -> np.ndarray:
    """Image-plane angle at the shoulder between the trunk (towards the same-side hip) and the
    upper arm: 0 with the elbow by the side. From the side it is how far the upper arm swings
    forward or back (Pose Trainer's "upper arm vs torso" angle, Chen & Yang 2018); it needs
    no depth and no far-side landmark, which a side camera often loses."""
    s = _SIDE_POINTS[side]
    angle = _angle(f.p(s["hip"], 2), f.p(s["shoulder"], 2), f.p(s["elbow"], 2))
    return f.gate(angle, s["hip"], s["shoulder"], s["elbow"])


def _front_knee_past_toe(f: _Frame) -> np.ndarray:
    """How far the front knee is ahead of its toes, along the way the feet point, in shank
    lengths (image plane; positive = knee past the toes). The front leg is the one whose ankle
    is further forward; the back knee of a lunge is always ahead of its own toes, so it is
    left out. Needs a side view: from the front, "ahead" is depth."""
    n = len(f.pts)
    facing = np.zeros(n)
    for side in SIDES:
        s = _SIDE_POINTS[side]
        dx = f.p(s["toe"], 2)[:, 0] - f.p(s["ankle"], 2)[:, 0]
        facing += np.where(f.visible[:, s["toe"]] & f.visible[:, s["ankle"]], dx, 0.0)
    sign = np.sign(facing)
    left, right = _SIDE_POINTS["left"], _SIDE_POINTS["right"]
    ahead = sign * (f.p(left["ankle"], 2)[:, 0] - f.p(right["ankle"], 2)[:, 0])
    values = np.full(n, np.nan)
    for side, chosen in (("left", ahead >= 0), ("right", ahead < 0)):
        s = _SIDE_POINTS[side]
        shank = _norm(f.p(s["knee"], 2) - f.p(s["ankle"], 2))
        past = sign * (f.p(s["knee"], 2)[:, 0] - f.p(s["toe"], 2)[:, 0]) / shank
        past = f.gate(past, s["knee"], s["ankle"], s["toe"])
        values = np.where(chosen, past, values)
    ok = (sign != 0) & f.visible[:, [left["ankle"], right["ankle"]]].all(axis=1)
    return np.where(ok, values, np.nan)


def _register_validated(reg: dict[str, MeasureFn]) -> None:
    for side in SIDES:
        reg[f"arm_trunk_angle_2d_{side}"] = lambda f, s=side: _arm_trunk_angle_2d(f, s)
    reg["front_knee_past_toe"] = _front_knee_past_toe


def _hip_abduction(f: _Frame, side: str) -> np.ndarray:
    """Thigh angle out from the pelvis's downward perpendicular, in the image plane (degrees).

    0 with the thigh hanging square to the hip line, positive when the knee moves outward,
    negative across the midline. Frontal plane: only meaningful from the front.
    """
    s, o = _SIDE_POINTS[side], _SIDE_POINTS[_other(side)]
    out = _unit(f.p(s["hip"], 2) - f.p(o["hip"], 2))  # this side's outward direction
    down = np.stack([-out[:, 1], out[:, 0]], axis=-1)
    down = down * np.where(down[:, 1] < 0, -1.0, 1.0)[:, None]  # image y points down
    thigh = f.p(s["knee"], 2) - f.p(s["hip"], 2)
    value = np.degrees(np.arctan2(np.sum(thigh * out, axis=-1), np.sum(thigh * down, axis=-1)))
    return f.gate(value, s["hip"], s["knee"], o["hip"])


def _knee_lift(f: _Frame, side: str) -> np.ndarray:
    """How far this knee is above the other knee, in leg lengths of the standing leg.

    About 0 standing, 0.5 with the thigh horizontal (thigh = half a leg); image heights only,
    so the same from the front and the side. Never negative: a knee below the other one is
    not lifted (the other one is), so alternating legs do not swing each other's range.
    """
    s, o = _SIDE_POINTS[side], _SIDE_POINTS[_other(side)]
    rise = f.p(o["knee"], 2)[:, 1] - f.p(s["knee"], 2)[:, 1]
    value = np.maximum(rise / _leg_length(f, _other(side)), 0.0)
    return f.gate(value, s["knee"], o["hip"], o["knee"], o["ankle"])


def _reach(f: _Frame, side: str) -> np.ndarray:
    """Horizontal distance from this side's ankle to its wrist, in leg lengths (image plane).

    From the side: about 0 with the arm hanging, 0.6-0.7 with the arm held forward at
    shoulder height, more when leaning into a reach (functional reach, Duncan et al. 1990).
    """
    s = _SIDE_POINTS[side]
    dx = np.abs(f.p(s["wrist"], 2)[:, 0] - f.p(s["ankle"], 2)[:, 0])
    value = dx / _leg_length(f, side)
    return f.gate(value, s["wrist"], s["hip"], s["knee"], s["ankle"])


def _stance_width(f: _Frame) -> np.ndarray:
    """Distance between the ankles over the distance between the hips (image plane).

    About 1 with the feet under the hips, 2-3 in a jumping jack; from the front only.
    """
    feet = _norm(f.p(L.LEFT_ANKLE, 2) - f.p(L.RIGHT_ANKLE, 2))
    hips = _norm(f.p(L.LEFT_HIP, 2) - f.p(L.RIGHT_HIP, 2))
    return f.gate(feet / hips, L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HIP, L.RIGHT_HIP)


def _head_forward(f: _Frame) -> np.ndarray:
    """Angle of the shoulder-to-ear line from vertical in the image plane (degrees).

    The posture plumb line runs through the ear and the shoulder (acromion): about 0 upright,
    growing as the head juts forward (forward head posture). From the side only. Uses the
    sides that are seen, averaged, like hip height.
    """
    total = np.zeros(len(f.pts))
    count = np.zeros(len(f.pts))
    for shoulder, ear in ((L.LEFT_SHOULDER, L.LEFT_EAR), (L.RIGHT_SHOULDER, L.RIGHT_EAR)):
        d = f.p(ear, 2) - f.p(shoulder, 2)
        angle = f.gate(np.degrees(np.arctan2(np.abs(d[:, 0]), -d[:, 1])), shoulder, ear)
        ok = np.isfinite(angle)
        total += np.where(ok, angle, 0.0)
        count += ok
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


MeasureFn = Callable[[_Frame], np.ndarray]

# Flexion angles: 3-D by default (view-robust, but MediaPipe's depth is noisy for the arms);
# the *_2d variants use the image plane only and suit movements seen face-on to their plane.
_FLEXION_JOINTS = {
    "knee": ("hip", "knee", "ankle"),
    "hip": ("shoulder", "hip", "knee"),
    "elbow": ("shoulder", "elbow", "wrist"),
}


def _build_registry() -> dict[str, MeasureFn]:
    reg: dict[str, MeasureFn] = {}
    for side in SIDES:
        for joint, (a, b, c) in _FLEXION_JOINTS.items():
            reg[f"{joint}_flexion_{side}"] = lambda f, s=side, a=a, b=b, c=c: _joint_flexion(
                f, s, a, b, c
            )
            reg[f"{joint}_flexion_2d_{side}"] = lambda f, s=side, a=a, b=b, c=c: _joint_flexion(
                f, s, a, b, c, dims=2
            )
        reg[f"shoulder_flexion_{side}"] = lambda f, s=side: _shoulder_plane_angle(f, s, "sagittal")
        reg[f"shoulder_abduction_{side}"] = lambda f, s=side: _shoulder_plane_angle(f, s, "frontal")
        reg[f"shoulder_elevation_{side}"] = lambda f, s=side: _shoulder_elevation(f, s)
        reg[f"knee_valgus_{side}"] = lambda f, s=side: _knee_valgus(f, s)
        reg[f"heel_lift_{side}"] = lambda f, s=side: _heel_lift(f, s)
        reg[f"foot_lift_{side}"] = lambda f, s=side: _foot_lift(f, s)
        reg[f"hip_abduction_{side}"] = lambda f, s=side: _hip_abduction(f, s)
        reg[f"knee_lift_{side}"] = lambda f, s=side: _knee_lift(f, s)
        reg[f"reach_{side}"] = lambda f, s=side: _reach(f, s)
    reg["trunk_lean"] = lambda f: _trunk_lean(f, "any")
    reg["trunk_lean_forward"] = lambda f: _trunk_lean(f, "forward")
    reg["trunk_lean_lateral"] = lambda f: _trunk_lean(f, "lateral")
    reg["trunk_lean_image"] = _trunk_lean_side_view
    reg["hip_height"] = _hip_height
    # Balance stances (four-stage balance test): how narrow the base of support is.
    reg["feet_separation"] = _feet_separation
    _register_validated(reg)
    reg["stance_width"] = _stance_width
    reg["head_forward"] = _head_forward
    return reg


MEASURES: dict[str, MeasureFn] = _build_registry()

# The joint flexions again as data, name -> (a, b, c, dims), so that one call computes all
# those it is asked for in a single vectorised pass (live, one frame at a time, numpy's
# per-call overhead is most of the cost); the same values as `_joint_flexion`.
_FLEXIONS: dict[str, tuple[int, int, int, int]] = {
    f"{joint}_flexion{suffix}_{side}": (
        _SIDE_POINTS[side][a],
        _SIDE_POINTS[side][b],
        _SIDE_POINTS[side][c],
        dims,
    )
    for side in SIDES
    for joint, (a, b, c) in _FLEXION_JOINTS.items()
    for suffix, dims in (("", 3), ("_2d", 2))
}


@functools.lru_cache(maxsize=256)
def _flexion_groups(names: tuple[str, ...]) -> list[tuple[int, list[str], np.ndarray]]:
    """The flexions among `names` by dimensions, with their a, b, c landmark indices (3, k)."""
    groups = []
    for dims in (3, 2):
        group = [name for name in names if name in _FLEXIONS and _FLEXIONS[name][3] == dims]
        if group:
            groups.append((dims, group, np.array([_FLEXIONS[name][:3] for name in group]).T))
    return groups


def _flexion_points(f: _Frame, dims: int) -> np.ndarray:
    """Every landmark as `_joint_flexion` reads it: 3-D from the world landmarks where the
    frame has them (`_Frame.w`), 2-D in the stretched sagittal plane (`_Frame.sagittal`)."""
    if dims == 2:
        pts = f.pts[..., :2]
        return pts if f.stretch == 1.0 else pts * np.array([f.stretch, 1.0])
    if f.world is None:
        return f.pts
    ok = np.isfinite(f.world).all(axis=(1, 2))[:, None, None]
    return np.where(ok, f.world, f.pts)


def _joint_flexions(f: _Frame, names: list[str]) -> dict[str, np.ndarray]:
    """`_joint_flexion` for the flexions among `names` (those in `_FLEXIONS`) at once."""
    out: dict[str, np.ndarray] = {}
    for dims, group, (a, b, c) in _flexion_groups(tuple(names)):
        pts = _flexion_points(f, dims)
        angle = _angle(pts[:, a], pts[:, b], pts[:, c])  # (T, k)
        ok = f.visible[:, a] & f.visible[:, b] & f.visible[:, c]
        values = np.where(ok, 180.0 - angle, np.nan).T.copy()  # (k, T), rows contiguous
        out.update(zip(group, values, strict=True))
    return out


SIDED_MEASURES: frozenset[str] = frozenset(
    name[: -len("_left")] for name in MEASURES if name.endswith("_left")
)


# Measures that only mean something from one camera view (image-plane projections of a
# frontal- or sagittal-plane movement). Rules that read them must declare that view.
MEASURE_VIEWS: dict[str, str] = {
    "knee_valgus": "front",
    "hip_abduction": "front",
    "stance_width": "front",
    "trunk_lean_image": "side",
    "reach": "side",
    "head_forward": "side",
}


# Measures not in degrees (leg lengths, image heights, ratios): a range limit in degrees never
# applies to them.
NOT_DEGREES = frozenset(
    {
        "feet_separation",
        "foot_lift",
        "front_knee_past_toe",
        "heel_lift",
        "hip_height",
        "knee_lift",
        "reach",
        "stance_width",
    }
)


def in_degrees(name: str) -> bool:
    """Whether a measure (with or without its side) is an angle in degrees."""
    return name.removesuffix("_left").removesuffix("_right") not in NOT_DEGREES


def measure_view(name: str) -> str:
    """The camera view a measure needs ("front", "side" or "any"), with or without its side."""
    base = name.removesuffix("_left").removesuffix("_right")
    return MEASURE_VIEWS.get(base, "any")


def measure_names() -> list[str]:
    """Every measure name a definition may use: sided ones with and without a side suffix."""
    return sorted(set(MEASURES) | SIDED_MEASURES)


def compute_measures(
    landmarks: np.ndarray,
    aspect: float,
    names: list[str] | None = None,
    min_visibility: float = DEFAULT_MIN_VISIBILITY,
    *,
    world: np.ndarray | None = None,
    sagittal_stretch: float = 1.0,
) -> dict[str, np.ndarray]:
    """Measures for every frame: name -> (T,) float array with NaN where not visible.

    `landmarks` is (T, 33, 4) or a single (33, 4) pose (then each array has length 1).
    `names` limits the work to the measures a caller needs (default: all). `world`, the
    matching (T, 33, 3) or (33, 3) world landmarks (NaN rows where none), makes the 3-D
    flexion angles metric; visibility still comes from `landmarks`. `sagittal_stretch` (>= 1,
    scoring.view.sagittal_stretch) corrects the image-plane flexion angles of a turned body.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.ndim == 2:
        lm = lm[None]
    if lm.ndim != 3 or lm.shape[1:] != (33, 4):
        raise ValueError(f"landmarks must be (T, 33, 4) or (33, 4), got {landmarks.shape}")
    if aspect <= 0:
        raise ValueError(f"aspect must be positive, got {aspect}")
    if not (math.isfinite(sagittal_stretch) and 1.0 <= sagittal_stretch <= MAX_STRETCH):
        raise ValueError(f"sagittal_stretch must be in [1, {MAX_STRETCH:g}]: {sagittal_stretch}")
    wl = None
    if world is not None:
        wl = np.asarray(world, dtype=np.float64)
        if wl.ndim == 2:
            wl = wl[None]
        if wl.shape != (len(lm), 33, 3):
            raise ValueError(f"world must match the landmarks as (T, 33, 3), got {wl.shape}")
    frame = _Frame(lm, aspect, min_visibility, wl, sagittal_stretch)
    wanted = names if names is not None else list(MEASURES)
    out: dict[str, np.ndarray] = {}
    # One errstate for the whole call: zero-length limbs and hidden joints give NaN, silently.
    with np.errstate(invalid="ignore", divide="ignore"):
        flexions = _joint_flexions(frame, wanted)
        for name in wanted:
            value = flexions.get(name)
            if value is None:
                fn = MEASURES.get(name)
                if fn is None:
                    known = ", ".join(sorted(MEASURES))
                    raise KeyError(f"unknown measure {name!r}; known: {known}")
                value = fn(frame)
            out[name] = value
    return out
