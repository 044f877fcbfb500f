"""The measures' formulas, vectorised over frames: joint angles, leans, lifts from landmarks.

Each formula takes a `Frames` (a track's points and visibility, or one pose as a track of one)
and a side ("left" or "right"; "" for a measure without sides) and gives one value per frame.
What each measure is (its name, views, unit, sides, this formula and its one-pose form in
scoring.scalar_kinematics) is scoring.measures' registry; `compute_measures` there runs them.
A measure whose landmarks are not visible is NaN (missing), never a number: downstream code
must treat NaN as "can't see it", not as zero. Visible means seen with confidence and inside
the picture: MediaPipe extrapolates a joint that has left the frame and often still gives it
a high visibility (a wrist 3-17 % of the image below its bottom edge at 0.90-0.96: the
evaluation set's benchmarks/evalset/FINDINGS.md, finding 3), and a rep counted on it is made up.

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

from collections.abc import Callable

import numpy as np

from pose.landmarks import Landmark as L
from pose.types import Array, FloatArray

DEFAULT_MIN_VISIBILITY = 0.5
# How far outside the picture (in image widths or heights) a landmark still counts as in it:
# a joint at the edge is placed a little beyond it. The setup check uses the same margin.
PICTURE_MARGIN = 0.02
_LOW, _HIGH = -PICTURE_MARGIN, 1.0 + PICTURE_MARGIN
# The largest horizontal stretch for a turned body: 2 undoes a 60-degree turn from the side;
# past that the sagittal plane is too edge-on to measure in the image (scoring.view).
MAX_STRETCH = 2.0
SIDES = ("left", "right")

# Each side's points by name, as landmark indices (the formulas and scoring.measures' joint
# angles read them).
SIDE_POINTS: dict[str, dict[str, int]] = {
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


def other_side(side: str) -> str:
    return "right" if side == "left" else "left"


def to_points(landmarks: Array, aspect: float) -> FloatArray:
    """(T, 33, 4) normalised landmarks -> (T, 33, 3) isotropic points in image heights."""
    pts = landmarks[..., :3].astype(np.float64, copy=True)
    pts[..., 0] *= aspect
    pts[..., 2] *= aspect
    return pts


# Live, these run on one frame at a time, 30 times a second per patient: there numpy's Python
# wrappers (np.sum, np.clip, np.all and even the array methods) cost more than the arithmetic,
# so the helpers below call the ufuncs they wrap directly (the same results).
_sum: Callable[..., Array] = np.add.reduce
_all: Callable[..., Array] = np.logical_and.reduce


def _norm(v: Array) -> Array:
    return np.sqrt(_sum(v * v, axis=-1))


def _vector_angle(u: Array, v: Array) -> Array:
    """Angle between vectors in degrees (NaN for zero-length; callers run under errstate)."""
    cos = _sum(u * v, axis=-1) / (_norm(u) * _norm(v))
    degrees: Array = np.degrees(np.arccos(np.minimum(np.maximum(cos, -1.0), 1.0)))
    return degrees


def _angle(a: Array, b: Array, c: Array) -> Array:
    """Angle ABC in degrees for (T, k) point arrays (k = 2 or 3)."""
    return _vector_angle(a - b, c - b)


def _unit(v: Array) -> Array:
    unit: Array = v / _norm(v)[..., None]
    return unit


class Frames:
    """A track's points and visibility, made once per call, so each formula reads what it
    needs (`compute_measures` makes one)."""

    def __init__(
        self,
        landmarks: Array,
        aspect: float,
        min_visibility: float,
        world: Array | None = None,
        sagittal_stretch: float = 1.0,
    ) -> None:
        self.pts = to_points(landmarks, aspect)
        vis, x, y = landmarks[..., 3], landmarks[..., 0], landmarks[..., 1]
        in_picture = (x >= _LOW) & (x <= _HIGH) & (y >= _LOW) & (y <= _HIGH)
        # Seen with confidence, wherever the model placed it: enough for a direction (the
        # trunk axis of a seated patient whose hips are just below the picture).
        self.confident = (vis >= min_visibility) & np.isfinite(vis)
        self.visible = self.confident & in_picture
        self.world = world
        self.stretch = sagittal_stretch

    def p(self, idx: int, dims: int = 3) -> Array:
        return self.pts[:, idx, :dims]

    def w(self, idx: int) -> Array:
        """World point where the frame has one, else the image point (same units per frame
        for every landmark, so angles stay true either way)."""
        if self.world is None:
            return self.p(idx)
        world = self.world[:, idx]
        ok = np.isfinite(self.world).all(axis=(1, 2))[:, None]
        return np.where(ok, world, self.p(idx))

    def sagittal(self, idx: int) -> Array:
        """Image point with x stretched to undo a turned body's foreshortening (scoring.view)."""
        pt = self.p(idx, 2)
        if self.stretch == 1.0:
            return pt
        stretched: Array = pt * np.array([self.stretch, 1.0])
        return stretched

    def gate(self, values: Array, *indices: int) -> Array:
        ok = _all(self.visible[:, list(indices)], axis=1)
        return np.where(ok, values, np.nan)

    def mid(self, a: int, b: int, dims: int = 3) -> Array:
        return (self.p(a, dims) + self.p(b, dims)) / 2.0


# -- the formulas: (frames, side) -> one value per frame ------------------------------------
def joint_flexion(f: Frames, side: str, a: str, b: str, c: str, dims: int = 3) -> FloatArray:
    """180 minus the angle at joint b: 0 when the limb is straight. 3-D from the world
    landmarks when given; 2-D in the (stretched, when turned) sagittal plane."""
    s = SIDE_POINTS[side]
    point = f.w if dims == 3 else f.sagittal
    angle = _angle(point(s[a]), point(s[b]), point(s[c]))
    return f.gate(180.0 - angle, s[a], s[b], s[c])


def joint_flexions(f: Frames, dims: int, a: Array, b: Array, c: Array) -> FloatArray:
    """`joint_flexion` of k joints at once, given their landmark indices a, b, c (each (k,)):
    (k, T), rows contiguous. One vectorised pass (live, one frame at a time, numpy's per-call
    overhead is most of the cost); the same values as `joint_flexion`."""
    pts = _flexion_points(f, dims)
    angle = _angle(pts[:, a], pts[:, b], pts[:, c])  # (T, k)
    ok = f.visible[:, a] & f.visible[:, b] & f.visible[:, c]
    return np.where(ok, 180.0 - angle, np.nan).T.copy()


def _flexion_points(f: Frames, dims: int) -> Array:
    """Every landmark as `joint_flexion` reads it: 3-D from the world landmarks where the
    frame has them (`Frames.w`), 2-D in the stretched sagittal plane (`Frames.sagittal`)."""
    if dims == 2:
        pts = f.pts[..., :2]
        return pts if f.stretch == 1.0 else pts * np.array([f.stretch, 1.0])
    if f.world is None:
        return f.pts
    ok = np.isfinite(f.world).all(axis=(1, 2))[:, None, None]
    return np.where(ok, f.world, f.pts)


def _body_axes(f: Frames) -> tuple[Array, Array, Array]:
    """Trunk frame: up (hips->shoulders), lateral (right->left shoulder, orthogonal to up),
    forward (perpendicular to both)."""
    up = _unit(f.mid(L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - f.mid(L.LEFT_HIP, L.RIGHT_HIP))
    # Seated patients often hide their hips: fall back to the image vertical as the trunk axis.
    # Hips placed with confidence just below the picture still give its direction.
    hips_seen = f.confident[:, [L.LEFT_HIP, L.RIGHT_HIP]].all(axis=1, keepdims=True)
    up = np.where(hips_seen, up, np.array([0.0, -1.0, 0.0]))
    lat = f.p(L.LEFT_SHOULDER) - f.p(L.RIGHT_SHOULDER)
    lat = _unit(lat - np.sum(lat * up, axis=-1, keepdims=True) * up)
    fwd = np.cross(up, lat)
    return up, lat, fwd


def shoulder_plane_angle(f: Frames, side: str, plane: str) -> FloatArray:
    """Arm elevation projected on the body's frontal (abduction) or sagittal (flexion) plane."""
    s = SIDE_POINTS[side]
    up, lat, fwd = _body_axes(f)
    arm = f.p(s["elbow"]) - f.p(s["shoulder"])
    drop = -np.sum(arm * up, axis=-1)  # component along "down the trunk"
    axis = lat if plane == "frontal" else fwd
    other = np.abs(np.sum(arm * axis, axis=-1))
    angle = np.degrees(np.arctan2(other, drop))  # 0 arm down, 90 horizontal, 180 overhead
    return f.gate(angle, s["shoulder"], s["elbow"], L.LEFT_SHOULDER, L.RIGHT_SHOULDER)


def shoulder_elevation(f: Frames, side: str) -> FloatArray:
    """Angle between the trunk (pointing down) and the upper arm, in any plane."""
    s = SIDE_POINTS[side]
    up, _, _ = _body_axes(f)
    arm = f.p(s["elbow"]) - f.p(s["shoulder"])
    return f.gate(
        _vector_angle(-up, arm), s["shoulder"], s["elbow"], L.LEFT_SHOULDER, L.RIGHT_SHOULDER
    )


def _horizontal_axes(f: Frames) -> tuple[Array, Array]:
    """Horizontal lateral (along the hip line, in the x-z floor plane) and forward axes."""
    hip_line = f.p(L.LEFT_HIP) - f.p(L.RIGHT_HIP)
    lat = np.stack([hip_line[:, 0], np.zeros(len(hip_line)), hip_line[:, 2]], axis=-1)
    lat = _unit(lat)
    fwd = np.stack([-lat[:, 2], np.zeros(len(lat)), lat[:, 0]], axis=-1)
    return lat, fwd


def trunk_lean(f: Frames, _side: str = "", plane: str = "any") -> FloatArray:
    """Trunk angle from vertical: in any plane, or its lateral or forward component."""
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


def trunk_lean_image(f: Frames, _side: str = "") -> FloatArray:
    """Trunk angle from vertical in the image plane: forward lean as a side camera sees it."""
    trunk = f.mid(L.LEFT_SHOULDER, L.RIGHT_SHOULDER, 2) - f.mid(L.LEFT_HIP, L.RIGHT_HIP, 2)
    value = np.degrees(np.arctan2(np.abs(trunk[:, 0]), -trunk[:, 1]))
    return f.gate(value, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)


def knee_valgus(f: Frames, side: str) -> FloatArray:
    """Frontal-plane projection angle at the knee, positive when the knee falls inward.

    2-D (image plane): only meaningful from the front, which the rules that use it declare.
    """
    s = SIDE_POINTS[side]
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


def _leg_length(f: Frames, side: str) -> Array:
    s = SIDE_POINTS[side]
    return _norm(f.p(s["hip"], 2) - f.p(s["knee"], 2)) + _norm(
        f.p(s["knee"], 2) - f.p(s["ankle"], 2)
    )


def heel_lift(f: Frames, side: str) -> FloatArray:
    """Heel height above the toes, in leg lengths (positive = heel raised)."""
    s = SIDE_POINTS[side]
    rise = f.p(s["toe"], 2)[:, 1] - f.p(s["heel"], 2)[:, 1]
    value = rise / _leg_length(f, side)
    return f.gate(value, s["heel"], s["toe"], s["hip"], s["knee"], s["ankle"])


def foot_lift(f: Frames, side: str) -> FloatArray:
    """How far this ankle is above the other one, in leg lengths (positive = foot lifted)."""
    s, o = SIDE_POINTS[side], SIDE_POINTS[other_side(side)]
    rise = f.p(o["ankle"], 2)[:, 1] - f.p(s["ankle"], 2)[:, 1]
    leg = np.fmax(_leg_length(f, side), _leg_length(f, other_side(side)))
    value = rise / leg
    return f.gate(value, s["ankle"], o["ankle"], s["hip"], s["knee"], o["hip"], o["knee"])


def hip_height(f: Frames, _side: str = "") -> FloatArray:
    """Hip height above the ankle, in leg lengths (about 1 standing, less when squatting), of
    the higher of the legs seen: the standing leg. Averaging both made a leg raised behind
    (an arabesque, a step) look like a squat (evaluation set, finding 8); in a squat or a
    sit-to-stand both legs read alike. From the side the far leg is often hidden: then the
    near one alone."""
    hip, knee, ankle = (f.pts[:, idx, :2] for idx in (_HIPS, _KNEES, _ANKLES))  # (T, 2, 2)
    h = (ankle[..., 1] - hip[..., 1]) / (_norm(hip - knee) + _norm(knee - ankle))
    ok = f.visible[:, _HIPS] & f.visible[:, _KNEES] & f.visible[:, _ANKLES] & np.isfinite(h)
    higher: FloatArray = np.where(ok, h, -np.inf).max(axis=1)
    return np.where(ok.any(axis=1), higher, np.nan)


def feet_separation(f: Frames, _side: str = "") -> FloatArray:
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
def arm_trunk_angle_2d(f: Frames, side: str) -> FloatArray:
    """Image-plane angle at the shoulder between the trunk (towards the same-side hip) and the
    upper arm: 0 with the elbow by the side. From the side it is how far the upper arm swings
    forward or back (Pose Trainer's "upper arm vs torso" angle, Chen & Yang 2018); it needs
    no depth and no far-side landmark, which a side camera often loses."""
    s = SIDE_POINTS[side]
    angle = _angle(f.p(s["hip"], 2), f.p(s["shoulder"], 2), f.p(s["elbow"], 2))
    return f.gate(angle, s["hip"], s["shoulder"], s["elbow"])


def upper_arm_elevation_2d(f: Frames, side: str) -> FloatArray:
    """How far the upper arm is raised from hanging straight down, in the image plane: 0 down,
    90 out horizontally, 180 overhead. Needs no hip: seated patients often hide theirs. From
    the front, an arm raised out to the side puts the elbow's bend in the image plane."""
    s = SIDE_POINTS[side]
    arm = f.p(s["elbow"], 2) - f.p(s["shoulder"], 2)
    angle = np.degrees(np.arctan2(np.abs(arm[..., 0]), arm[..., 1]))
    return f.gate(angle, s["shoulder"], s["elbow"])


def front_knee_past_toe(f: Frames, _side: str = "") -> FloatArray:
    """How far the front knee is ahead of its toes, along the way the feet point, in shank
    lengths (image plane; positive = knee past the toes). The front leg is the one whose ankle
    is further forward; the back knee of a lunge is always ahead of its own toes, so it is
    left out. Needs a side view: from the front, "ahead" is depth."""
    n = len(f.pts)
    facing = np.zeros(n)
    for side in SIDES:
        s = SIDE_POINTS[side]
        dx = f.p(s["toe"], 2)[:, 0] - f.p(s["ankle"], 2)[:, 0]
        facing += np.where(f.visible[:, s["toe"]] & f.visible[:, s["ankle"]], dx, 0.0)
    sign = np.sign(facing)
    left, right = SIDE_POINTS["left"], SIDE_POINTS["right"]
    ahead = sign * (f.p(left["ankle"], 2)[:, 0] - f.p(right["ankle"], 2)[:, 0])
    values = np.full(n, np.nan)
    for side, chosen in (("left", ahead >= 0), ("right", ahead < 0)):
        s = SIDE_POINTS[side]
        shank = _norm(f.p(s["knee"], 2) - f.p(s["ankle"], 2))
        past = sign * (f.p(s["knee"], 2)[:, 0] - f.p(s["toe"], 2)[:, 0]) / shank
        past = f.gate(past, s["knee"], s["ankle"], s["toe"])
        values = np.where(chosen, past, values)
    ok = (sign != 0) & f.visible[:, [left["ankle"], right["ankle"]]].all(axis=1)
    return np.where(ok, values, np.nan)


def hip_abduction(f: Frames, side: str) -> FloatArray:
    """Thigh angle out from the pelvis's downward perpendicular, in the image plane (degrees).

    0 with the thigh hanging square to the hip line, positive when the knee moves outward,
    negative across the midline. Frontal plane: only meaningful from the front.
    """
    s, o = SIDE_POINTS[side], SIDE_POINTS[other_side(side)]
    out = _unit(f.p(s["hip"], 2) - f.p(o["hip"], 2))  # this side's outward direction
    down = np.stack([-out[:, 1], out[:, 0]], axis=-1)
    down = down * np.where(down[:, 1] < 0, -1.0, 1.0)[:, None]  # image y points down
    thigh = f.p(s["knee"], 2) - f.p(s["hip"], 2)
    value = np.degrees(np.arctan2(np.sum(thigh * out, axis=-1), np.sum(thigh * down, axis=-1)))
    return f.gate(value, s["hip"], s["knee"], o["hip"])


def knee_lift(f: Frames, side: str) -> FloatArray:
    """How far this knee is above the other knee, in leg lengths of the standing leg.

    About 0 standing, 0.5 with the thigh horizontal (thigh = half a leg); image heights only,
    so the same from the front and the side. Never negative: a knee below the other one is
    not lifted (the other one is), so alternating legs do not swing each other's range.
    """
    s, o = SIDE_POINTS[side], SIDE_POINTS[other_side(side)]
    rise = f.p(o["knee"], 2)[:, 1] - f.p(s["knee"], 2)[:, 1]
    value = np.maximum(rise / _leg_length(f, other_side(side)), 0.0)
    return f.gate(value, s["knee"], o["hip"], o["knee"], o["ankle"])


def reach(f: Frames, side: str) -> FloatArray:
    """Horizontal distance from this side's ankle to its wrist, in leg lengths (image plane).

    From the side: about 0 with the arm hanging, 0.6-0.7 with the arm held forward at
    shoulder height, more when leaning into a reach (functional reach, Duncan et al. 1990).
    """
    s = SIDE_POINTS[side]
    dx = np.abs(f.p(s["wrist"], 2)[:, 0] - f.p(s["ankle"], 2)[:, 0])
    value = dx / _leg_length(f, side)
    return f.gate(value, s["wrist"], s["hip"], s["knee"], s["ankle"])


def stance_width(f: Frames, _side: str = "") -> FloatArray:
    """Distance between the ankles over the distance between the hips (image plane).

    About 1 with the feet under the hips, 2-3 in a jumping jack; from the front only.
    """
    feet = _norm(f.p(L.LEFT_ANKLE, 2) - f.p(L.RIGHT_ANKLE, 2))
    hips = _norm(f.p(L.LEFT_HIP, 2) - f.p(L.RIGHT_HIP, 2))
    return f.gate(feet / hips, L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HIP, L.RIGHT_HIP)


def head_forward(f: Frames, _side: str = "") -> FloatArray:
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


# -- Everyday tasks (timed up-and-go, gait): sitting, and where the body is in the picture ---
def _sides_mean(values: list[Array], seen: list[Array]) -> FloatArray:
    """The mean of the sides seen in each frame (NaN where neither is)."""
    total = np.zeros(len(values[0]))
    count = np.zeros(len(values[0]))
    for v, ok in zip(values, seen, strict=True):
        ok = ok & np.isfinite(v)
        total += np.where(ok, v, 0.0)
        count += ok
    mean: FloatArray = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return mean


def thigh_drop(f: Frames, _side: str = "") -> FloatArray:
    """How far the knee is below the hip in the image, in shank lengths (knee to ankle).

    About 1 standing (the thigh hangs as long as the shank), near 0 seated seen from the side
    (the thigh is level) and small seated seen from the front (the thigh points at the camera
    and looks short). Unlike `hip_height`, whose leg length shrinks with the foreshortened
    thigh, a seated patient seen from a high front camera still reads low (0.1-0.3 where
    `hip_height` read 0.78). The sides seen, averaged."""
    values, seen = [], []
    for side in SIDES:
        s = SIDE_POINTS[side]
        hip, knee, ankle = f.p(s["hip"], 2), f.p(s["knee"], 2), f.p(s["ankle"], 2)
        values.append((knee[:, 1] - hip[:, 1]) / _norm(knee - ankle))
        seen.append(_all(f.visible[:, [s["hip"], s["knee"], s["ankle"]]], axis=1))
    return _sides_mean(values, seen)


def leg_length(f: Frames, _side: str = "") -> FloatArray:
    """Hip to knee plus knee to ankle in the image, in image heights (the sides seen,
    averaged): the person's scale in the picture, growing as they come closer."""
    values, seen = [], []
    for side in SIDES:
        s = SIDE_POINTS[side]
        values.append(_leg_length(f, side))
        seen.append(_all(f.visible[:, [s["hip"], s["knee"], s["ankle"]]], axis=1))
    return _sides_mean(values, seen)


def body_point(f: Frames, _side: str = "", *, part: str, axis: int) -> FloatArray:
    """The midpoint of both sides' `part` ("hip": the pelvis, "shoulder"), x (axis 0) or y
    (axis 1, pointing down), in image heights from the picture's left or top edge."""
    left, right = SIDE_POINTS["left"][part], SIDE_POINTS["right"][part]
    return f.gate(f.mid(left, right, 2)[:, axis], left, right)


def heel_point(f: Frames, side: str, *, axis: int) -> FloatArray:
    """This heel's x (axis 0) or y (axis 1), in image heights from the left or top edge."""
    heel = SIDE_POINTS[side]["heel"]
    return f.gate(f.p(heel, 2)[:, axis], heel)
