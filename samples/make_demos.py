"""Regenerate exercises/demos/*.json: one short stick-figure demonstration per exercise.

    python samples/extract_tracks.py --out /tmp/tracks --clip medflex/squat ...   # see RECORDED
    python samples/make_demos.py --tracks /tmp/tracks          # then the demos themselves
    python samples/make_demos.py --only squat --tracks /tmp/tracks

A demonstration is one correct rep as 2-D landmarks (17 joints, a few dozen frames, rounded to
3 decimals, in a unit square: 0..1 across and down, the figure standing on `ground`):

- recorded: for the exercises in RECORDED, from a landmark track our own pipeline extracted
  from a shared clip (samples/extract_tracks.py: Coach's VideoFileSource + MediaPipe). The
  exercise engine scores the track and the best-scoring rep is kept (a hold: a window of it).
  Only these derived numbers are stored, never the video.
- synthesized: every other exercise, from its definition: the joint it measures moves from a
  rest position to its target (past the definition's `target`, so the rep would count) on a
  neutral figure, by forward kinematics of a 17-joint body with average proportions.

Each file's `provenance` says which of the two it is, the clip, rep and tools, and this script.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's code, not another installed copy

from coach.offline.analysis import score_track  # noqa: E402
from exercises import Exercise, list_exercises  # noqa: E402
from pose.landmarks import Landmark as L  # noqa: E402
from pose.types import Pose  # noqa: E402

OUT_DIR = REPO / "exercises" / "demos"
TRACKS_DIR = Path(__file__).resolve().parent / "tracks"
SCRIPT = "samples/make_demos.py"
FPS = 15.0
MAX_FRAMES = 60
MARGIN = 0.08  # of the square, around the figure
HOLD_WINDOW_S = 3.0
REST_S = 0.5  # of rest kept before and after a recorded rep

JOINTS: list[tuple[str, int]] = [
    (name.lower(), int(L[name]))
    for name in [
        "NOSE",
        "LEFT_SHOULDER",
        "RIGHT_SHOULDER",
        "LEFT_ELBOW",
        "RIGHT_ELBOW",
        "LEFT_WRIST",
        "RIGHT_WRIST",
        "LEFT_HIP",
        "RIGHT_HIP",
        "LEFT_KNEE",
        "RIGHT_KNEE",
        "LEFT_ANKLE",
        "RIGHT_ANKLE",
        "LEFT_HEEL",
        "RIGHT_HEEL",
        "LEFT_FOOT_INDEX",
        "RIGHT_FOOT_INDEX",
    ]
]
NAMES = [n for n, _ in JOINTS]
EDGES = [
    (a, b)
    for a, b in [
        ("left_shoulder", "right_shoulder"),
        ("left_shoulder", "left_elbow"),
        ("left_elbow", "left_wrist"),
        ("right_shoulder", "right_elbow"),
        ("right_elbow", "right_wrist"),
        ("left_shoulder", "left_hip"),
        ("right_shoulder", "right_hip"),
        ("left_hip", "right_hip"),
        ("left_hip", "left_knee"),
        ("left_knee", "left_ankle"),
        ("right_hip", "right_knee"),
        ("right_knee", "right_ankle"),
        ("left_ankle", "left_heel"),
        ("left_heel", "left_foot_index"),
        ("left_ankle", "left_foot_index"),
        ("right_ankle", "right_heel"),
        ("right_heel", "right_foot_index"),
        ("right_ankle", "right_foot_index"),
    ]
]

# Exercise id -> (clip id in the shared MANIFEST.json, track file made by extract_tracks.py).
RECORDED: dict[str, tuple[str, str]] = {
    "squat": ("medflex/squat", "medflex_squat.npz"),
    "bicep_curl": ("medflex/bicep_curl", "medflex_bicep_curl.npz"),
    "shoulder_abduction": (
        "rehab_bme410/shoulder_abduction",
        "rehab_bme410_shoulder_abduction.npz",
    ),
    "lunge": ("aitrainer_vengaza/lunges", "aitrainer_vengaza_lunges.npz"),
    "single_leg_stance": ("medflex/sls", "medflex_single_leg_stance.npz"),
}


# ---- placing a figure in the unit square -----------------------------------------------------
def fit(points: np.ndarray, standing: bool = True) -> tuple[np.ndarray, float | None]:
    """(frames, joints, 2) image points (y down, any unit with equal x and y scale) -> the same
    scaled into the unit square with a margin, centred across; a standing figure with its feet
    on the bottom margin and the ground line's y, any other centred (and no ground)."""
    lo = np.nanmin(points.reshape(-1, 2), axis=0)
    hi = np.nanmax(points.reshape(-1, 2), axis=0)
    span = float(max(hi - lo))
    scale = (1 - 2 * MARGIN) / span
    out = np.empty_like(points)
    out[..., 0] = 0.5 + (points[..., 0] - (lo[0] + hi[0]) / 2) * scale
    if standing:
        out[..., 1] = 1 - MARGIN - (hi[1] - points[..., 1]) * scale
    else:
        out[..., 1] = 0.5 + (points[..., 1] - (lo[1] + hi[1]) / 2) * scale
    ground = min(1.0, 1 - MARGIN + 0.01) if standing else None
    return np.clip(out, 0.0, 1.0), ground


def _resample(t: np.ndarray, values: np.ndarray, start: float, end: float) -> np.ndarray:
    n = int(min(MAX_FRAMES, max(20, round((end - start) * FPS))))
    grid = np.linspace(start, end, n)
    flat = values.reshape(len(t), -1)
    out = np.stack([np.interp(grid, t, flat[:, k]) for k in range(flat.shape[1])], axis=1)
    return out.reshape(n, *values.shape[1:])


def _smooth(values: np.ndarray, k: int = 5) -> np.ndarray:
    """A centred moving average over `k` frames (the tracks are stored unfiltered)."""
    pad = k // 2
    padded = np.concatenate([values[:1].repeat(pad, 0), values, values[-1:].repeat(pad, 0)])
    kernel = np.ones(k) / k
    flat = padded.reshape(len(padded), -1)
    sm = np.stack([np.convolve(flat[:, i], kernel, mode="valid") for i in range(flat.shape[1])], 1)
    return sm.reshape(values.shape)


# ---- recorded demonstrations ------------------------------------------------------------------
def recorded(ex: Exercise, clip_id: str, track: Path) -> dict[str, Any]:
    with np.load(track, allow_pickle=False) as data:
        lm, t = data["lm"].astype(np.float64), data["t"].astype(np.float64)
        w, h = (int(v) for v in data["image_size"])
        meta = json.loads(str(data["meta"]))
    if meta["clip_id"] != clip_id:
        raise SystemExit(f"{track} is clip {meta['clip_id']}, not {clip_id}")
    ok = np.isfinite(lm[:, :, :2]).all(axis=(1, 2))
    poses = [
        (float(ts), Pose(row.astype(np.float32), float(ts), (w, h)) if good else None)
        for row, ts, good in zip(lm, t, ok, strict=True)
    ]
    engine = score_track(ex, poses, (w, h))
    if engine.reps:
        # The best score; among equals a rep not cut by the clip's ends, then the fullest.
        last = len(engine.reps)
        best = max(engine.reps, key=lambda r: (r.score, 1 < r.index < last, r.rom_deg))
        # The engine's rep starts once the movement is under way: widen it to the rest before
        # and after (up to the neighbouring reps), so the figure starts and ends at rest.
        before = [r.end_s for r in engine.reps if r.end_s <= best.start_s]
        after = [r.start_s for r in engine.reps if r.start_s >= best.end_s]
        start = max(best.start_s - REST_S, max(before, default=-math.inf), float(t[0]))
        end = min(best.end_s + REST_S, min(after, default=math.inf), float(t[-1]))
        which: dict[str, Any] = {
            "rep": best.index,
            "rep_score": round(float(best.score), 1),
            "reps_in_clip": len(engine.reps),
        }
    elif engine.holds:
        hold = max(engine.holds, key=lambda hd: hd.duration_s)
        mid = (hold.start_s + hold.end_s) / 2
        start, end = mid - HOLD_WINDOW_S / 2, mid + HOLD_WINDOW_S / 2
        which = {"hold_s": round(float(hold.duration_s), 2), "window": "the hold's middle"}
    else:
        raise SystemExit(f"{clip_id}: the engine found no rep or hold of {ex.id}")
    keep = ok & (t >= start - 0.5) & (t <= end + 0.5)
    idx = [i for _, i in JOINTS]
    pts = lm[keep][:, idx, :2] * np.array([w, h])  # pixels: true proportions
    pts = _smooth(pts)
    frames = _resample(t[keep], pts, start, end)
    vis = lm[keep][:, idx, 3].mean(axis=0)
    shown = [k for k, v in enumerate(vis) if v >= 0.5]  # joints out of the picture are left out
    feet = any(NAMES[k].endswith(("heel", "foot_index")) for k in shown)
    squared, ground = fit(frames[:, shown], standing=feet)
    view = meta.get("view", ex.view)
    return _demo(
        ex,
        squared,
        [NAMES[k] for k in shown],
        ground,
        len(frames) / max(end - start, 1e-3),
        view,
        f"A stick figure replays one good {ex.name.lower()} from a real recording, "
        f"seen from the {_view_words(view)}.",
        {
            "kind": "recorded",
            "clip": clip_id,
            "source": meta.get("source"),
            "license": meta.get("license"),
            "video_sha256": meta.get("video_sha256"),
            "clip_s": [round(start, 2), round(end, 2)],
            **which,
            "track_made_by": meta.get("extractor", {}),
            "made_by": SCRIPT,
            "note": "2-D landmarks of our own pipeline's track of the clip, smoothed over 5 "
            "frames, resampled and rounded; the video itself is not stored.",
        },
    )


def _view_words(view: str) -> str:
    return "side" if "side" in view else "front"


# ---- synthesized demonstrations: a simple 3-D body, posed by angles -------------------------
SHANK, THIGH, TRUNK, NECK = 0.246, 0.245, 0.29, 0.11
UPPER_ARM, FOREARM = 0.186, 0.146
HIP_HALF, SHOULDER_HALF, ANKLE_H = 0.05, 0.1, 0.039


def _dir(elevation: float, plane: float, side: float) -> np.ndarray:
    """A limb hanging down, raised by `elevation` degrees in a plane `plane` degrees from the
    side (0: out to the side, 90: forward, -90: backward). x: the figure's left, y up, z forward."""
    e, p = math.radians(elevation), math.radians(plane)
    return np.array([side * math.sin(e) * math.cos(p), -math.cos(e), math.sin(e) * math.sin(p)])


def _bend(u: np.ndarray, toward: np.ndarray, degrees: float) -> np.ndarray:
    """`u` turned by `degrees` toward `toward` (in their common plane)."""
    perp = toward - np.dot(toward, u) * u
    if np.linalg.norm(perp) < 1e-6:
        perp = np.array([0.0, -1.0, 0.0]) - np.dot([0.0, -1.0, 0.0], u) * u
    perp /= np.linalg.norm(perp)
    a = math.radians(degrees)
    return u * math.cos(a) + perp * math.sin(a)


UP, FORWARD, BACK = np.array([0.0, 1, 0]), np.array([0.0, 0, 1]), np.array([0.0, 0, -1])


def body(p: dict[str, float]) -> dict[str, np.ndarray]:
    """Joint positions for pose parameters `p` (degrees; missing ones are 0), pelvis at 0."""
    g = p.get
    lean, side_lean = math.radians(g("lean", 0)), math.radians(g("side_lean", 0))
    trunk = np.array([math.sin(side_lean), math.cos(lean), math.sin(lean)])
    trunk /= np.linalg.norm(trunk)
    j: dict[str, np.ndarray] = {}
    neck = trunk * TRUNK
    j["nose"] = neck + trunk * NECK + FORWARD * (0.035 + g("head_forward", 0))
    for name, s in (("left", 1.0), ("right", -1.0)):
        sh = neck + np.array([s * SHOULDER_HALF, 0, 0])
        arm = _dir(g(f"{name}_arm", 0), g(f"{name}_arm_plane", 90), s)
        elbow = sh + arm * UPPER_ARM
        fore = _bend(arm, FORWARD if abs(arm[2]) < 0.95 else UP, g(f"{name}_elbow", 0))
        hip = np.array([s * HIP_HALF, 0, g(f"{name}_hip_fwd", 0)])
        thigh = _dir(g(f"{name}_leg", 0), g(f"{name}_leg_plane", 90), s)
        knee = hip + thigh * THIGH
        shank = _bend(thigh, BACK if abs(thigh[2]) < 0.95 else -UP, g(f"{name}_knee", 0))
        ankle = knee + shank * SHANK
        lift = g(f"{name}_heel", 0)
        j[f"{name}_shoulder"], j[f"{name}_elbow"] = sh, elbow
        j[f"{name}_wrist"] = elbow + fore * FOREARM
        j[f"{name}_hip"], j[f"{name}_knee"], j[f"{name}_ankle"] = hip, knee, ankle
        j[f"{name}_heel"] = ankle + np.array([0, -ANKLE_H + lift * 0.3, -0.045])
        j[f"{name}_foot_index"] = ankle + np.array([0, -ANKLE_H - lift * 0.7, 0.11])
    return j


def _ground(frames: list[dict[str, np.ndarray]], anchor: str) -> None:
    """Stand each frame on the floor: its lowest foot point at y = 0, its support foot (or the
    pelvis, for seated work) where it was in the first frame."""
    first = frames[0]
    seat = np.array([0.0, -_lowest(first), 0.0])
    for j in frames:
        low = _lowest(j)
        if anchor == "pelvis":
            shift = seat
        else:
            support = min(("left", "right"), key=lambda s: j[f"{s}_heel"][1])
            a, a0 = j[f"{support}_ankle"], first[f"{support}_ankle"]
            shift = np.array([a0[0] - a[0], -low, a0[2] - a[2]])
        for k in j:
            j[k] = j[k] + shift


def _lowest(j: dict[str, np.ndarray]) -> float:
    return min(v[1] for k, v in j.items() if k.endswith(("heel", "foot_index")))


def project(frames: list[dict[str, np.ndarray]], view: str) -> np.ndarray:
    """(frames, joints, 2) image points, y down: the front seen by a camera facing the
    figure, or its right side (facing right)."""
    out = np.empty((len(frames), len(NAMES), 2))
    for f, j in enumerate(frames):
        for k, name in enumerate(NAMES):
            x, y, z = j[name]
            out[f, k] = (-x if view == "front" else z, -y)
    return out


def _rep_curve(n: int) -> np.ndarray:
    """0 -> 1 -> 0, smoothly: one repetition."""
    u = np.linspace(0, 1, n)
    return (1 - np.cos(2 * np.pi * u)) / 2


def _hold_curve(n: int) -> np.ndarray:
    """0 -> 1, held, -> 0: into the position, a pause, and out."""
    u = np.linspace(0, 1, n)
    ramp = np.clip(np.minimum(u, 1 - u) / 0.25, 0, 1)
    return (1 - np.cos(np.pi * ramp)) / 2


Pose3 = Callable[[float], dict[str, float]]


def _mix(a: dict[str, float], b: dict[str, float], e: float) -> dict[str, float]:
    keys = set(a) | set(b)
    return {k: a.get(k, 0.0) + (b.get(k, 0.0) - a.get(k, 0.0)) * e for k in keys}


def _between(a: dict[str, float], b: dict[str, float]) -> Pose3:
    return lambda e: _mix(a, b, e)


SEATED = {"left_leg": 90, "right_leg": 90, "left_knee": 90, "right_knee": 90,
          "left_arm": 25, "right_arm": 25, "left_elbow": 50, "right_elbow": 50}  # fmt: skip


def _marching(e: float, swing: bool) -> dict[str, float]:
    """Left knee up and down, then the right (one rep of each side); arms swing if asked."""
    side, other = ("left", "right") if e < 0.5 else ("right", "left")
    lift = (1 - math.cos(4 * math.pi * e)) / 2
    p = {f"{side}_leg": 75 * lift, f"{side}_knee": 85 * lift}
    if swing:
        p |= {f"{other}_arm": 45 * lift, f"{side}_arm": 25 * lift, f"{side}_arm_plane": -90}
        p |= {f"{other}_elbow": 30 * lift}
    return p


def _sit_to_stand(e: float) -> dict[str, float]:
    lean = 10 * e + 30 * math.sin(math.pi * e)
    return _mix({"left_arm": 30, "right_arm": 30}, SEATED, e) | {"lean": lean}


def _squat_like(depth_deg: float) -> Pose3:
    """Knees forward by `depth_deg`, shanks back: the hips drop and go back a little."""

    def pose(e: float) -> dict[str, float]:
        a = depth_deg * e
        p = {"lean": 0.9 * a, "left_arm": 25 * e, "right_arm": 25 * e}
        for s in ("left", "right"):
            p |= {f"{s}_leg": a, f"{s}_knee": 2 * a}
        return p

    return pose


def _jump(dip_deg: float, hold: bool = False, box: float = 0.0) -> Pose3:
    """A jump in time 0 to 1: a dip (held still first, for a squat jump), the push-off, a
    flight `lift` metres up (the figure is raised after it is stood on the floor), a landing
    that bends the knees, standing up. From a `box` (metres): standing on it, then a step off
    into the landing, and the jump is its rebound."""
    squat = _squat_like(1.0)

    def bent(a: float) -> dict[str, float]:
        return squat(a)

    def pose(u: float) -> dict[str, float]:
        if box:
            if u < 0.2:
                return {"lift": box}
            if u < 0.32:
                f = (u - 0.2) / 0.12
                return bent(dip_deg * 0.3 * f) | {"lift": box * (1 - f * f)}
            u = 0.2 + (u - 0.32) * 0.8 / 0.68  # the rest as a jump from its dip
        start = 0.3 if hold else 0.2
        if u < start:  # down into the dip (and held)
            return bent(dip_deg * min(1.0, u / 0.15))
        if u < start + 0.1:  # push off: the knees straighten, onto the toes
            f = (u - start) / 0.1
            return bent(dip_deg * (1 - f)) | {"left_heel": 0.07 * f, "right_heel": 0.07 * f}
        fly = start + 0.1
        if u < fly + 0.25:  # the flight: up and down in a parabola
            f = (u - fly) / 0.25
            return {"lift": 0.3 * 4 * f * (1 - f), "left_heel": 0.07, "right_heel": 0.07}
        land = fly + 0.25
        f = min(1.0, (u - land) / 0.12)
        back = max(0.0, (u - land - 0.15) / max(1e-6, 1 - land - 0.15))
        return bent(dip_deg * 0.8 * f * (1 - min(1.0, back)))

    return pose


def _wall_push_up(e: float) -> dict[str, float]:
    """Leaning on the wall: the body tips forward; the hands stay put (see _hands_stay)."""
    lean = 18 + 9 * e
    p = {"lean": lean}
    for s in ("left", "right"):
        p |= {f"{s}_leg": lean, f"{s}_leg_plane": -90, f"{s}_arm": 90 - 18}
    return p


def _hands_stay(frames: list[dict[str, np.ndarray]]) -> None:
    """Keep the wrists where they are in the first frame (hands on a wall): each elbow by
    two-link inverse kinematics in the figure's side plane, bending downward."""
    for side in ("left", "right"):
        hand = frames[0][f"{side}_wrist"].copy()
        for j in frames:
            sh = j[f"{side}_shoulder"]
            d_vec = hand - sh
            d = min(float(np.linalg.norm(d_vec)), UPPER_ARM + FOREARM - 1e-6)
            u = d_vec / np.linalg.norm(d_vec)
            cos_a = (UPPER_ARM**2 + d**2 - FOREARM**2) / (2 * UPPER_ARM * d)
            down = np.array([0.0, -1.0, 0.0]) - np.dot([0.0, -1.0, 0.0], u) * u
            down /= np.linalg.norm(down)
            a = math.acos(max(-1.0, min(1.0, cos_a)))
            j[f"{side}_elbow"] = sh + UPPER_ARM * (u * math.cos(a) + down * math.sin(a))
            j[f"{side}_wrist"] = hand.copy()


# Exercise id -> (view, curve, pose of the curve's value, what the figure does in words).
SYNTH: dict[str, tuple[str, str, Pose3, str]] = {
    "mini_squat": ("side", "rep", _squat_like(32), "bends the knees a little and stands up"),
    "sit_to_stand": ("side", "rep", _sit_to_stand, "sits down on a chair and stands up again"),
    "wall_sit": ("side", "hold", _between({}, {"left_leg": 85, "right_leg": 85, "left_knee": 85,
                                               "right_knee": 85}),
                 "slides down the wall until the thighs are nearly level, and holds"),
    "heel_raise": ("side", "rep", _between({}, {"left_heel": 0.07, "right_heel": 0.07}),
                   "rises onto the toes and lowers the heels"),
    "marching": ("side", "steps", lambda e: _marching(e, False), "lifts one knee, then the other"),
    "marching_arm_swing": ("side", "steps", lambda e: _marching(e, True),
                           "lifts one knee, then the other, swinging the opposite arm"),
    "elbow_flexion": ("side", "rep", _between({}, {"left_elbow": 145, "right_elbow": 145}),
                      "bends the elbows as far as they go, hands to the shoulders, and "
                      "straightens them"),
    "front_raise": ("side", "rep", _between({}, {"left_arm": 95, "right_arm": 95}),
                    "raises the straight arms forward to shoulder height and lowers them"),
    "shoulder_flexion": ("side", "rep", _between({}, {"left_arm": 155, "right_arm": 155}),
                         "raises the arms forward and up overhead, then lowers them"),
    "shoulder_abduction_to_shoulder_height": (
        "front", "rep", _between({}, {"left_arm": 90, "right_arm": 90, "left_arm_plane": 0,
                                      "right_arm_plane": 0}),
        "raises the straight arms out to the sides to shoulder height and lowers them"),
    "scaption": ("front", "rep", _between({}, {"left_arm": 125, "right_arm": 125,
                                               "left_arm_plane": 30, "right_arm_plane": 30}),
                 "raises the arms up and slightly forward, thumbs up, then lowers them"),
    "jumping_jack": ("front", "rep", _between({}, {"left_arm": 160, "right_arm": 160,
                                                   "left_arm_plane": 0, "right_arm_plane": 0,
                                                   "left_leg": 14, "right_leg": 14,
                                                   "left_leg_plane": 0, "right_leg_plane": 0}),
                     "jumps the feet apart while raising the arms overhead, and back"),
    "wall_push_up": ("side", "rep", _wall_push_up, "leans into the wall bending the elbows, and "
                     "pushes back"),
    "posture_hold": ("side", "hold", _between({"lean": 22, "head_forward": 0.08}, {}),
                     "straightens up from a slouch, head back over the shoulders, and holds"),
    "feet_together_stance": ("front", "hold", _between({}, {"left_leg": -5.5, "right_leg": -5.5,
                                                            "left_leg_plane": 0,
                                                            "right_leg_plane": 0}),
                             "brings the feet together and holds still"),
    "semi_tandem_stance": ("side", "hold", _between({}, {"left_hip_fwd": 0.075}),
                           "places one foot half a step ahead of the other and holds still"),
    "tandem_stance": ("side", "hold", _between({}, {"left_hip_fwd": 0.15}),
                      "places one foot right in front of the other, heel to toe, and holds"),
    "countermovement_jump": ("front", "jump", _jump(45),
                             "dips, jumps straight up and lands softly, knees over the toes"),
    "squat_jump": ("side", "jump", _jump(50, hold=True),
                   "squats and holds, jumps straight up and lands softly"),
    "drop_jump": ("side", "jump", _jump(40, box=0.3),
                  "steps off a box, lands and jumps straight up, and lands softly"),
    "any": ("front", "rep", _between({}, {"left_arm": 90, "right_arm": 90,
                                          "left_arm_plane": 0, "right_arm_plane": 0}),
            "shows one example, raising both arms and lowering them: any steady repeated "
            "movement is counted"),
}  # fmt: skip


def _sided(s: str) -> dict[str, tuple[str, str, Pose3, str]]:
    """The one-sided exercises of side `s` ("left" or "right")."""
    lean_away = 5 if s == "right" else -5
    other = "right" if s == "left" else "left"
    return {
        f"seated_knee_extension_{s}": ("side", "rep", lambda e: SEATED | {f"{s}_knee": 85 - 80 * e},
            f"sits and straightens the {s} knee, then lowers the foot"),
        f"standing_knee_flexion_{s}": ("side", "rep",
            _between({}, {f"{s}_knee": 95, f"{s}_leg": 5}),
            f"bends the {s} knee, bringing the heel up behind, and lowers it"),
        f"standing_hip_abduction_{s}": ("front", "rep",
            _between({}, {f"{s}_leg": 32, f"{s}_leg_plane": 0, "side_lean": lean_away}),
            f"lifts the straight {s} leg out to the side and back"),
        f"single_leg_stance_{s}": ("front", "hold",
            _between({}, {f"{other}_leg": 45, f"{other}_knee": 95}),
            f"lifts the {other} foot off the floor and balances on the {s} leg"),
        f"reach_out_{s}": ("side", "rep",
            _between({}, {f"{s}_arm": 90, "lean": 25, "left_hip_fwd": -0.02,
                          "right_hip_fwd": -0.02}),
            f"reaches forward with the {s} arm as far as is steady, and comes back"),
    }  # fmt: skip


SYNTH |= _sided("left") | _sided("right")

# "rep": there and back; "hold": in, held, out; "steps": the pose's own cycle (time 0 to 1).
SYNTH_SECONDS = {"rep": 2.4, "hold": 3.2, "steps": 2.4, "jump": 3.2}
CURVES = {
    "rep": _rep_curve,
    "hold": _hold_curve,
    "steps": lambda n: np.linspace(0, 1, n),
    "jump": lambda n: np.linspace(0, 1, n),
}


def synthesized(ex: Exercise) -> dict[str, Any]:
    view, curve, pose, does = SYNTH[ex.id]
    seconds = SYNTH_SECONDS[curve]
    if curve == "hold" and ex.hold is not None:  # held long enough for the engine to see a hold
        seconds = max(seconds, 2 * (ex.hold.min_start_s + ex.hold.min_hold_s + 0.5))
    n = min(MAX_FRAMES, int(seconds * FPS))
    values = CURVES[curve](n)
    seated = ex.id.startswith("seated_")
    frames = [body(pose(float(e))) for e in values]
    _ground(frames, "pelvis" if seated else "feet")
    if curve == "jump":  # off the floor: the flight (and a box)
        for j, e in zip(frames, values, strict=True):
            up = UP * pose(float(e)).get("lift", 0.0)
            for k in j:
                j[k] = j[k] + up
    if ex.id == "wall_push_up":
        _hands_stay(frames)
    squared, ground = fit(project(frames, view))
    return _demo(
        ex,
        squared,
        NAMES,
        ground,
        n / seconds,
        view,
        f"A stick figure {does}, seen from the {view}.",
        {
            "kind": "synthesized",
            "made_by": SCRIPT,
            "note": "no good recording of this exercise among the shared clips: the figure "
            "(average proportions) is posed from the definition, the measured joint moving "
            "from rest to past its target and back"
            + (" (a hold: into the position, held, and out)" if curve == "hold" else ""),
        },
    )


def _demo(
    ex: Exercise,
    frames: np.ndarray,
    joints: list[str],
    ground: float | None,
    fps: float,
    view: str,
    caption: str,
    provenance: dict[str, Any],
) -> dict[str, Any]:
    index = {name: k for k, name in enumerate(joints)}
    edges = [[index[a], index[b]] for a, b in EDGES if a in index and b in index]
    # The key position, shown when motion is paused: the frame furthest from the first.
    dist = np.nansum(np.abs(frames - frames[0]), axis=(1, 2))
    return {
        "id": ex.id,
        "name": ex.name,
        "view": _view_words(view),
        "fps": round(fps, 2),
        "joints": joints,
        "edges": edges,
        "ground": None if ground is None else round(ground, 3),
        "peak": int(np.argmax(dist)),
        "caption": caption,
        "frames": [[round(float(v), 3) for v in f.reshape(-1)] for f in frames],
        "provenance": provenance,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--tracks",
        type=Path,
        action="append",
        default=[],
        help="a folder of extract_tracks.py's tracks (repeatable; samples/tracks is searched too)",
    )
    ap.add_argument("--only", action="append", help="exercise id (repeatable; default: all)")
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    folders = [*args.tracks, TRACKS_DIR]
    args.out.mkdir(parents=True, exist_ok=True)
    for ex in list_exercises():
        if args.only and ex.id not in args.only:
            continue
        if ex.id in RECORDED:
            clip_id, name = RECORDED[ex.id]
            track = next((f / name for f in folders if (f / name).is_file()), None)
            if track is None:
                print(f"{ex.id}: no track {name} (run samples/extract_tracks.py --clip {clip_id})")
                return 2
            demo = recorded(ex, clip_id, track)
        elif ex.id in SYNTH:
            demo = synthesized(ex)
        else:
            print(f"{ex.id}: no clip and no synthesis: add it to RECORDED or SYNTH")
            return 2
        path = args.out / f"{ex.id}.json"
        path.write_text(json.dumps(demo, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"{ex.id}: {demo['provenance']['kind']}, {len(demo['frames'])} frames -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
