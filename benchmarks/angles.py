"""Joint-angle accuracy on real recordings: which flexion formula to trust in which view.

  python benchmarks/angles.py [--data ../shared/data] [--models full,heavy,lite]
                              [--json angles.json] [--cache /tmp/coach-angle-bench]

Runs the real MediaPipe model (lite, full, heavy) over the clips named in
benchmarks/angle_clips.json (tracks cached under --cache, never in the repository), passes each
track through the product's landmark filter and view detector, computes every candidate
formula of benchmarks/angle_candidates.py, and compares them with three references:

(a) the 4-camera reference of ../shared/data/reference_angles: MediaPipe's 2-D landmarks from
    the four calibrated cameras triangulated (benchmarks/angle_reference.py), per camera, joint
    and side, by the body's true view of that camera (its turn from the reference);
(b) standing still: every standing interval of the clips, where knee and hip flexion are
    0-10 degrees by construction (and the static trial of the 4-camera recording);
(c) true side views (and one movement seen face-on from the front): the image-plane angle
    of the side facing the camera.

Prints Markdown tables and, with --json, writes every figure as JSON for a docs/ACCURACY.md
generator (docs/ACCURACY-ANGLES-DRAFT.md explains the method and the choice).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks import angle_candidates as cand  # noqa: E402
from benchmarks import angle_reference as ref  # noqa: E402
from benchmarks.angle_tracks import DEFAULT_CACHE, Track, load  # noqa: E402
from pose.filters import LandmarkFilter  # noqa: E402
from pose.types import Pose  # noqa: E402
from scoring.view import OBLIQUE_TURN, ViewDetector  # noqa: E402

CLIPS = Path(__file__).with_name("angle_clips.json")
MODELS = ("full", "heavy", "lite")
STANDING_BAND = (0.0, 10.0)
VIEWS = ("side", "oblique", "front")

# The formula the product reports per joint and view (docs/ACCURACY-ANGLES-DRAFT.md; shipped
# as the `product` candidate, scoring.measures' per-view rule), and the views where no formula
# is trustworthy (None: "not measured").
RECOMMENDED: dict[str, dict[str, str | None]] = {
    "knee": {"side": "image2d", "oblique": None, "front": None},
    "hip": {"side": "image2d", "oblique": None, "front": None},
    "elbow": {"side": "image2d", "oblique": None, "front": None},
}


# --- figures ---------------------------------------------------------------------------------


def agreement(errors: Iterable[float]) -> dict[str, float | int]:
    """MAE, bias and Bland-Altman 95% limits of agreement of candidate minus reference."""
    e = np.asarray(list(errors), dtype=np.float64)
    e = e[np.isfinite(e)]
    if len(e) == 0:
        return {"n": 0}
    bias = float(e.mean())
    sd = float(e.std(ddof=1)) if len(e) > 1 else 0.0
    return {
        "n": int(len(e)),
        "mae": float(np.abs(e).mean()),
        "bias": bias,
        "loa_low": bias - 1.96 * sd,
        "loa_high": bias + 1.96 * sd,
    }


def standing_figures(values: Iterable[float]) -> dict[str, float | int]:
    """What a standing interval reads: median, 95th percentile, share within 0-10 degrees and
    the mean distance outside that band (0 when every frame is inside)."""
    v = np.asarray(list(values), dtype=np.float64)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return {"n": 0}
    lo, hi = STANDING_BAND
    outside = v - np.clip(v, lo, hi)
    return {
        "n": int(len(v)),
        "median": float(np.median(v)),
        "p95": float(np.percentile(v, 95)),
        "in_band": float(np.mean((v >= lo) & (v <= hi))),
        "excess_mae": float(np.abs(outside).mean()),
    }


def fmt_agreement(a: dict[str, Any]) -> str:
    if not a.get("n"):
        return "-"
    return f"{a['mae']:.1f} ({a['bias']:+.1f}; {a['loa_low']:+.0f}..{a['loa_high']:+.0f})"


# --- the product's view of a track ----------------------------------------------------------


def product_track(track: Track) -> cand.PoseTrack:
    """The track as the engine sees it: through the product's landmark filter (image and world
    landmarks), with the view detector refreshed every third frame with a pose, as
    scoring.engine does."""
    filt = LandmarkFilter()
    detector = ViewDetector()
    lms = np.full(track.landmarks.shape, np.nan)
    worlds = np.full(track.world.shape, np.nan)
    views = np.full(len(track.t), "unknown", dtype=object)
    stretch = np.ones(len(track.t))
    seen = 0
    view, s = "unknown", 1.0
    for i, t in enumerate(track.t):
        raw = None
        if np.isfinite(track.landmarks[i, :, :2]).all():
            w = track.world[i] if np.isfinite(track.world[i]).all() else None
            raw = Pose(track.landmarks[i], float(t), track.size, world=w)
        pose = filt(raw)
        if pose is None:
            views[i], stretch[i] = view, s
            continue
        lm = pose.landmarks.astype(np.float64)
        w = pose.world.astype(np.float64) if pose.world is not None else None
        seen += 1
        if seen % 3 == 1 or view == "unknown":
            view = detector.update(lm, track.aspect, w)
            s = detector.stretch
        lms[i] = lm
        if w is not None:
            worlds[i] = w
        views[i], stretch[i] = view, s
    return cand.PoseTrack(lms, track.aspect, worlds, views.astype(str), stretch)


def true_view(turn_deg: np.ndarray) -> np.ndarray:
    """side / oblique / front from the body's turn (degrees from side-on), as scoring.view."""
    lo, hi = OBLIQUE_TURN
    return np.where(turn_deg < lo, "side", np.where(turn_deg > hi, "front", "oblique"))


def turn_in_camera(cam: ref.Camera, points: np.ndarray) -> np.ndarray:
    """(T,) the body's turn from side-on as `cam` sees the reference: how much of the shoulder
    and hip lines lies across the camera's view rather than along its axis."""
    pc = cam.to_camera(points)
    across = np.abs((pc[:, 11, 0] - pc[:, 12, 0]) + (pc[:, 23, 0] - pc[:, 24, 0]))
    depth = np.abs((pc[:, 11, 2] - pc[:, 12, 2]) + (pc[:, 23, 2] - pc[:, 24, 2]))
    return np.degrees(np.arctan2(across, depth))


def calibrated(
    pt: cand.PoseTrack, frames: np.ndarray | None = None, other: cand.PoseTrack | None = None
) -> tuple[cand.PoseTrack, np.ndarray]:
    """The track with calibration frames for the candidates that need them
    (`cand.CALIBRATED`), and the frames their figures may use (held out): calibrated on
    `other` (another trial of the same person and camera: every frame held out) or on
    `frames` of this track (those frames left out)."""
    held_out = np.ones(len(pt), bool)
    if other is None:
        assert frames is not None
        other = pt.frames(frames)
        held_out[frames] = False
    return replace(pt, calibration=other), held_out


def candidate_values(
    name: str, pt: cand.PoseTrack, held_out: np.ndarray, joint: str, side: str
) -> np.ndarray:
    """A candidate's values, NaN on the frames a calibrated candidate was calibrated on."""
    values = cand.CANDIDATES[name](pt, joint, side)
    return np.where(held_out, values, np.nan) if name in cand.CALIBRATED else values


def first_half(idx: np.ndarray) -> np.ndarray:
    """The calibration frames taken from a standing interval: its first half."""
    return idx[: max(1, len(idx) // 2)]


# --- (a) the 4-camera reference -------------------------------------------------------------


def _camera_tracks(folder: Path, trial: str, names: list[str], model: str, cache: Path):  # type: ignore[no-untyped-def]
    return [load(folder / trial / f"{n}.mp4", model, cache) for n in names]


def _triangulate(cams, tracks):  # type: ignore[no-untyped-def]
    return ref.triangulate_track(
        cams, [t.landmarks for t in tracks], [t.size for t in tracks], _OFFSETS["px"]
    )


_OFFSETS: dict[str, np.ndarray | None] = {"px": None}


def reference_section(data: Path, cfg: dict[str, Any], models: list[str], cache: Path) -> dict:  # type: ignore[type-arg]
    folder = data / cfg["folder"]
    cams = ref.read_qca(folder / cfg["calibration"])
    names = cfg["cameras"]
    ref_model = cfg["reference_model"]
    static = _camera_tracks(folder, cfg["offsets_from"], names, ref_model, cache)
    _OFFSETS["px"] = ref.pixel_offsets(
        cams, [t.landmarks for t in static], [t.size for t in static]
    )
    out: dict[str, Any] = {"offsets_px": np.round(_OFFSETS["px"], 1).tolist(), "trials": {}}
    # The static trial (standing, legs straight) calibrates the other trials' cameras.
    calibration = {
        (model, cam.name): product_track(t)
        for model in models
        for cam, t in zip(
            cams, _camera_tracks(folder, cfg["offsets_from"], names, model, cache), strict=True
        )
    }
    for trial in cfg["trials"]:
        tracks = _camera_tracks(folder, trial, names, ref_model, cache)
        tri = _triangulate(cams, tracks)
        points = tri.points
        reproj = np.nanmedian(tri.reprojection_px[:, ref.BODY], axis=(0, 1))
        trial_out: dict[str, Any] = {
            "frames": len(points),
            "reprojection_px_median": np.round(reproj, 1).tolist(),
            "mirrored_frames": tri.mirrored.sum(axis=0).tolist(),
            "reference_angles": {},
            "noise_floor": noise_floor(cams, folder, trial, names, cfg, tracks, points, cache),
            "rows": [],
        }
        reference = {(j, s): cand.flexion(points, j, s) for j in cand.JOINTS for s in cand.SIDES}
        for (j, s), v in reference.items():
            trial_out["reference_angles"][f"{j}_{s}"] = {
                "median": float(np.nanmedian(v)),
                "min": float(np.nanmin(v)),
                "max": float(np.nanmax(v)),
            }
        views = {c.name: true_view(turn_in_camera(c, points)) for c in cams}
        trial_out["camera_views"] = {
            c.name: {
                "turn_median": float(np.nanmedian(turn_in_camera(c, points))),
                "views": {v: int((views[c.name] == v).sum()) for v in VIEWS},
            }
            for c in cams
        }
        for model in models:
            confusion: dict[str, int] = defaultdict(int)
            for cam, track in zip(
                cams, _camera_tracks(folder, trial, names, model, cache), strict=True
            ):
                if trial == cfg["offsets_from"]:  # calibrates itself on its first half
                    pt, held_out = calibrated(
                        product_track(track), frames=first_half(np.arange(len(track.t)))
                    )
                else:
                    pt, held_out = calibrated(
                        product_track(track), other=calibration[(model, cam.name)]
                    )
                for true, seen in zip(views[cam.name], pt.view, strict=True):
                    confusion[f"{true}->{seen}"] += 1
                diag = trial_out.setdefault("true_depth_diagnostic", {}).setdefault(model, {})
                shift = _OFFSETS["px"][cams.index(cam)]  # type: ignore[index]
                diag[cam.name] = true_depth_errors(cam, shift, track, points, reference)
                for name in cand.CANDIDATES:
                    for (j, s), r in reference.items():
                        err = candidate_values(name, pt, held_out, j, s) - r
                        base = {
                            "model": model,
                            "candidate": name,
                            "joint": j,
                            "side": s,
                            "camera": cam.name,
                        }
                        trial_out["rows"].append(
                            {**base, "view": "all", "frames": len(err), **agreement(err)}
                        )
                        for v in VIEWS:
                            mask = views[cam.name] == v
                            if mask.any():
                                trial_out["rows"].append(
                                    {
                                        **base,
                                        "view": v,
                                        "frames": int(mask.sum()),
                                        **agreement(err[mask]),
                                    }
                                )
            trial_out.setdefault("view_detection", {})[model] = dict(confusion)
        out["trials"][trial] = trial_out
    return out


def true_depth_errors(
    cam: ref.Camera,
    shift: np.ndarray,
    track: Track,
    points: np.ndarray,
    reference: dict[tuple[str, str], np.ndarray],
) -> dict[str, float]:
    """MAE of the knee and hip angles from this camera's own 2-D landmarks (shifted by its
    pixel offset) given each landmark's true depth (from the reference): what is left when
    depth is no longer guessed."""
    depth = cam.to_camera(points)[..., 2:3]
    rays = np.stack(
        [ref.undistort(cam, f[:, :2] * np.array(track.size) + shift) for f in track.landmarks]
    )
    pts = np.concatenate([rays * depth, depth], axis=-1)
    out = {}
    for j in ("knee", "hip"):
        for s in cand.SIDES:
            err = cand.flexion(pts, j, s) - reference[(j, s)]
            out[f"{j}_{s}"] = float(np.nanmean(np.abs(err)))
    for s in cand.SIDES:
        err = true_length_seglen(cam, track, points, s) - reference[("knee", s)]
        out[f"knee_{s} seglen given true lengths and signs"] = float(np.nanmean(np.abs(err)))
    return out


def true_length_seglen(cam: ref.Camera, track: Track, points: np.ndarray, side: str) -> np.ndarray:
    """The segment-length constraint (`cand.seglen`'s formula, on this camera's own 2-D
    landmarks) given what no calibration can do better than: each segment's true length in
    image units (its 3-D length from the reference at its depth) and the true sign of its
    depth. The ceiling of any calibrated segment length."""
    a, b, c = cand.joint_indices("knee", side)
    pts = cand.image_points(track.landmarks, track.aspect)
    pc = cam.to_camera(points)
    per_height = cam.K[1, 1] / track.size[1]  # image heights per unit of x / z
    segments = []
    for end in (a, c):
        d = pts[:, end, :2] - pts[:, b, :2]
        length = np.linalg.norm(points[:, end] - points[:, b], axis=-1)
        length = length * per_height / ((pc[:, end, 2] + pc[:, b, 2]) / 2)
        dz = np.sqrt(np.maximum(length**2 - np.sum(d * d, axis=-1), 0.0))
        sign = np.sign(pc[:, end, 2] - pc[:, b, 2])
        segments.append(np.concatenate([d, (sign * dz)[:, None]], axis=-1))
    return cand.flexion_from_segments(*segments)


def noise_floor(cams, folder, trial, names, cfg, tracks, points, cache) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """How far the reference itself is from other defensible references."""
    out: dict[str, Any] = {}
    for j in ("knee", "hip", "elbow"):
        for s in cand.SIDES:
            base = cand.flexion(points, j, s)
            rows: dict[str, Any] = {}
            for drop in range(len(cams)):
                keep = [i for i in range(len(cams)) if i != drop]
                offsets = _OFFSETS["px"]
                assert offsets is not None
                t3 = ref.triangulate_track(
                    [cams[i] for i in keep],
                    [tracks[i].landmarks for i in keep],
                    [tracks[i].size for i in keep],
                    offsets[keep],
                )
                rows[f"without {names[drop]}"] = agreement(cand.flexion(t3.points, j, s) - base)
            out[f"{j}_{s}"] = rows
    other = "full" if cfg["reference_model"] != "full" else "heavy"
    tri = _triangulate(cams, _camera_tracks(folder, trial, names, other, cache))
    out[f"{other} model: left/right mix-ups undone per camera"] = tri.mirrored.sum(axis=0).tolist()
    for j in ("knee", "hip", "elbow"):
        for s in cand.SIDES:
            out[f"{j}_{s}"][f"{other} model triangulated"] = agreement(
                cand.flexion(tri.points, j, s) - cand.flexion(points, j, s)
            )
    if trial == "balancing":
        trc_names, trc = ref.read_trc(folder / cfg["trc"])
        world = ref.trc_to_world(trc)
        parts = {"hip": ("Hip", "Knee", "Ankle"), "knee": ("Hip", "Knee", "Ankle")}
        for s in cand.SIDES:
            p = s[0].upper()
            a, b, c = (world[:, trc_names.index(p + n)] for n in parts["knee"])
            knee = cand.flexion_from_segments(a - b, c - b)
            out[f"knee_{s}"]["OpenPose triangulated (Pose2Sim .trc)"] = agreement(
                knee - cand.flexion(points, "knee", s)
            )
            sh, hp, kn = (world[:, trc_names.index(p + n)] for n in ("Shoulder", "Hip", "Knee"))
            out[f"hip_{s}"]["OpenPose triangulated (Pose2Sim .trc)"] = agreement(
                cand.flexion_from_segments(sh - hp, kn - hp) - cand.flexion(points, "hip", s)
            )
            for ik in cfg["ik"]:
                mot = ref.read_mot(folder / ik)
                out[f"knee_{s}"][f"OpenSim IK ({Path(ik).stem})"] = agreement(
                    mot[f"knee_angle_{s[0]}"] - cand.flexion(points, "knee", s)
                )
    return out


# --- (b) standing still ---------------------------------------------------------------------


def clip_tracks(entries: list[dict[str, Any]], data: Path, models: list[str], cache: Path):  # type: ignore[no-untyped-def]
    """(entry, model, raw track, the product's view of it) for every clip and model."""
    for entry in entries:
        for model in models:
            track = load(data / entry["video"], model, cache, max_s=entry.get("max_s"))
            yield entry, model, track, product_track(track)


def standing_section(data: Path, cfg: dict[str, Any], models: list[str], cache: Path) -> list:  # type: ignore[type-arg]
    rows = []
    for entry, model, track, pt in clip_tracks(cfg["standing"], data, models, cache):
        windows = [track.window(a, b) for a, b in entry["intervals"]]
        idx = np.concatenate(windows)
        for name in cand.CANDIDATES:
            for j in ("knee", "hip"):
                for s in entry["sides"]:
                    if name in cand.CALIBRATED:
                        values = held_out_standing(name, pt, windows, j, s)[idx]
                    else:
                        values = cand.CANDIDATES[name](pt, j, s)[idx]
                    rows.append(
                        {
                            "clip": entry["clip"],
                            "view": entry["view"],
                            "model": model,
                            "candidate": name,
                            "joint": j,
                            "side": s,
                            "frames": int(len(idx)),
                            **standing_figures(values),
                        }
                    )
    return rows


def held_out_standing(
    name: str, pt: cand.PoseTrack, windows: list[np.ndarray], joint: str, side: str
) -> np.ndarray:
    """A calibrated candidate on standing intervals, each interval calibrated on the others
    (a clip with one interval: on its first half, measured on the second)."""
    out = np.full(len(pt), np.nan)
    if len(windows) == 1:
        one, held_out = calibrated(pt, frames=first_half(windows[0]))
        return candidate_values(name, one, held_out, joint, side)
    for k, window in enumerate(windows):
        others = np.concatenate([w for i, w in enumerate(windows) if i != k])
        values = candidate_values(name, *calibrated(pt, frames=others), joint, side)
        out[window] = values[window]
    return out


def static_trial_rows(data: Path, cfg: dict[str, Any], models: list[str], cache: Path) -> list:  # type: ignore[type-arg]
    """The 4-camera static trial as standing intervals, one per camera."""
    folder = data / cfg["folder"]
    cams = ref.read_qca(folder / cfg["calibration"])
    tracks = _camera_tracks(folder, "static", cfg["cameras"], cfg["reference_model"], cache)
    points = _triangulate(cams, tracks).points
    rows = []
    for model in models:
        for cam, track in zip(
            cams, _camera_tracks(folder, "static", cfg["cameras"], model, cache), strict=True
        ):
            pt, held_out = calibrated(
                product_track(track), frames=first_half(np.arange(len(track.t)))
            )
            view = str(true_view(np.array([np.nanmedian(turn_in_camera(cam, points))]))[0])
            for name in cand.CANDIDATES:
                for j in ("knee", "hip"):
                    for s in cand.SIDES:
                        rows.append(
                            {
                                "clip": f"pose2sim/static {cam.name}",
                                "view": view,
                                "model": model,
                                "candidate": name,
                                "joint": j,
                                "side": s,
                                "frames": len(track.t),
                                **standing_figures(candidate_values(name, pt, held_out, j, s)),
                            }
                        )
    return rows


# --- (c) side views -------------------------------------------------------------------------


def near_side_values(pt: cand.PoseTrack, fn: cand.Candidate, joint: str) -> np.ndarray:
    """Per frame, the candidate on the side whose three landmarks the model sees better (the
    side facing the camera)."""
    vis = {
        s: np.nan_to_num(pt.landmarks[:, list(cand.joint_indices(joint, s)), 3]).mean(axis=1)
        for s in cand.SIDES
    }
    left = vis["left"] >= vis["right"]
    return np.where(left, fn(pt, joint, "left"), fn(pt, joint, "right"))


def side_view_section(data: Path, cfg: dict[str, Any], models: list[str], cache: Path) -> list:  # type: ignore[type-arg]
    rows = []
    plane_angles: dict[tuple[str, str, str], np.ndarray] = {}
    for entry, model, track, pt in clip_tracks(cfg["side_views"], data, models, cache):
        keep = np.ones(len(track.t), bool)
        for a, b in entry.get("exclude", []):
            keep[track.window(a, b)] = False
        detected = {v: float(np.mean(pt.view[keep] == v)) for v in (*VIEWS, "unknown")}
        for j in entry["joints"]:
            reference = near_side_values(pt, cand.image2d, j)
            plane_angles[(entry["clip"], j, model)] = np.where(keep, reference, np.nan)
            for name, fn in cand.CANDIDATES.items():
                if name == "image2d":
                    continue
                err = (near_side_values(pt, fn, j) - reference)[keep]
                rows.append(
                    {
                        "clip": entry["clip"],
                        "plane": entry.get("plane", "sagittal"),
                        "model": model,
                        "candidate": name,
                        "joint": j,
                        "detected_views": detected,
                        "frames": int(keep.sum()),
                        "reference_range": [
                            float(np.nanpercentile(reference[keep], 5)),
                            float(np.nanpercentile(reference[keep], 95)),
                        ],
                        **agreement(err),
                    }
                )
    rows += model_agreement(plane_angles, models)
    return rows


def model_agreement(angles: dict[tuple[str, str, str], np.ndarray], models: list[str]) -> list:  # type: ignore[type-arg]
    """The image-plane angle of each model against the heavy model's on the same frames: how
    much the 2-D keypoints alone move the reference of (c) (a floor under its error)."""
    if "heavy" not in models:
        return []
    rows = []
    for (clip, joint, model), values in angles.items():
        if model == "heavy":
            continue
        rows.append(
            {
                "clip": clip,
                "joint": joint,
                "model": model,
                "candidate": "image2d, against heavy's",
                "plane": "between models",
                **agreement(values - angles[(clip, joint, "heavy")]),
            }
        )
    return rows


# --- printing --------------------------------------------------------------------------------


def print_reference(section: dict[str, Any], models: list[str]) -> None:
    print("## (a) Against the 4-camera triangulated reference (Pose2Sim demo)\n")
    print(f"Pixel offsets found per camera (static trial): {section['offsets_px']}\n")
    for trial, t in section["trials"].items():
        print(f"### {trial} trial ({t['frames']} frames)\n")
        print(
            f"Reprojection error of the reference, median px per camera: "
            f"{t['reprojection_px_median']}; left/right mix-ups undone: {t['mirrored_frames']}"
        )
        views = ", ".join(
            f"{c}: turn {v['turn_median']:.0f} deg {v['views']}"
            for c, v in t["camera_views"].items()
        )
        print(f"True view per camera: {views}")
        for model, confusion in t.get("view_detection", {}).items():
            print(f"Detected views ({model}, true->detected: frames): {confusion}")
        print()
        for model, per_cam in t.get("true_depth_diagnostic", {}).items():
            cells = "; ".join(
                f"{c} " + " ".join(f"{k} {v:.1f}" for k, v in errs.items())
                for c, errs in per_cam.items()
            )
            print(f"With the reference's depth, {model} 2-D landmarks give MAE: {cells}")
        print()
        print("Noise floor (reference against other references: MAE (bias; 95% LoA)):\n")
        for jk, refs in t["noise_floor"].items():
            if not isinstance(refs, dict):
                print(f"- {jk}: {refs}")
                continue
            cells = "; ".join(f"{k} {fmt_agreement(a)}" for k, a in refs.items())
            print(f"- {jk}: {cells}")
        print()
        cams = list(t["camera_views"])
        for model in models:
            print(f"#### {model} model: MAE (bias; 95% LoA) per camera, all frames\n")
            print("| joint | side | candidate | " + " | ".join(cams) + " |")
            print("| --- | --- | --- |" + " --- |" * len(cams))
            index = {
                (r["model"], r["candidate"], r["joint"], r["side"], r["camera"]): r
                for r in t["rows"]
                if r["view"] == "all"
            }
            for j in cand.JOINTS:
                for s in cand.SIDES:
                    for name in cand.CANDIDATES:
                        cells = [fmt_agreement(index[(model, name, j, s, c)]) for c in cams]
                        print(f"| {j} | {s} | {name} | " + " | ".join(cells) + " |")
            print()
        print("#### By the camera's true view (all cameras and sides pooled): MAE (bias; LoA)\n")
        by_view: dict[tuple, list] = defaultdict(list)  # type: ignore[type-arg]
        for r in t["rows"]:
            if r["view"] != "all" and r.get("n"):
                by_view[(r["model"], r["candidate"], r["joint"], r["view"])].append(r)
        print("| model | joint | candidate | " + " | ".join(VIEWS) + " |")
        print("| --- | --- | --- |" + " --- |" * len(VIEWS))
        for model in models:
            for j in cand.JOINTS:
                for name in cand.CANDIDATES:
                    cells = []
                    for v in VIEWS:
                        rs = by_view.get((model, name, j, v), [])
                        m = merge(rs)
                        cells.append(f"{fmt_agreement(m)} n={m['n']}" if m.get("n") else "-")
                    print(f"| {model} | {j} | {name} | " + " | ".join(cells) + " |")
        print()


def merge(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Pool agreement rows (frame-weighted mean and pooled variance of the errors)."""
    rows = [r for r in rows if r.get("n")]
    if not rows:
        return {"n": 0}
    n = sum(r["n"] for r in rows)
    bias = sum(r["bias"] * r["n"] for r in rows) / n
    mae = sum(r["mae"] * r["n"] for r in rows) / n
    # sd of each row from its LoA; pooled second moment about the overall bias
    second = 0.0
    for r in rows:
        sd = (r["loa_high"] - r["loa_low"]) / (2 * 1.96)
        second += r["n"] * (sd**2 + (r["bias"] - bias) ** 2)
    sd = (second / n) ** 0.5
    return {
        "n": n,
        "mae": mae,
        "bias": bias,
        "loa_low": bias - 1.96 * sd,
        "loa_high": bias + 1.96 * sd,
    }


def print_standing(rows: list[dict[str, Any]], models: list[str]) -> None:
    print("## (b) Standing still: median (95th percentile) degrees; 0-10 expected\n")
    clips = list(dict.fromkeys((r["clip"], r["view"]) for r in rows))
    names = list(cand.CANDIDATES)
    index = {(r["clip"], r["model"], r["candidate"], r["joint"], r["side"]): r for r in rows}
    for j in ("knee", "hip"):
        for model in models:
            print(f"### {j} flexion, {model} model\n")
            print("| clip | view | side | " + " | ".join(names) + " |")
            print("| --- | --- | --- |" + " --- |" * len(names))
            for clip, view in clips:
                for s in cand.SIDES:
                    if (clip, model, names[0], j, s) not in index:
                        continue
                    cells = []
                    for name in names:
                        r = index[(clip, model, name, j, s)]
                        ok = r.get("n") and r["median"] <= STANDING_BAND[1]
                        cells.append(
                            f"{r['median']:.1f} ({r['p95']:.0f}){'' if ok else ' !'}"
                            if r.get("n")
                            else "-"
                        )
                    print(f"| {clip} | {view} | {s} | " + " | ".join(cells) + " |")
            print()


def print_side(rows: list[dict[str, Any]], models: list[str]) -> None:
    print("## (c) Face-on movement planes: against the image-plane angle of the near side\n")
    print("MAE (bias; 95% LoA) in degrees; detected views from the product's view detector.\n")
    names = [n for n in cand.CANDIDATES if n != "image2d"]
    index = {(r["clip"], r["model"], r["candidate"], r["joint"]): r for r in rows}
    clips = list(dict.fromkeys((r["clip"], r["joint"]) for r in rows))
    for model in models:
        print(f"### {model} model\n")
        print("| clip | joint | range | detected side/obl/front | " + " | ".join(names) + " |")
        print("| --- | --- | --- | --- |" + " --- |" * len(names))
        for clip, j in clips:
            first = index[(clip, model, names[0], j)]
            dv = first["detected_views"]
            lo, hi = first["reference_range"]
            views = f"{dv['side']:.0%}/{dv['oblique']:.0%}/{dv['front']:.0%}"
            cells = [fmt_agreement(index[(clip, model, n, j)]) for n in names]
            print(f"| {clip} | {j} | {lo:.0f}-{hi:.0f} | {views} | " + " | ".join(cells) + " |")
        print()
    between = [r for r in rows if r["plane"] == "between models"]
    if between:
        print("### The image-plane angle of each model against the heavy model's\n")
        others = [m for m in models if m != "heavy"]
        print("| clip | joint | " + " | ".join(others) + " |")
        print("| --- | --- |" + " --- |" * len(others))
        for clip, j in clips:
            cells = [fmt_agreement(index[(clip, m, "image2d, against heavy's", j)]) for m in others]
            print(f"| {clip} | {j} | " + " | ".join(cells) + " |")
        print(
            "\nAll clips pooled: "
            + "; ".join(
                f"{m} {fmt_agreement(merge([r for r in between if r['model'] == m]))}"
                for m in others
            )
            + "\n"
        )


# --- the summary for docs/ACCURACY.md -------------------------------------------------------


PRODUCT_MODEL = "full"
# Fewer 4-camera frames than this in a view say nothing about a formula there.
MIN_FRAMES = 30


def _figures(result: dict[str, Any], model: str, joint: str, view: str, name: str) -> dict:  # type: ignore[type-arg]
    """One candidate's figures in one view against each reference."""
    bal = result["reference"]["trials"].get("balancing", {"rows": []})["rows"]
    four = merge(
        [
            r
            for r in bal
            if (r["model"], r["joint"], r["candidate"], r["view"]) == (model, joint, name, view)
        ]
    )
    medians = {
        f"{r['clip']} {r['side']}": round(r["median"], 1)
        for r in result["standing"]
        if (r["model"], r["joint"], r["candidate"], r["view"]) == (model, joint, name, view)
        and r.get("n")
    }
    plane_view = {"sagittal": "side", "frontal": "front", "between models": None}
    face_on = merge(
        [
            r
            for r in result["side_views"]
            if (r["model"], r["joint"], r["candidate"]) == (model, joint, name)
            and plane_view[r["plane"]] == view
        ]
    )
    out: dict[str, Any] = {"four_camera": four}
    if medians:
        out["standing"] = {
            "clips": len(medians),
            "worst_median": max(medians.values()),
            "within_0_10": sum(v <= STANDING_BAND[1] for v in medians.values()),
            "medians": medians,
        }
    if face_on.get("n") or name == "image2d":
        out["face_on_vs_image_plane"] = face_on if name != "image2d" else "the reference itself"
    return out


def noise_floor_summary(result: dict[str, Any]) -> dict[str, Any]:
    """The spread of the 4-camera reference: leaving one camera out, and other references."""
    floor = result["reference"]["trials"].get("balancing", {}).get("noise_floor", {})
    out: dict[str, Any] = {}
    for joint_side, refs in floor.items():
        if not isinstance(refs, dict):
            out[joint_side] = refs
            continue
        loo = [a["mae"] for k, a in refs.items() if k.startswith("without") and a.get("n")]
        other = {k: round(a["mae"], 1) for k, a in refs.items() if not k.startswith("without")}
        out[joint_side] = {"leave_one_camera_out_mae": [round(min(loo), 1), round(max(loo), 1)]}
        out[joint_side]["other_references_mae"] = other
    return out


def _measured_share(rows: list[dict[str, Any]]) -> float | None:
    """The share of frames the product reported a number for (the rest: not measured)."""
    frames = sum(r.get("frames", 0) for r in rows)
    return round(sum(r.get("n", 0) for r in rows) / frames, 3) if frames else None


def product_summary(result: dict[str, Any], model: str) -> dict[str, Any]:
    """What ships (the `product` candidate: scoring.reported): per joint and true view, its
    figures against each reference and the share of frames it shows a number for; the
    standing medians per clip and side ("not measured" where it shows none)."""
    out: dict[str, Any] = {"model": model, "candidate": "product"}
    bal = result["reference"]["trials"].get("balancing", {"rows": []})["rows"]
    for j in cand.JOINTS:
        for v in VIEWS:
            rows = [
                r
                for r in bal
                if (r["model"], r["candidate"], r["joint"], r["view"]) == (model, "product", j, v)
            ]
            entry = _figures(result, model, j, v, "product")
            entry["four_camera_measured_share"] = _measured_share(rows)
            out.setdefault(j, {})[v] = entry
    standing: dict[str, Any] = {}
    for r in result["standing"]:
        if (r["model"], r["candidate"]) != (model, "product"):
            continue
        key = f"{r['clip']} {r['side']}"
        standing.setdefault(r["joint"], {})[key] = {
            "view": r["view"],
            "median": round(r["median"], 1) if r.get("n") else "not measured",
            "measured_share": round(r.get("n", 0) / r["frames"], 3) if r["frames"] else None,
        }
    out["standing"] = standing
    face_on = {}
    for r in result["side_views"]:
        if (r["model"], r["candidate"]) == (model, "product"):
            face_on[f"{r['clip']} {r['joint']}"] = {
                "plane": r["plane"],
                "measured_share": _measured_share([r]),
                "against_image_plane": {k: r[k] for k in ("n", "mae", "bias", "loa_low",
                                                          "loa_high") if k in r},
            }  # fmt: skip
    out["face_on"] = face_on
    return out


def summary(result: dict[str, Any], models: list[str]) -> dict[str, Any]:
    """For a docs/ACCURACY.md generator: the recommendation per joint and view with the
    measured figures of its formula (the product's model), the best formula where nothing is
    good enough, the noise floor, and every candidate's figures per model."""
    figures = {
        model: {
            j: {v: {n: _figures(result, model, j, v, n) for n in cand.CANDIDATES} for v in VIEWS}
            for j in cand.JOINTS
        }
        for model in models
    }
    model = PRODUCT_MODEL if PRODUCT_MODEL in models else models[0]
    recommended: dict[str, Any] = {}
    for j, views in RECOMMENDED.items():
        for v, formula in views.items():
            entry: dict[str, Any] = {
                "formula": formula,
                "shown_as": "number" if formula else "not measured",
                "model": model,
            }
            if formula:
                entry["figures"] = figures[model][j][v][formula]
            by_mae = [
                (f["four_camera"]["mae"], n)
                for n, f in figures[model][j][v].items()
                if f["four_camera"].get("n", 0) >= MIN_FRAMES and n != formula
            ]
            if by_mae:
                best = min(by_mae)[1]
                entry["best_other"] = {"formula": best, **figures[model][j][v][best]}
            recommended.setdefault(j, {})[v] = entry
    bal = result["reference"]["trials"].get("balancing", {"rows": []})["rows"]
    per_camera = {
        m: {
            n: {
                f"{r['camera']} {r['side']}": round(r["mae"], 1)
                for r in bal
                if (r["model"], r["candidate"], r["joint"], r["view"]) == (m, n, "knee", "all")
                and r.get("n")
            }
            for n in cand.CANDIDATES
        }
        for m in models
    }
    return {
        "command": "python benchmarks/angles.py --json FILE",
        "product": product_summary(result, model),
        "views": "side: the movement's plane faces the camera (a side view for the sagittal "
        "flexions; the front view for an elbow bending in the frontal plane); oblique: the body "
        "turned 30-60 degrees from that; front: turned more than 60 degrees (the plane edge-on)",
        "date": time.strftime("%Y-%m-%d"),
        "targets": {"mae": 5.0, "abs_bias": 2.0, "loa": 10.0, "standing_median": 10.0},
        "reference": "MediaPipe heavy 2-D landmarks of the Pose2Sim demo's 4 calibrated cameras, "
        "undistorted and triangulated (weighted DLT), per-camera pixel offsets from the static "
        "trial; views by the body's turn from each camera (side < 30 deg < oblique < 60 < front)",
        "noise_floor": noise_floor_summary(result),
        "recommended": recommended,
        "balancing_knee_mae_per_camera": per_camera,
        "figures": figures,
    }


def main(argv: list[str] | None = None) -> int:
    default = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default, help="the shared data folder")
    ap.add_argument("--models", default=",".join(MODELS), help="pose models, comma-separated")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="landmark track cache")
    ap.add_argument("--json", type=Path, help="write every figure and the summary here")
    ap.add_argument("--sections", default="reference,standing,side", help="which references to run")
    args = ap.parse_args(argv)
    if not (args.data / "MANIFEST.json").is_file():
        print(f"no shared data at {args.data} (set COACH_SHARED_DATA)", file=sys.stderr)
        return 2
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    sections = set(args.sections.split(","))
    cfg = json.loads(CLIPS.read_text())
    started = time.perf_counter()
    result: dict[str, Any] = {
        "models": models,
        "reference": {"trials": {}},
        "standing": [],
        "side_views": [],
    }
    if "reference" in sections:
        result["reference"] = reference_section(args.data, cfg["reference"], models, args.cache)
        print_reference(result["reference"], models)
    if "standing" in sections:
        result["standing"] = standing_section(args.data, cfg, models, args.cache)
        if "reference" in sections:
            result["standing"] += static_trial_rows(args.data, cfg["reference"], models, args.cache)
        print_standing(result["standing"], models)
    if "side" in sections:
        result["side_views"] = side_view_section(args.data, cfg, models, args.cache)
        print_side(result["side_views"], models)
    result["summary"] = summary(result, models)
    print("## Summary (JSON, for docs/ACCURACY.md)\n")
    print(json.dumps({k: v for k, v in result["summary"].items() if k != "figures"}, indent=1))
    print(f"\n({time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=float) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
