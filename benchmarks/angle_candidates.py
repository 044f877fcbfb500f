"""Candidate formulas for a joint's flexion angle from one camera, on a track of poses.

Each candidate reads what a `pose.types.Pose` carries, frame by frame: the 33 image landmarks
(x, y normalised to the image, z, visibility), the image aspect (width / height) and, when the
backend gives them, the 33 world landmarks in metres. They are drop-in formulas for
scoring/kinematics.py (same landmarks, same "180 minus the angle at the joint": 0 straight),
vectorised over frames (T, 33, ...). Frames whose three landmarks are not seen (visibility
below 0.5, the product's rule) are NaN.

- `image2d`: the image-plane angle (the product's `*_flexion_2d`).
- `image3d`: image x, y, z (the per-frame store and export today).
- `world3d`: MediaPipe's world landmarks (the engine's rep peaks today).
- `stretch2d`: the image-plane angle with x stretched by the body's turn (scoring.view's
  `sagittal_stretch`, given per frame).
- `depth_scaled`: image x, y with the world landmarks' depth brought to image units.
- `seglen`: segment-length constraint (Taylor 2000): each limb segment keeps its length, so
  its depth is what its image length lacks: |dz| = sqrt(L^2 - l^2), with L the segment's
  length (the clip's median world bone length times the image scale of that frame) and l its
  image length; only the sign of dz comes from the world landmarks. A straight leg seen
  full-length cannot read bent, however wrong the model's depth.
- `bounded3d`: `depth_scaled` with each segment's depth capped by that length constraint.
- `seglen_calib`: `seglen` with each segment's length measured in the image during a
  calibration moment (the track's `calibration` frames: standing upright, legs straight,
  facing the camera), as a ratio to the torso's image length, carried to each frame by that
  frame's torso length; NaN without calibration frames.
- `by_view`: the measure chosen per frame by the detected view (side: image2d; oblique:
  stretch2d; front: seglen).
- `product`: what Coach reports (scoring.reported, the per-view rule of scoring.measures, as
  the engine, the store and `coach analyze --frames` take it): the image-plane angle where the
  movement's plane faces the camera (the elbow from the front only with the upper arm out to
  the side), NaN ("not measured") elsewhere and where the joint is seen too faintly; the
  views of an exercise that counts in any view (elbow_flexion). Its figures are those of what
  ships.
- `lifted3d`: a learned 2-D -> 3-D lifter (the Modulated GCN, Human3.6M; benchmarks/lifting)
  on the image x, y only, the angle in its 3-D joints; NaN without its weights (fetched by
  benchmarks/lifting/fetch.py, never committed).
- `lifted_fused`: image x, y with the lifter's depth scaled to image units.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pose.landmarks import Landmark as L

MIN_VISIBILITY = 0.5
SIDES = ("left", "right")

# joint -> (proximal, joint, distal) landmark names, as scoring.kinematics' _FLEXION_JOINTS.
JOINTS = {
    "knee": ("hip", "knee", "ankle"),
    "hip": ("shoulder", "hip", "knee"),
    "elbow": ("shoulder", "elbow", "wrist"),
}


def landmark(side: str, part: str) -> int:
    return int(L[f"{side.upper()}_{part.upper()}"])


def joint_indices(joint: str, side: str) -> tuple[int, int, int]:
    a, b, c = JOINTS[joint]
    return landmark(side, a), landmark(side, b), landmark(side, c)


@dataclass(frozen=True)
class PoseTrack:
    """What the product knows per frame: image landmarks (T, 33, 4), the aspect, optional
    world landmarks (T, 33, 3), and per-frame view context from scoring.view (view name and
    sagittal stretch, as the engine's ViewDetector says at that frame)."""

    landmarks: np.ndarray
    aspect: float
    world: np.ndarray | None = None
    view: np.ndarray | None = None  # (T,) str: side, front, oblique, unknown
    stretch: np.ndarray | None = None  # (T,) >= 1
    # Frames of the same person and camera standing upright with straight legs (another
    # trial, or frames of this one that the benchmark then leaves out of its figures).
    calibration: PoseTrack | None = None

    def __len__(self) -> int:
        return len(self.landmarks)

    def frames(self, idx: np.ndarray) -> PoseTrack:
        """The track's frames `idx` (indices or a mask)."""

        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[idx]

        return PoseTrack(
            self.landmarks[idx], self.aspect, pick(self.world), pick(self.view), pick(self.stretch)
        )


def image_points(landmarks: np.ndarray, aspect: float) -> np.ndarray:
    """(T, 33, 4) normalised -> (T, 33, 3) in image heights (scoring.kinematics.to_points)."""
    pts = landmarks[..., :3].astype(np.float64, copy=True)
    pts[..., 0] *= aspect
    pts[..., 2] *= aspect
    return pts


def angle_between(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Degrees between (T, k) vectors; NaN for zero length."""
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(u * v, axis=-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def flexion_from_segments(proximal: np.ndarray, distal: np.ndarray) -> np.ndarray:
    """Flexion from the two segment vectors leaving the joint (joint->proximal end,
    joint->distal end): 180 minus the angle between them, 0 when straight."""
    return 180.0 - angle_between(proximal, distal)


def flexion(points: np.ndarray, joint: str, side: str) -> np.ndarray:
    """180 minus the angle at the joint from (T, 33, k) points."""
    a, b, c = joint_indices(joint, side)
    return flexion_from_segments(points[:, a] - points[:, b], points[:, c] - points[:, b])


def gate(track: PoseTrack, values: np.ndarray, joint: str, side: str) -> np.ndarray:
    """NaN where any of the joint's three landmarks is not seen (visibility < 0.5)."""
    vis = track.landmarks[:, list(joint_indices(joint, side)), 3]
    ok = np.all((vis >= MIN_VISIBILITY) & np.isfinite(vis), axis=1)
    return np.where(ok, values, np.nan)


def image2d(track: PoseTrack, joint: str, side: str) -> np.ndarray:
    pts = image_points(track.landmarks, track.aspect)[..., :2]
    return gate(track, flexion(pts, joint, side), joint, side)


def image3d(track: PoseTrack, joint: str, side: str) -> np.ndarray:
    pts = image_points(track.landmarks, track.aspect)
    return gate(track, flexion(pts, joint, side), joint, side)


def world3d(track: PoseTrack, joint: str, side: str) -> np.ndarray:
    """World landmarks where the frame has them, else image x, y, z (as the product does)."""
    pts = image_points(track.landmarks, track.aspect)
    if track.world is not None:
        ok = np.isfinite(track.world).all(axis=(1, 2))[:, None, None]
        pts = np.where(ok, track.world, pts)
    return gate(track, flexion(pts, joint, side), joint, side)


def stretch2d(track: PoseTrack, joint: str, side: str) -> np.ndarray:
    pts = image_points(track.landmarks, track.aspect)[..., :2]
    if track.stretch is not None:
        pts = pts * np.stack([track.stretch, np.ones(len(track))], axis=-1)[:, None, :]
    return gate(track, flexion(pts, joint, side), joint, side)


# Body landmarks (shoulders to feet) used to fit the image scale of the world landmarks.
_BODY = np.arange(11, 33)


def image_scale(track: PoseTrack) -> np.ndarray:
    """(T,) image heights per metre: the least-squares scale that maps the world landmarks' x, y
    (camera-aligned, metres) onto the image x, y (weak perspective), over the body's seen
    landmarks. NaN without world landmarks."""
    if track.world is None:
        return np.full(len(track), np.nan)
    img = image_points(track.landmarks, track.aspect)[:, _BODY, :2]
    wld = track.world[:, _BODY, :2].astype(np.float64)
    vis = track.landmarks[:, _BODY, 3] >= MIN_VISIBILITY
    w = vis.astype(np.float64)[..., None]
    n = np.maximum(w.sum(axis=1, keepdims=True), 1.0)
    img_c = img - (img * w).sum(axis=1, keepdims=True) / n
    wld_c = wld - (wld * w).sum(axis=1, keepdims=True) / n
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (img_c * wld_c * w).sum(axis=(1, 2)) / (wld_c * wld_c * w).sum(axis=(1, 2))
    return np.where(vis.sum(axis=1) >= 6, s, np.nan)


def depth_scaled(track: PoseTrack, joint: str, side: str) -> np.ndarray:
    """Image x, y (what the camera measures best) and the world landmarks' depth in image
    units (the world depth is steadier than the image z)."""
    if track.world is None:
        return image3d(track, joint, side)
    pts = image_points(track.landmarks, track.aspect)
    pts[..., 2] = track.world[..., 2] * image_scale(track)[:, None]
    return gate(track, flexion(pts, joint, side), joint, side)


def bone_length(world: np.ndarray, a: int, b: int) -> float:
    """The clip's median world length of one segment (metres): bones do not change length."""
    lengths = np.linalg.norm(world[:, a] - world[:, b], axis=-1)
    lengths = lengths[np.isfinite(lengths)]
    return float(np.median(lengths)) if len(lengths) else float("nan")


def _segment_3d(track: PoseTrack, pts: np.ndarray, length: np.ndarray, a: int, b: int):  # type: ignore[no-untyped-def]
    """Vector a -> b in image units, its depth the part of `length` (T,) that the image length
    lacks, with the sign of the world landmarks' depth; a segment as long in the image as its
    length (or longer) gets no depth."""
    assert track.world is not None
    d = pts[:, b, :2] - pts[:, a, :2]
    with np.errstate(invalid="ignore"):
        dz = np.sqrt(np.maximum(length**2 - np.sum(d * d, axis=-1), 0.0))
    sign = np.sign(track.world[:, b, 2] - track.world[:, a, 2])
    return np.concatenate([d, (sign * dz)[:, None]], axis=-1)


def _world_length(track: PoseTrack, scale: np.ndarray, a: int, b: int) -> np.ndarray:
    """The segment's length in image units: the clip's median world bone length (metres)
    times each frame's image scale."""
    assert track.world is not None
    return bone_length(track.world, a, b) * scale


# The share of frames in which a segment may look longer than its length: the longest it
# looks (this quantile, against the frame's scale) is taken as its length.
LENGTH_QUANTILE = 0.95


def _image_length(track: PoseTrack, scale: np.ndarray, a: int, b: int) -> np.ndarray:
    """The segment's length in image units as the longest the image shows it (a high quantile
    of its image length over the frame's scale): a limb looks longest when it lies across the
    camera's view, as a standing leg does from the front or the side."""
    pts = image_points(track.landmarks, track.aspect)[..., :2]
    seen = np.all(track.landmarks[:, [a, b], 3] >= MIN_VISIBILITY, axis=1)
    rel = np.linalg.norm(pts[:, b] - pts[:, a], axis=-1) / scale
    rel = rel[seen & np.isfinite(rel)]
    if len(rel) == 0:
        return np.full(len(track), np.nan)
    return float(np.quantile(rel, LENGTH_QUANTILE)) * scale


def _seglen(track: PoseTrack, joint: str, side: str, length_fn) -> np.ndarray:  # type: ignore[no-untyped-def]
    if track.world is None:
        return image2d(track, joint, side)
    a, b, c = joint_indices(joint, side)
    pts = image_points(track.landmarks, track.aspect)
    scale = image_scale(track)
    proximal = _segment_3d(track, pts, length_fn(track, scale, b, a), b, a)
    distal = _segment_3d(track, pts, length_fn(track, scale, b, c), b, c)
    return gate(track, flexion_from_segments(proximal, distal), joint, side)


def seglen(track: PoseTrack, joint: str, side: str) -> np.ndarray:
    """Segment lengths from the world landmarks' bones."""
    return _seglen(track, joint, side, _world_length)


def seglen_image(track: PoseTrack, joint: str, side: str) -> np.ndarray:
    """Segment lengths from the longest the image shows each segment."""
    return _seglen(track, joint, side, _image_length)


def bounded3d(track: PoseTrack, joint: str, side: str) -> np.ndarray:
    """`depth_scaled`, with each segment's depth capped at what its length allows
    (`seglen_image`'s bound): the world depth where it is plausible, never a straight limb
    seen full-length bent by depth alone."""
    if track.world is None:
        return image2d(track, joint, side)
    a, b, c = joint_indices(joint, side)
    pts = image_points(track.landmarks, track.aspect)
    scale = image_scale(track)
    segments = []
    for end in (a, c):
        d = pts[:, end, :2] - pts[:, b, :2]
        length = _image_length(track, scale, b, end)
        with np.errstate(invalid="ignore"):
            bound = np.sqrt(np.maximum(length**2 - np.sum(d * d, axis=-1), 0.0))
        dz = (track.world[:, end, 2] - track.world[:, b, 2]) * scale
        dz = np.clip(dz, -bound, bound)
        segments.append(np.concatenate([d, dz[:, None]], axis=-1))
    return gate(track, flexion_from_segments(*segments), joint, side)


_SHOULDERS = (int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER))
_HIPS = (int(L.LEFT_HIP), int(L.RIGHT_HIP))


def torso_length(track: PoseTrack) -> np.ndarray:
    """(T,) image length from mid-shoulders to mid-hips (image heights): a scale that follows
    the person nearer or farther and does not shrink as a limb turns (the trunk stays upright);
    NaN where a shoulder or hip is not seen."""
    pts = image_points(track.landmarks, track.aspect)[..., :2]
    mid = (pts[:, _SHOULDERS].mean(axis=1), pts[:, _HIPS].mean(axis=1))
    seen = np.all(track.landmarks[:, [*_SHOULDERS, *_HIPS], 3] >= MIN_VISIBILITY, axis=1)
    return np.where(seen, np.linalg.norm(mid[0] - mid[1], axis=-1), np.nan)


def calibrated_ratio(calibration: PoseTrack, a: int, b: int) -> float:
    """A segment's image length over the torso's, the median over the calibration frames
    (the segment lies in the image plane there: its image length is its length)."""
    pts = image_points(calibration.landmarks, calibration.aspect)[..., :2]
    seen = np.all(calibration.landmarks[:, [a, b], 3] >= MIN_VISIBILITY, axis=1)
    rel = np.linalg.norm(pts[:, b] - pts[:, a], axis=-1) / torso_length(calibration)
    rel = rel[seen & np.isfinite(rel)]
    return float(np.median(rel)) if len(rel) else float("nan")


def seglen_calib(track: PoseTrack, joint: str, side: str) -> np.ndarray:
    """Segment lengths calibrated on the track's standing frames (`calibration`), carried by
    the torso's image length; the sign of each segment's depth from the world landmarks."""
    if track.world is None or track.calibration is None:
        return np.full(len(track), np.nan)
    a, b, c = joint_indices(joint, side)
    pts = image_points(track.landmarks, track.aspect)
    torso = torso_length(track)
    proximal, distal = (
        _segment_3d(track, pts, calibrated_ratio(track.calibration, b, end) * torso, b, end)
        for end in (a, c)
    )
    return gate(track, flexion_from_segments(proximal, distal), joint, side)


def by_view(track: PoseTrack, joint: str, side: str) -> np.ndarray:
    """Per frame by the detected view: side image2d, oblique stretch2d, front seglen; NaN
    when the view is unknown."""
    if track.view is None:
        return np.full(len(track), np.nan)
    choices = {"side": image2d, "oblique": stretch2d, "front": seglen}
    out = np.full(len(track), np.nan)
    for view, fn in choices.items():
        mask = track.view == view
        if mask.any():
            out = np.where(mask, fn(track, joint, side), out)
    return out


# The product's reported values of a track, all joints and sides at once (one pass of the
# engine's per-frame path per track, not one per joint and side).
_PRODUCT: dict[int, tuple[PoseTrack, dict[str, np.ndarray]]] = {}


def product(track: PoseTrack, joint: str, side: str) -> np.ndarray:
    """The product's reported `{joint}_flexion_{side}` per frame (scoring.reported), from the
    filtered image and world landmarks as the engine gets them; NaN where not measured."""
    from scoring.reported import reported_track

    cached = _PRODUCT.get(id(track))
    if cached is None or cached[0] is not track:
        names = [f"{j}_flexion_{s}" for j in JOINTS for s in SIDES]
        values = reported_track(track.landmarks, track.aspect, names, world=track.world).values
        cached = _PRODUCT[id(track)] = (track, values)
    return cached[1][f"{joint}_flexion_{side}"]


# --- a learned 2-D -> 3-D lifter (benchmarks/lifting) -------------------------------------

# The lifter's input scale: the clip's leg length in the image (hip-knee-ankle, both sides'
# mean, this high quantile: the legs straight and across the view) spans Human3.6M's. Tried
# and worse: the torso's length (the cameras above the person foreshorten the legs against
# it, which the lifter reads as bent knees), the mean of torso and legs.
LEG_QUANTILE = 0.9
_LEGS = ((23, 25), (25, 27), (24, 26), (26, 28))
_LIFTED: dict[int, tuple[PoseTrack, np.ndarray]] = {}


def leg_length(track: PoseTrack) -> np.ndarray:
    """(T,) the mean of the two legs' image lengths, hip-knee plus knee-ankle (image
    heights); NaN where a hip, knee or ankle is not seen."""
    pts = image_points(track.landmarks, track.aspect)[..., :2]
    seg = [np.linalg.norm(pts[:, a] - pts[:, b], axis=-1) for a, b in _LEGS]
    seen = np.all(track.landmarks[:, 23:29, 3] >= MIN_VISIBILITY, axis=1)
    return np.where(seen, sum(seg) / 2, np.nan)


def lifted_joints(track: PoseTrack) -> np.ndarray | None:
    """(T, 16, 3) the Modulated GCN's lifted joints for the track's image landmarks (x, y
    only), or None without the weights (benchmarks/lifting/fetch.py)."""
    from benchmarks.lifting import fetch, mgcn

    path = fetch.weights_path()
    if not path.exists():
        return None
    cached = _LIFTED.get(id(track))
    if cached is None or cached[0] is not track:
        legs = leg_length(track)
        leg = float(np.nanquantile(legs, LEG_QUANTILE)) if np.isfinite(legs).any() else 1.0
        pts = image_points(track.landmarks, track.aspect)[..., :2]
        cached = _LIFTED[id(track)] = (track, mgcn.lift(pts, leg, path))
    return cached[1]


def _lifted_indices(joint: str, side: str) -> tuple[int, int, int]:
    from benchmarks.lifting.mgcn import INDEX

    s = side[0]
    names = {
        "knee": (f"{s}_hip", f"{s}_knee", f"{s}_ankle"),
        "hip": (f"{s}_shoulder", f"{s}_hip", f"{s}_knee"),
        "elbow": (f"{s}_shoulder", f"{s}_elbow", f"{s}_wrist"),
    }[joint]
    a, b, c = (INDEX[n] for n in names)
    return a, b, c


def lifted3d(track: PoseTrack, joint: str, side: str) -> np.ndarray:
    """The angle in the lifter's 3-D joints; NaN without the weights."""
    joints = lifted_joints(track)
    if joints is None:
        return np.full(len(track), np.nan)
    a, b, c = _lifted_indices(joint, side)
    values = flexion_from_segments(joints[:, a] - joints[:, b], joints[:, c] - joints[:, b])
    return gate(track, values, joint, side)


def lifted_fused(track: PoseTrack, joint: str, side: str) -> np.ndarray:
    """Image x, y of the joint's three landmarks with the lifter's depth, brought to image
    units by the per-frame least-squares scale of the lifted x, y onto the image's."""
    joints = lifted_joints(track)
    if joints is None:
        return np.full(len(track), np.nan)
    from benchmarks.lifting import mgcn

    img = mgcn.h36m_from_mediapipe(image_points(track.landmarks, track.aspect)[..., :2])
    img = img - img[:, :1]
    lx = joints[..., :2]
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.sum(img * lx, axis=(1, 2)) / np.sum(lx * lx, axis=(1, 2))
    pts = np.concatenate([img, joints[..., 2:] * s[:, None, None]], axis=-1)
    a, b, c = _lifted_indices(joint, side)
    values = flexion_from_segments(pts[:, a] - pts[:, b], pts[:, c] - pts[:, b])
    return gate(track, values, joint, side)


Candidate = Callable[[PoseTrack, str, str], np.ndarray]

CANDIDATES: dict[str, Candidate] = {
    "image2d": image2d,
    "image3d": image3d,
    "world3d": world3d,
    "stretch2d": stretch2d,
    "depth_scaled": depth_scaled,
    "seglen": seglen,
    "seglen_image": seglen_image,
    "bounded3d": bounded3d,
    "seglen_calib": seglen_calib,
    "by_view": by_view,
    "product": product,
    "lifted3d": lifted3d,
    "lifted_fused": lifted_fused,
}

# Candidates that need weights fetched at benchmark time (benchmarks/lifting/fetch.py); all
# NaN without them.
LIFTED = frozenset({"lifted3d", "lifted_fused"})

# Candidates that read the track's `calibration` frames: the benchmark gives them frames it
# leaves out of their figures (held out).
CALIBRATED = frozenset({"seglen_calib"})
