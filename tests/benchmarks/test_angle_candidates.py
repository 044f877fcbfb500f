"""The angle benchmark's candidate formulas and its triangulation, on constructed poses.

A body is drawn in metres in a camera-aligned frame (x right, y down, z away from the camera,
as MediaPipe's world landmarks), projected orthographically into a portrait image, and given to
the candidates as a track: the true flexion is known by construction, so each formula's
behaviour (and the failure it is meant to fix) can be checked without the model.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from benchmarks import angle_candidates as cand
from benchmarks import angle_reference as ref
from benchmarks.angles import agreement, standing_figures
from pose.landmarks import Landmark as L

ASPECT = 0.75  # width / height
SCALE = 0.45  # image heights per metre
THIGH = SHANK = 0.45
UPPER_ARM = FOREARM = 0.3


def _rot(v: np.ndarray, forward: np.ndarray, angle_deg: float) -> np.ndarray:
    """`v` (pointing down) swung by `angle_deg` towards `forward`."""
    a = math.radians(angle_deg)
    return math.cos(a) * v + math.sin(a) * forward


def body(knee_deg: float, forward: tuple[float, float, float]) -> np.ndarray:
    """(33, 3) metres: standing, the left and right knees flexed by `knee_deg` in the plane of
    `forward` (the thigh swung forward by the whole angle, the shank hanging straight down), the
    elbows flexed 90 degrees in the same plane."""
    f = np.asarray(forward, float)
    down = np.array([0.0, 1.0, 0.0])
    lateral = np.cross(down, f)  # the body's left, for a body facing `forward`
    if np.linalg.norm(lateral) < 1e-9:
        lateral = np.array([1.0, 0.0, 0.0])
    lateral = lateral / np.linalg.norm(lateral)
    pts = np.zeros((33, 3))
    for side, sign in (("LEFT", 1.0), ("RIGHT", -1.0)):
        hip = sign * 0.1 * lateral
        shoulder = hip - 0.5 * down + sign * 0.08 * lateral
        knee = hip + THIGH * _rot(down, f, knee_deg)
        ankle = knee + SHANK * down
        elbow = shoulder + UPPER_ARM * down
        wrist = elbow + FOREARM * f
        for name, p in (
            ("HIP", hip),
            ("SHOULDER", shoulder),
            ("KNEE", knee),
            ("ANKLE", ankle),
            ("ELBOW", elbow),
            ("WRIST", wrist),
        ):
            pts[L[f"{side}_{name}"]] = p
        pts[L[f"{side}_HEEL"]] = ankle + 0.05 * down - 0.05 * f
        pts[L[f"{side}_FOOT_INDEX"]] = ankle + 0.05 * down + 0.15 * f
        for part in ("PINKY", "INDEX", "THUMB"):
            pts[L[f"{side}_{part}"]] = wrist + 0.05 * f
    head = (pts[L.LEFT_SHOULDER] + pts[L.RIGHT_SHOULDER]) / 2 - 0.25 * down
    pts[:11] = head
    return pts


def image(world: np.ndarray) -> np.ndarray:
    """(T, 33, 3) metres -> (T, 33, 4) MediaPipe-style image landmarks (orthographic)."""
    lm = np.ones(world.shape[:-1] + (4,))
    lm[..., 0] = 0.5 + world[..., 0] * SCALE / ASPECT
    lm[..., 1] = 0.4 + world[..., 1] * SCALE
    lm[..., 2] = world[..., 2] * SCALE / ASPECT
    return lm


SIDE = (1.0, 0.0, 0.0)  # facing right, across the image: a side view
FRONT = (0.0, 0.0, -1.0)  # facing the camera


def track(angles: list[float], forward, world_noise=None) -> cand.PoseTrack:  # type: ignore[no-untyped-def]
    world = np.stack([body(a, forward) for a in angles])
    lm = image(world)
    if world_noise is not None:
        world = world_noise(world)
    return cand.PoseTrack(lm, ASPECT, world)


ANGLES = [0.0, 0.0, 0.0, 30.0, 60.0, 90.0]


@pytest.mark.parametrize(
    "name",
    [
        "image2d",
        "image3d",
        "world3d",
        "depth_scaled",
        "seglen",
        "seglen_image",
        "bounded3d",
        "stretch2d",
    ],
)
def test_every_candidate_reads_a_side_view_squat_true(name: str) -> None:
    values = cand.CANDIDATES[name](track(ANGLES, SIDE), "knee", "left")
    assert values == pytest.approx(ANGLES, abs=0.5)


def test_the_image_plane_angle_misses_a_knee_bent_towards_the_camera() -> None:
    angles = ANGLES[:-1]  # at 90 degrees the thigh points at the camera: no image angle at all
    t = track(angles, FRONT)
    assert cand.image2d(t, "knee", "left")[-1] < 1  # the thigh is foreshortened, not bent
    assert cand.world3d(t, "knee", "left") == pytest.approx(angles, abs=0.5)
    assert cand.seglen(t, "knee", "left") == pytest.approx(angles, abs=0.5)
    assert cand.seglen_image(t, "knee", "left") == pytest.approx(angles, abs=0.5)


def test_calibrated_segment_lengths_read_a_knee_bent_towards_the_camera() -> None:
    """Lengths measured standing straight (facing the camera) are carried by the torso's
    image length to frames where the person stands farther away: a knee bent towards the
    camera reads its true angle; without calibration frames it is not measured."""
    angles = [0.0, 30.0, 60.0, 80.0]
    farther = track(angles, FRONT)  # drawn at 0.8 of the scale: farther from the camera
    lm = farther.landmarks.copy()
    lm[..., :3] = image(np.stack([body(a, FRONT) for a in angles]) * 0.8)[..., :3]
    t = replace(cand.PoseTrack(lm, ASPECT, farther.world), calibration=track([0.0] * 3, FRONT))
    assert cand.seglen_calib(t, "knee", "left") == pytest.approx(angles, abs=0.5)
    assert cand.image2d(t, "knee", "left")[-1] < 1  # the thigh foreshortened, not bent
    assert np.isnan(cand.seglen_calib(farther, "knee", "left")).all()


def test_calibrated_lengths_keep_a_straight_leg_straight_despite_the_models_depth() -> None:
    t = replace(
        track([0.0] * 4, FRONT, world_noise=_knees_forward), calibration=track([0.0], FRONT)
    )
    assert cand.seglen_calib(t, "knee", "left") == pytest.approx(0.0, abs=0.5)


def _knees_forward(world: np.ndarray) -> np.ndarray:
    """The model's depth error seen on the issue's front-view standing pauses: both knees put
    0.1 m towards the camera although the legs are straight."""
    out = world.copy()
    out[:, [L.LEFT_KNEE, L.RIGHT_KNEE], 2] -= 0.1
    return out


def test_a_straight_leg_seen_full_length_is_not_bent_by_the_models_depth() -> None:
    t = track([0.0] * 5, FRONT, world_noise=_knees_forward)
    assert cand.world3d(t, "knee", "left")[0] > 20  # the failure the issue reports
    assert cand.image2d(t, "knee", "left") == pytest.approx(0.0, abs=0.5)
    # The leg's image length is its full length: no room for depth, however wrong the model.
    assert cand.seglen_image(t, "knee", "left") == pytest.approx(0.0, abs=0.5)
    assert cand.bounded3d(t, "knee", "left") == pytest.approx(0.0, abs=0.5)


def test_hidden_joints_are_missing_not_zero() -> None:
    t = replace(track([30.0, 30.0], SIDE), calibration=track([0.0], FRONT))
    t.landmarks[1, L.LEFT_ANKLE, 3] = 0.2
    for name, fn in cand.CANDIDATES.items():
        if fn in (cand.by_view, cand.product):  # per-view choices, tested below
            continue
        if name in cand.LIFTED and cand.lifted_joints(t) is None:  # no weights here
            continue
        values = fn(t, "knee", "left")
        assert np.isfinite(values[0]) and np.isnan(values[1])


def test_by_view_picks_the_formula_of_each_frames_view() -> None:
    t = track([60.0, 60.0, 60.0], FRONT)
    t = cand.PoseTrack(t.landmarks, t.aspect, t.world, np.array(["side", "front", "unknown"]))
    values = cand.by_view(t, "knee", "left")
    assert values[0] == pytest.approx(cand.image2d(t, "knee", "left")[0])
    assert values[1] == pytest.approx(60.0, abs=0.5)  # seglen from the front
    assert np.isnan(values[2])


def test_the_product_reports_the_image_plane_angle_from_the_side_only() -> None:
    """What ships (scoring.reported): the image-plane angle from the side, and nothing from
    the front, however bent the knee."""
    side = cand.product(track([45.0] * 12, SIDE), "knee", "left")
    assert side == pytest.approx([45.0] * 12, abs=0.5)
    assert np.isnan(cand.product(track([45.0] * 12, FRONT), "knee", "left")).all()
    hidden = track([30.0] * 12, SIDE)
    hidden.landmarks[:, L.LEFT_ANKLE, 3] = 0.55  # seen, but too faintly to report
    assert np.isnan(cand.product(hidden, "knee", "left")).all()
    assert np.isfinite(cand.image2d(hidden, "knee", "left")).all()


def test_elbow_and_hip_use_the_products_landmarks() -> None:
    t = track([45.0], SIDE)
    assert cand.image2d(t, "elbow", "right")[0] == pytest.approx(90.0, abs=0.5)
    # hip flexion: the shoulder sits 0.08 m out from the hip; the thigh swings 45 degrees
    assert cand.world3d(t, "hip", "left")[0] == pytest.approx(
        180
        - np.degrees(
            np.arccos(
                np.dot(
                    [0.0, -0.5, -0.08] / np.linalg.norm([0.0, -0.5, -0.08]),
                    [math.sin(math.radians(45)), math.cos(math.radians(45)), 0.0],
                )
            )
        ),
        abs=0.5,
    )


# --- figures ---------------------------------------------------------------------------------


def test_agreement_is_mae_bias_and_bland_altman_limits() -> None:
    a = agreement([1.0, -1.0, 3.0, float("nan")])
    assert a["n"] == 3
    assert a["mae"] == pytest.approx(5 / 3)
    assert a["bias"] == pytest.approx(1.0)
    sd = np.std([1.0, -1.0, 3.0], ddof=1)
    assert a["loa_low"] == pytest.approx(1.0 - 1.96 * sd)
    assert a["loa_high"] == pytest.approx(1.0 + 1.96 * sd)


def test_standing_figures_count_what_lies_outside_0_to_10_degrees() -> None:
    s = standing_figures([2.0, 4.0, 14.0, -1.0])
    assert s["median"] == pytest.approx(3.0)
    assert s["in_band"] == pytest.approx(0.5)
    assert s["excess_mae"] == pytest.approx((4.0 + 1.0) / 4)


# --- triangulation ---------------------------------------------------------------------------


def _camera(name: str, centre, look_at) -> ref.Camera:  # type: ignore[no-untyped-def]
    z = np.asarray(look_at, float) - np.asarray(centre, float)
    z /= np.linalg.norm(z)
    x = np.cross(z, [0.0, 0.0, 1.0])  # world z up
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    R = np.stack([x, y, z])
    K = np.array([[1600.0, 0, 540], [0, 1600.0, 960], [0, 0, 1]])
    return ref.Camera(name, K, np.zeros(4), R, -R @ np.asarray(centre, float), (1080, 1920))


CAMS = [
    _camera("a", (3.0, 0.5, 1.8), (0, 0, 1)),
    _camera("b", (-0.5, 3.0, 1.9), (0, 0, 1)),
    _camera("c", (-3.0, -0.5, 1.7), (0, 0, 1)),
    _camera("d", (0.5, -3.0, 2.0), (0, 0, 1)),
]


def _observe(points: np.ndarray) -> list[np.ndarray]:
    """Each camera's (T, 33, 4) landmarks of (T, 33, 3) world points (all visible)."""
    out = []
    for cam in CAMS:
        px = cam.project(points.reshape(-1, 3)).reshape(points.shape[:-1] + (2,))
        lm = np.ones(points.shape[:-1] + (4,))
        lm[..., :2] = px / np.array(cam.size)
        out.append(lm)
    return out


def _people(n: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    base = body(40.0, SIDE)[:, [0, 2, 1]] * np.array([1, 1, -1]) + np.array([0, 0, 1.0])
    return np.stack([base + rng.normal(0, 0.01, base.shape) for _ in range(n)])


def test_triangulation_recovers_the_points_and_their_angles() -> None:
    points = _people(3)
    tri = ref.triangulate_track(CAMS, _observe(points), [c.size for c in CAMS])
    body_idx = ref.BODY
    assert tri.points[:, body_idx] == pytest.approx(points[:, body_idx], abs=1e-6)
    assert np.nanmax(tri.reprojection_px[:, body_idx]) < 1e-3
    assert cand.flexion(tri.points, "knee", "left") == pytest.approx(
        cand.flexion(points, "knee", "left"), abs=1e-4
    )


def test_a_camera_that_swapped_left_and_right_is_undone() -> None:
    points = _people(2)
    seen = _observe(points)
    seen[1] = seen[1][:, ref.MIRROR]  # camera b mixes up the legs in both frames
    tri = ref.triangulate_track(CAMS, seen, [c.size for c in CAMS])
    assert tri.mirrored[:, 1].all() and not tri.mirrored[:, [0, 2, 3]].any()
    assert tri.points[:, ref.BODY] == pytest.approx(points[:, ref.BODY], abs=1e-6)


def test_a_constant_pixel_shift_of_one_camera_is_taken_out() -> None:
    points = _people(4)
    seen = _observe(points)
    seen[2][..., :2] -= np.array([12.0, -7.0]) / np.array(CAMS[2].size)
    sizes = [c.size for c in CAMS]
    before = ref.triangulate_track(CAMS, seen, sizes)
    offsets = ref.pixel_offsets(CAMS, seen, sizes)
    after = ref.triangulate_track(CAMS, seen, sizes, offsets)
    assert np.nanmedian(before.reprojection_px[:, ref.BODY]) > 3
    assert np.nanmedian(after.reprojection_px[:, ref.BODY]) < 0.5
    assert cand.flexion(after.points, "knee", "right") == pytest.approx(
        cand.flexion(points, "knee", "right"), abs=0.2
    )
