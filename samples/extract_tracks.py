"""Regenerate samples/tracks/*.npz: run Coach's own MediaPipe pipeline over a few shared clips.

    python samples/extract_tracks.py                    # the clips in CLIPS, from ../shared/data
    python samples/extract_tracks.py --data DIR         # or $COACH_SHARED_DATA
    python samples/extract_tracks.py --clip formfit/squat --out /tmp/tracks
    python samples/extract_tracks.py --clinical         # CLINICAL: timed up-and-go and walks

`--clinical` takes its clips from ../shared/data/clinical_clips.json (hand-labelled times) and
runs the estimator the clinical protocols use for them, `coach.pipeline.guarded` (it stays on
the patient when an examiner is in view); it writes samples/tracks/clinical/, lighter: float16
landmarks and no world landmarks (the protocols read image landmarks only).

Only numbers leave the shared folder: per-frame landmarks estimated by `pose.sources.
VideoFileSource` + `pose.estimator.create_estimator("mediapipe")` (the same source and estimator
`coach analyze` uses), unfiltered (the One Euro filter runs when a track is scored, as in the
live pipeline). The videos themselves are never copied (other people's recordings).

Each .npz holds:
  lm          float32 (frames, 33, 4): x, y normalised to the image, z, visibility; NaN rows
              where no person was found
  world       float32 (frames, 33, 3): MediaPipe's world landmarks (metres, hip-centred),
              NaN rows where none; the 3-D joint angles at oblique views come from them
  t           float64 (frames,): each frame's presentation time in seconds (from the container)
  image_size  int32 (2,): width, height in pixels (needed to form true angles from x, y)
  fps         float64 (): the container's nominal frame rate
  meta        str (): JSON: clip id, exercise, view, ground truth, source, licence, the video's
              SHA-256, and the versions of everything that made the numbers
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's code, not another installed copy

import coach  # noqa: E402
from pose.estimator import create_estimator  # noqa: E402
from pose.landmarks import NUM_LANDMARKS  # noqa: E402
from pose.sources import VideoFileSource  # noqa: E402

# Clip id in ../shared/data/MANIFEST.json -> file name in samples/tracks/.
CLIPS: dict[str, str] = {
    "formfit/squat": "formfit_squat.npz",
    "formfit/curl": "formfit_curl.npz",
    "medflex/sls": "medflex_single_leg_stance.npz",
    "rehab_bme410/shoulder_abduction": "rehab_bme410_shoulder_abduction.npz",
    "medflex/bicep_curl": "medflex_bicep_curl.npz",
}
# clinical_clips.json id -> file name in samples/tracks/clinical/.
CLINICAL: dict[str, str] = {
    "tug_moeed/trial_1": "tug_moeed_trial_1.npz",
    "tug_moeed/trial_2": "tug_moeed_trial_2.npz",
    "gaitvision_koa/normal2": "gaitvision_koa_normal2.npz",
    "sports2d/demo4_walk": "sports2d_demo4_walk.npz",
    "frailty_vision/five_sts": "frailty_vision_five_sts.npz",
    "jump_height_calc/cmj_front": "jump_height_calc_cmj_front.npz",
    "quva/023_tuck_jumps": "quva_023_tuck_jumps.npz",
}
MODEL_COMPLEXITY = 1  # the "full" model shipped in the mediapipe 0.10.21 wheel
OUT_DIR = Path(__file__).resolve().parent / "tracks"
CLINICAL_DIR = OUT_DIR / "clinical"


def default_data_dir() -> Path:
    return Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def versions() -> dict[str, Any]:
    import cv2
    import mediapipe

    return {
        "coach": coach.__version__,
        "coach_commit": git_commit(),
        "mediapipe": mediapipe.__version__,
        "opencv": cv2.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def extract(
    video: Path, *, guard: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int], float]:
    """(landmarks (T, 33, 4) float32 with NaN rows, world landmarks (T, 33, 3) likewise,
    t (T,), (width, height), nominal fps). `guard`: keep to the patient when someone else
    is in view (coach.pipeline.guarded), as the clinical protocols run the model."""
    rows: list[np.ndarray] = []
    worlds: list[np.ndarray] = []
    times: list[float] = []
    estimator = create_estimator("mediapipe", model_complexity=MODEL_COMPLEXITY)
    if guard:
        from coach.pipeline import guarded

        estimator = guarded(estimator)
    try:
        with VideoFileSource(video) as source:
            info = source.info
            for frame, pose in estimator.track(source):
                times.append(frame.t)
                if pose is None:
                    rows.append(np.full((NUM_LANDMARKS, 4), np.nan, np.float32))
                else:
                    rows.append(pose.landmarks.astype(np.float32))
                if pose is None or pose.world is None:
                    worlds.append(np.full((NUM_LANDMARKS, 3), np.nan, np.float32))
                else:
                    worlds.append(pose.world.astype(np.float32))
            if source.truncated:
                read = source.frames_read
                print(f"warning: {video} ended early ({read} frames)", file=sys.stderr)
    finally:
        estimator.close()
    size = (info.width, info.height)
    return np.stack(rows), np.stack(worlds), np.asarray(times, np.float64), size, info.fps


def _manifest_clip(clip: dict[str, Any]) -> dict[str, Any]:
    """The meta fields of a MANIFEST.json clip."""
    return {
        "exercise": clip["exercise"],
        "source": clip["source"],
        "license": clip["license"],
    }


def _clinical_clip(clip: dict[str, Any]) -> dict[str, Any]:
    """The meta fields of a clinical_clips.json clip (its protocol is its kind)."""
    return {
        "kind": clip["kind"],
        "source": f"{clip['repo']}@{clip['rev'][:8]}:{clip['source_path']}",
        "license": clip["licence"],
        "how_labelled": clip.get("how_labelled", ""),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="shared data folder (MANIFEST.json)")
    ap.add_argument("--clip", action="append", help="clip id (repeatable; default: all of CLIPS)")
    ap.add_argument("--out", type=Path, default=None, help="output folder")
    ap.add_argument(
        "--clinical", action="store_true", help="the clinical clips (CLINICAL), guarded"
    )
    args = ap.parse_args(argv)

    data = args.data or default_data_dir()
    listing = data / ("clinical_clips.json" if args.clinical else "MANIFEST.json")
    if not listing.is_file():
        print(f"no {listing.name} in {data} (use --data or COACH_SHARED_DATA)", file=sys.stderr)
        return 2
    rows = json.loads(listing.read_text())
    clips = {c["id"]: c for c in (rows if args.clinical else rows["videos"])}
    names = CLINICAL if args.clinical else CLIPS
    wanted = args.clip or list(names)
    unknown = [c for c in wanted if c not in clips]
    if unknown:
        print(f"not in {listing.name}: {', '.join(unknown)}", file=sys.stderr)
        return 2
    out = args.out or (CLINICAL_DIR if args.clinical else OUT_DIR)
    out.mkdir(parents=True, exist_ok=True)
    tools = versions()
    for clip_id in wanted:
        clip = clips[clip_id]
        video = data / clip["video"]
        started = time.perf_counter()
        lm, world, t, (w, h), fps = extract(video, guard=args.clinical)
        found = int(np.isfinite(lm[:, :, 0]).all(axis=1).sum())
        meta = {
            "clip_id": clip_id,
            "video": Path(clip["video"]).name,
            "video_sha256": sha256(video),
            "view": clip["view"],
            "ground_truth": clip["ground_truth"],
            "note": clip.get("note", ""),
            **(_clinical_clip(clip) if args.clinical else _manifest_clip(clip)),
            "frames": int(len(lm)),
            "frames_with_pose": found,
            "extractor": {
                "script": "samples/extract_tracks.py" + (" --clinical" if args.clinical else ""),
                "source": "pose.sources.VideoFileSource",
                "estimator": ("coach.pipeline.guarded(" if args.clinical else "")
                + "pose.mediapipe_backend.MediaPipePoseEstimator"
                + (")" if args.clinical else ""),
                "model_complexity": MODEL_COMPLEXITY,
                "filtered": False,
                **tools,
            },
        }
        path = out / names.get(clip_id, clip_id.replace("/", "_") + ".npz")
        arrays: dict[str, np.ndarray] = {"lm": lm.astype(np.float16) if args.clinical else lm}
        if not args.clinical:
            arrays["world"] = world
        np.savez_compressed(
            path,
            **arrays,
            t=t,
            image_size=np.array([w, h], np.int32),
            fps=np.float64(fps),
            meta=np.array(json.dumps(meta, sort_keys=True)),
        )
        took = time.perf_counter() - started
        print(
            f"{clip_id}: {len(lm)} frames ({found} with a pose), {w}x{h} @ {fps:.2f} fps "
            f"-> {path} ({path.stat().st_size / 1024:.0f} KiB, {took:.1f} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
