"""What a measure is, in one table, and the two ways to take them: a track, or one live pose.

A definition names measures ("knee_flexion", "hip_height"); everything the code knows about
one is its `Measure` row in `TABLE`: its formula over a track's frames (scoring.kinematics),
its form for one pose in plain floats where it has one (scoring.scalar_kinematics, the live
fast path), the camera view that can see it, its unit, whether it has a left and a right,
the body parts a fault on it marks, and, for a joint angle, from which views it is reported and
as which variant (elsewhere it is "not measured"). A sided measure is taken per side:
"knee_flexion_left", "knee_flexion_right".

`compute_measures` takes measures over a whole track (offline analysis, the store, clinical
tests); `frame_measures` takes them for one pose (the engine, every live frame): both read the
table, and give the same values (tests/scoring/test_frame_measures.py).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from pose.types import Array, FloatArray
from scoring import kinematics as kin
from scoring import scalar_kinematics as one
from scoring.kinematics import DEFAULT_MIN_VISIBILITY, MAX_STRETCH, SIDE_POINTS, SIDES, Frames
from scoring.scalar_kinematics import PosePoints
from scoring.view import View

__all__ = [
    "DEFAULT_MIN_VISIBILITY",
    "MAX_STRETCH",
    "REGISTRY",
    "TABLE",
    "JointAngle",
    "Measure",
    "ViewReport",
    "compute_measures",
    "find",
    "frame_measures",
    "frame_names",
    "in_degrees",
    "is_frame_name",
    "is_sided",
    "measure_names",
    "measure_view",
    "joint_landmarks",
    "per_frame",
    "reported_error",
    "reported_frame_name",
    "reported_measure",
    "reported_variants",
    "reports_by_view",
]

# The formula over a track's frames, and the one for one pose: each takes a side ("left" or
# "right"; "" for a measure without sides).
TrackFormula = Callable[[Frames, str], FloatArray]
PoseFormula = Callable[[PosePoints, str], float]
# "deg", or a length ratio: in leg lengths (hip-knee-ankle), hip widths (hips apart) or shank
# lengths (knee-ankle). A range limit in degrees never applies to a ratio, and a personal
# reference's smallest deviation is 5 degrees or 0.05 of a length (scoring.reference).
# "image heights": a position or size in the picture (timed up-and-go, gait: where the body is).
Unit = Literal["deg", "leg lengths", "hip widths", "shank lengths", "image heights"]


@dataclass(frozen=True)
class ViewReport:
    """How a joint angle is reported from one camera view: the variant taken there, and the
    error to expect of it (MAE in degrees, from benchmarks/angles.py and the published
    figures: docs/ACCURACY-ANGLES-DRAFT.md), which a rep's confidence weighs
    (scoring.confidence)."""

    variant: str
    error_deg: float


@dataclass(frozen=True)
class Measure:
    """One measure a definition may name.

    `view`: the camera view that can see it ("any", or the one view whose image plane holds
    the movement: rules that read it must declare that view). `sided`: taken per side, as
    `{name}_left` and `{name}_right`. `scalar`: the same formula for one pose in plain floats
    (live speed), None where the track formula serves. `joint`: a joint's flexion angle, which
    `compute_measures` takes with the others in one pass. `reported`: None, the measure is
    reported as itself from every view; else the views it is reported from, each with the
    variant read there and its expected error: from any view not listed it is "not measured"
    (its rep peak, range and range limit, and its stored, exported and charted values;
    scoring.reported). `parts`: the body parts a fault on it marks in red (pose.landmarks
    names without their side).
    """

    name: str
    formula: TrackFormula
    unit: Unit = "deg"
    view: View = "any"
    sided: bool = False
    scalar: PoseFormula | None = None
    joint: JointAngle | None = None
    reported: Mapping[str, ViewReport] | None = None
    parts: tuple[str, ...] = ()


class JointAngle:
    """A joint's flexion: 180 minus the angle at `b` between `a` and `c` (points named as in
    scoring.kinematics.SIDE_POINTS), 0 with the limb straight; 3-D (world landmarks where the
    pose has them) or 2-D (image plane, stretched for a turned body)."""

    def __init__(self, a: str, b: str, c: str, dims: int) -> None:
        self.a, self.b, self.c, self.dims = a, b, c, dims
        self.indices = {side: (pts[a], pts[b], pts[c]) for side, pts in SIDE_POINTS.items()}
        self.pose = _one_pose_flexion(self.indices, dims)  # (a closure: live, every call counts)

    def track(self, f: Frames, side: str) -> FloatArray:
        return kin.joint_flexion(f, side, self.a, self.b, self.c, self.dims)


def _one_pose_flexion(indices: Mapping[str, tuple[int, int, int]], dims: int) -> PoseFormula:
    flexion = one.joint_flexion

    def pose(p: PosePoints, side: str) -> float:
        a, b, c = indices[side]
        return flexion(p, a, b, c, dims)

    return pose


def _joint(
    name: str,
    angle: JointAngle,
    parts: tuple[str, ...],
    reported: Mapping[str, ViewReport],
) -> Measure:
    """A joint angle's row: its formulas are the angle's."""
    return Measure(name, angle.track, sided=True, scalar=angle.pose, joint=angle, parts=parts,
                   reported=reported)  # fmt: skip


def _seen_from(variant: str, error_deg: float, *views: str) -> dict[str, ViewReport]:
    """Report `variant` from `views` only (those whose image plane is the movement's)."""
    return {view: ViewReport(variant, error_deg) for view in views}


# Which angle is reported from which view, decided on the evidence of benchmarks/angles.py
# (docs/ACCURACY-ANGLES-DRAFT.md): the image-plane angle where the movement's plane faces the
# camera, and nothing elsewhere. From the side (turned under 30 degrees from side-on,
# scoring.view) the sagittal plane is face-on: standing reads 1-8 degrees, the full and heavy
# models agree within 1.4-5 MAE, the published lateral-view figures are 5.9-7.1 MAE, hence the
# expected errors below. From three-quarters and the front no single-camera formula came near
# the targets (8.8-31 MAE against a 4-camera reference; the world 3-D angle reads 11-27
# standing), so knee, hip and elbow flexion are "not measured" there. The elbow from the
# front too, although an elbow bending with the arms out to the sides faces the camera: on the
# 4-camera trial's front views the image-plane angle is 31 degrees off (MAE), 37 with the upper
# arm raised 60 degrees or more, and no condition on the frame (the upper arm raised 60 or 75,
# the forearm's image length 0.7-0.9 of the upper arm's or near its 3-D length, the forearm
# within 20-45 degrees of the image plane) brought it under 19, while the strictest kept only
# 37-73 % of the frames of a clip bending face-on (rehab_bme410; docs/ACCURACY-ANGLES-DRAFT.md).
_SAGITTAL = "side"
_KNEE = _seen_from("knee_flexion_2d", 6.0, _SAGITTAL)
_HIP = _seen_from("hip_flexion_2d", 7.0, _SAGITTAL)
_ELBOW = _seen_from("elbow_flexion_2d", 6.0, _SAGITTAL)


_SHOULDER_PARTS = ("SHOULDER", "ELBOW")
_TRUNK_PARTS = ("SHOULDER", "HIP")

# fmt: off
TABLE: tuple[Measure, ...] = (
    # Flexion angles: 3-D (world landmarks where the pose has them) and the *_2d variants in
    # the image plane (stretched back to the sagittal plane from three-quarters). Counting and
    # fault rules read the variant they name; every number a rep, the store or a page reports
    # is the `reported` one: the image-plane angle from the views above, else not measured.
    _joint("knee_flexion", JointAngle("hip", "knee", "ankle", 3), ("KNEE",), _KNEE),
    _joint("knee_flexion_2d", JointAngle("hip", "knee", "ankle", 2), ("KNEE",), _KNEE),
    _joint("hip_flexion", JointAngle("shoulder", "hip", "knee", 3), ("HIP",), _HIP),
    _joint("hip_flexion_2d", JointAngle("shoulder", "hip", "knee", 2), ("HIP",), _HIP),
    _joint("elbow_flexion", JointAngle("shoulder", "elbow", "wrist", 3), ("ELBOW",), _ELBOW),
    _joint("elbow_flexion_2d", JointAngle("shoulder", "elbow", "wrist", 2), ("ELBOW",), _ELBOW),
    Measure("shoulder_flexion", functools.partial(kin.shoulder_plane_angle, plane="sagittal"),
            sided=True, parts=_SHOULDER_PARTS),
    Measure("shoulder_abduction", functools.partial(kin.shoulder_plane_angle, plane="frontal"),
            sided=True, parts=_SHOULDER_PARTS),
    Measure("shoulder_elevation", kin.shoulder_elevation, sided=True, parts=_SHOULDER_PARTS),
    Measure("knee_valgus", kin.knee_valgus, view="front", sided=True, scalar=one.knee_valgus,
            parts=("KNEE",)),
    Measure("heel_lift", kin.heel_lift, "leg lengths", sided=True, parts=("HEEL", "ANKLE")),
    Measure("foot_lift", kin.foot_lift, "leg lengths", sided=True, scalar=one.foot_lift,
            parts=("ANKLE", "FOOT_INDEX")),
    Measure("hip_abduction", kin.hip_abduction, view="front", sided=True, parts=("HIP",)),
    Measure("knee_lift", kin.knee_lift, "leg lengths", sided=True, parts=("KNEE",)),
    Measure("reach", kin.reach, "leg lengths", view="side", sided=True),
    # Added for the fault rules validated on labelled data (docs/BENCHMARKS.md).
    Measure("arm_trunk_angle_2d", kin.arm_trunk_angle_2d, sided=True,
            scalar=one.arm_trunk_angle_2d),
    # How far the upper arm is raised in the image, the hips not needed (seated patients).
    Measure("upper_arm_elevation_2d", kin.upper_arm_elevation_2d, sided=True),
    Measure("front_knee_past_toe", kin.front_knee_past_toe, "shank lengths"),
    Measure("trunk_lean", kin.trunk_lean, scalar=one.trunk_lean, parts=_TRUNK_PARTS),
    Measure("trunk_lean_forward", functools.partial(kin.trunk_lean, plane="forward"),
            scalar=functools.partial(one.trunk_lean, plane="forward"), parts=_TRUNK_PARTS),
    Measure("trunk_lean_lateral", functools.partial(kin.trunk_lean, plane="lateral"),
            scalar=functools.partial(one.trunk_lean, plane="lateral"), parts=_TRUNK_PARTS),
    Measure("trunk_lean_image", kin.trunk_lean_image, view="side",
            scalar=one.trunk_lean_image, parts=_TRUNK_PARTS),
    Measure("hip_height", kin.hip_height, "leg lengths", scalar=one.hip_height,
            parts=("HIP",)),
    # Balance stances (four-stage balance test): how narrow the base of support is.
    Measure("feet_separation", kin.feet_separation, "hip widths", scalar=one.feet_separation),
    Measure("stance_width", kin.stance_width, "hip widths", view="front"),
    Measure("head_forward", kin.head_forward, view="side"),
    # Everyday tasks (scoring.protocols: timed up-and-go, gait): sitting from the thighs,
    # and where the body is in the picture (its path, its steps, its scale).
    Measure("thigh_drop", kin.thigh_drop, "shank lengths"),
    Measure("leg_length", kin.leg_length, "image heights"),
    Measure("pelvis_x", functools.partial(kin.body_point, part="hip", axis=0), "image heights"),
    Measure("pelvis_y", functools.partial(kin.body_point, part="hip", axis=1), "image heights"),
    Measure("shoulders_x", functools.partial(kin.body_point, part="shoulder", axis=0),
            "image heights"),
    Measure("shoulders_y", functools.partial(kin.body_point, part="shoulder", axis=1),
            "image heights"),
    Measure("heel_x", functools.partial(kin.heel_point, axis=0), "image heights", sided=True,
            parts=("HEEL", "ANKLE")),
    Measure("heel_y", functools.partial(kin.heel_point, axis=1), "image heights", sided=True,
            parts=("HEEL", "ANKLE")),
)
# fmt: on

REGISTRY: Mapping[str, Measure] = {m.name: m for m in TABLE}


def _sides(m: Measure) -> list[tuple[str, str]]:
    """(per-frame name, side) of a measure: one per side, or its name alone."""
    return [(f"{m.name}_{side}", side) for side in SIDES] if m.sided else [(m.name, "")]


# Every per-frame name (a sided measure once per side) -> its measure and side.
_PER_FRAME: dict[str, tuple[Measure, str]] = {
    name: (m, side) for m in TABLE for name, side in _sides(m)
}

# The same, for the two ways of taking them: the joint angles (their dimensions and landmark
# indices, taken together) and the measures with a form for one pose.
_JOINTS: dict[str, tuple[int, tuple[int, int, int]]] = {
    name: (m.joint.dims, m.joint.indices[side])
    for name, (m, side) in _PER_FRAME.items()
    if m.joint is not None
}
_SCALAR: dict[str, tuple[PoseFormula, str]] = {
    name: (m.scalar, side) for name, (m, side) in _PER_FRAME.items() if m.scalar is not None
}


# -- what a name means ----------------------------------------------------------------------
def find(name: str) -> Measure | None:
    """The measure a name is (with or without its side suffix), None for an unknown name."""
    m = REGISTRY.get(name)
    if m is None and name in _PER_FRAME:
        m = _PER_FRAME[name][0]
    return m


def is_sided(name: str) -> bool:
    """Whether `name` is a measure taken per side (named without its side)."""
    m = REGISTRY.get(name)
    return m is not None and m.sided


def is_frame_name(name: str) -> bool:
    """Whether `name` is one value per frame: a measure without sides, or one side of one."""
    return name in _PER_FRAME


def per_frame(name: str) -> tuple[str, ...]:
    """The per-frame names a definition's name stands for: itself, or a sided measure's two
    sides; none for an unknown name."""
    if name in _PER_FRAME:
        return (name,)
    m = REGISTRY.get(name)
    return tuple(frame_name for frame_name, _ in _sides(m)) if m is not None else ()


def frame_names() -> tuple[str, ...]:
    """Every per-frame name, in the table's order: what `compute_measures` takes by default."""
    return tuple(_PER_FRAME)


def measure_names() -> list[str]:
    """Every measure name a definition may use: sided ones with and without a side suffix."""
    return sorted(set(REGISTRY) | set(_PER_FRAME))


def in_degrees(name: str) -> bool:
    """Whether a measure (with or without its side) is an angle in degrees (an unknown name
    is taken as one)."""
    m = find(name)
    return m is None or m.unit == "deg"


def measure_view(name: str) -> str:
    """The camera view a measure needs ("front", "side" or "any"), with or without its side."""
    m = find(name)
    return m.view if m is not None else "any"


def reports_by_view(name: str) -> bool:
    """Whether `name` (with or without its side) is reported only from some views (a joint
    angle: scoring.reported), rather than as itself from every view."""
    m = find(name)
    return m is not None and m.reported is not None


def _view_report(name: str, view: str, views: Sequence[str]) -> ViewReport | None:
    m = find(name)
    if m is None or m.reported is None:
        return None
    report = m.reported.get(view)
    if report is None or not ("any" in views or view in views):
        return None
    return report


def reported_measure(name: str, view: str, views: Sequence[str] = ("any",)) -> str | None:
    """The measure whose value is reported for `name` seen from `view`, in an exercise that
    counts in `views` (its definition's; "any": every view): `name` itself for a measure
    reported from every view, its variant from a view that sees its movement plane face-on,
    None where it is not measured (another view, or one the exercise does not count in: a
    squat counted from the front is not measured from the side it turns to)."""
    if not reports_by_view(name):
        return name
    report = _view_report(name, view, views)
    return report.variant if report is not None else None


def reported_frame_name(name: str, view: str, views: Sequence[str] = ("any",)) -> str | None:
    """`reported_measure` for a per-frame name: "knee_flexion_left" -> "knee_flexion_2d_left"
    from the side, None from the front."""
    entry = _PER_FRAME.get(name)
    if entry is None:
        return reported_measure(name, view, views)
    m, side = entry
    variant = reported_measure(m.name, view, views)
    if variant is None or not side:
        return variant
    return f"{variant}_{side}"


def reported_error(name: str, view: str, views: Sequence[str] = ("any",)) -> float | None:
    """The error to expect of `name` as reported from `view` (MAE, degrees); None when it is
    not measured there, or has no per-view rule (no figure: scoring.confidence leaves it out)."""
    report = _view_report(name, view, views)
    return report.error_deg if report is not None else None


def reported_variants(name: str) -> list[str]:
    """Every measure that may be needed to report `name`, whatever the view: its variants for
    a measure reported by view, else itself."""
    m = REGISTRY.get(name)
    if m is None or m.reported is None:
        return [name]
    return list(dict.fromkeys(r.variant for r in m.reported.values()))


def joint_landmarks(name: str) -> tuple[int, int, int] | None:
    """The landmark indices (a, b, c) a per-frame joint angle is taken from, None for any
    other name: their visibility says how well the angle was seen (scoring.confidence)."""
    entry = _JOINTS.get(name)
    return entry[1] if entry is not None else None


# -- taking them ----------------------------------------------------------------------------
def compute_measures(
    landmarks: Array,
    aspect: float,
    names: Sequence[str] | None = None,
    min_visibility: float = DEFAULT_MIN_VISIBILITY,
    *,
    world: Array | None = None,
    sagittal_stretch: float = 1.0,
) -> dict[str, FloatArray]:
    """Measures for every frame: per-frame name -> (T,) float array with NaN where not visible.

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
    frames = Frames(lm, aspect, min_visibility, wl, sagittal_stretch)
    wanted = list(names) if names is not None else list(_PER_FRAME)
    out: dict[str, FloatArray] = {}
    # One errstate for the whole call: zero-length limbs and hidden joints give NaN, silently.
    with np.errstate(invalid="ignore", divide="ignore"):
        flexions = _joint_flexions(frames, wanted)
        for name in wanted:
            value = flexions.get(name)
            if value is None:
                entry = _PER_FRAME.get(name)
                if entry is None:
                    known = ", ".join(sorted(_PER_FRAME))
                    raise KeyError(f"unknown measure {name!r}; known: {known}")
                value = entry[0].formula(frames, entry[1])
            out[name] = value
    return out


@functools.lru_cache(maxsize=256)
def _flexion_groups(names: tuple[str, ...]) -> list[tuple[int, list[str], Array]]:
    """The joint angles among `names` by dimensions, with their a, b, c landmark indices
    (3, k)."""
    groups = []
    for dims in (3, 2):
        group = [name for name in names if name in _JOINTS and _JOINTS[name][0] == dims]
        if group:
            groups.append((dims, group, np.array([_JOINTS[name][1] for name in group]).T))
    return groups


def _joint_flexions(frames: Frames, names: list[str]) -> dict[str, FloatArray]:
    """The joint angles among `names`, all in one vectorised pass per dimension."""
    out: dict[str, FloatArray] = {}
    for dims, group, (a, b, c) in _flexion_groups(tuple(names)):
        out.update(zip(group, kin.joint_flexions(frames, dims, a, b, c), strict=True))
    return out


def frame_measures(
    landmarks: Array,
    aspect: float,
    names: Sequence[str],
    *,
    world: Array | None = None,
    sagittal_stretch: float = 1.0,
    min_visibility: float = DEFAULT_MIN_VISIBILITY,
) -> dict[str, float]:
    """`compute_measures` for one (33, 4) pose (and its (33, 3) world landmarks): name ->
    float, NaN where not seen. Each measure with a `scalar` form is taken with it, the rest
    with `compute_measures`, in one call."""
    if landmarks.shape != (33, 4):
        raise ValueError(f"landmarks must be (33, 4), got {landmarks.shape}")
    if aspect <= 0:
        raise ValueError(f"aspect must be positive, got {aspect}")
    if not (math.isfinite(sagittal_stretch) and 1.0 <= sagittal_stretch <= MAX_STRETCH):
        raise ValueError(f"sagittal_stretch must be in [1, {MAX_STRETCH:g}]: {sagittal_stretch}")
    if world is not None and world.shape != (33, 3):
        raise ValueError(f"world must be (33, 3), got {world.shape}")
    pose = PosePoints(landmarks, aspect, min_visibility, world, sagittal_stretch)
    out: dict[str, float] = {}
    rest: list[str] = []
    for name in names:
        entry = _SCALAR.get(name)
        if entry is None:
            rest.append(name)
        else:
            out[name] = entry[0](pose, entry[1])
    if not rest:
        return out  # already in the order asked for
    measured = compute_measures(
        landmarks, aspect, rest, min_visibility, world=world, sagittal_stretch=sagittal_stretch
    )
    out.update((name, float(value[0])) for name, value in measured.items())
    return {name: out[name] for name in names}
