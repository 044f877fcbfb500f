"""Is the lifter's error the cameras' height? The lifter on camera-levelled 2-D landmarks.

    COACH_SHARED_DATA=../shared/data python benchmarks/lifting/diagnose.py [--models heavy,full]

Human3.6M's cameras stand at chest height about 5.4 m away; the Pose2Sim cameras are mounted
high and close, looking down, so a standing leg is foreshortened against the trunk. This
diagnostic removes that with what a single camera in the product does not know, the
calibration: each camera's landmarks are undistorted and turned into a virtual camera at the
same place looking level (no pitch, no roll) towards the person's median pelvis, then lifted
(benchmarks/lifting/mgcn.py, input scaled by the legs as the `lifted3d` candidate). It prints
the knee's MAE per camera and side against the 4-camera reference (balancing trial) and the
standing medians (static trial). Needs the cached tracks of benchmarks/angles.py and the
weights of benchmarks/lifting/fetch.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from benchmarks import angle_candidates as cand  # noqa: E402
from benchmarks import angle_reference as ref  # noqa: E402
from benchmarks import angles  # noqa: E402
from benchmarks.angle_tracks import Track  # noqa: E402
from benchmarks.lifting import fetch, mgcn  # noqa: E402


def levelled(cam: ref.Camera, shift: np.ndarray, track: Track, up: np.ndarray) -> np.ndarray:
    """(T, 33, 2) the track's landmarks in a virtual level camera at `cam`'s place, looking
    horizontally towards the median pelvis (normalised coordinates, focal length 1)."""
    px = track.landmarks[..., :2] * np.array(track.size) + shift
    norm = ref.undistort(cam, px.reshape(-1, 2)).reshape(px.shape)
    rays = np.concatenate([norm, np.ones((*norm.shape[:-1], 1))], axis=-1) @ cam.R  # world
    pelvis = np.nanmedian((rays[:, 23] + rays[:, 24]) / 2, axis=0)
    forward = pelvis - (pelvis @ up) * up
    forward /= np.linalg.norm(forward)
    down = -up
    basis = np.stack([np.cross(down, forward), down, forward])
    q = rays @ basis.T
    return q[..., :2] / q[..., 2:]


def knee_values(pt: cand.PoseTrack, points: np.ndarray, weights: Path) -> dict[str, np.ndarray]:
    """The lifted knee flexion per side from levelled points, gated as the candidates."""
    legs = cand.leg_length(cand.PoseTrack(np.concatenate([points, pt.landmarks[..., 2:]], -1), 1.0))
    joints = mgcn.lift(points, float(np.nanquantile(legs, cand.LEG_QUANTILE)), weights)
    out = {}
    for side in cand.SIDES:
        a, b, c = cand._lifted_indices("knee", side)
        values = cand.flexion_from_segments(
            joints[:, a] - joints[:, b], joints[:, c] - joints[:, b]
        )
        out[side] = cand.gate(pt, values, "knee", side)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
    ap.add_argument("--data", type=Path, default=default)
    ap.add_argument("--models", default="heavy,full")
    ap.add_argument("--cache", type=Path, default=angles.DEFAULT_CACHE)
    a = ap.parse_args()
    weights = fetch.weights_path()
    cfg = json.loads(angles.CLIPS.read_text())["reference"]
    folder = a.data / cfg["folder"]
    cams = ref.read_qca(folder / cfg["calibration"])
    names = cfg["cameras"]
    static = angles._camera_tracks(folder, "static", names, cfg["reference_model"], a.cache)
    shifts = ref.pixel_offsets(cams, [t.landmarks for t in static], [t.size for t in static])
    angles._OFFSETS["px"] = shifts
    balancing = angles._camera_tracks(folder, "balancing", names, cfg["reference_model"], a.cache)
    points = angles._triangulate(cams, balancing).points
    up = np.nanmedian((points[:, 11] + points[:, 12] - points[:, 27] - points[:, 28]) / 2, axis=0)
    up /= np.linalg.norm(up)
    reference = {s: cand.flexion(points, "knee", s) for s in cand.SIDES}
    for model in a.models.split(","):
        for trial in ("balancing", "static"):
            cells = []
            for i, (cam, track) in enumerate(
                zip(cams, angles._camera_tracks(folder, trial, names, model, a.cache), strict=True)
            ):
                pt = angles.product_track(track)
                lv = levelled(cam, shifts[i], track, up)
                lv = np.where(np.isfinite(pt.landmarks[..., :1]), lv, np.nan)
                for side, v in knee_values(pt, lv, weights).items():
                    figure = (
                        np.nanmean(np.abs(v - reference[side]))
                        if trial == "balancing"
                        else np.nanmedian(v)
                    )
                    cells.append(f"{cam.name} {side[0].upper()} {figure:.1f}")
            what = "MAE against the reference" if trial == "balancing" else "standing median"
            print(f"{model} {trial} ({what}): " + "; ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
