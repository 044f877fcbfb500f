"""Score a stored landmark track and print what the engine found: reps, holds, faults.

    python samples/score_track.py                                   # the squat sample
    python samples/score_track.py samples/tracks/formfit_curl.npz
    python samples/score_track.py samples/tracks/formfit_squat.npz \\
        --exercise samples/exercises/chair_squat_partial.toml

No model runs: the track (made by samples/extract_tracks.py) already holds MediaPipe's landmarks,
so this takes well under a second. Each frame goes through the same One Euro landmark filter
(pose.filters.LandmarkFilter) and ExerciseEngine as `coach analyze`. `--exercise` takes a library
id or a definition file; the default is the exercise the clip was labelled with.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's code, not another installed copy

# Coach's modules used here, in one place: fix these lines if a module moves.
from coach.offline.analysis import landmarks_track, score_track  # noqa: E402
from exercises import Exercise, load_exercise, load_file  # noqa: E402
from pose.types import Pose  # noqa: E402
from scoring.engine import ExerciseEngine  # noqa: E402

DEFAULT_TRACK = Path(__file__).resolve().parent / "tracks" / "formfit_squat.npz"


def load_track(path: Path) -> tuple[np.ndarray, np.ndarray, tuple[int, int], dict[str, Any]]:
    """(landmarks (T, 33, 4), t (T,), (width, height), meta) of a samples/tracks/*.npz."""
    with np.load(path, allow_pickle=False) as data:
        lm = data["lm"]
        t = data["t"]
        w, h = (int(v) for v in data["image_size"])
        meta = json.loads(str(data["meta"]))
    return lm, t, (w, h), meta


def load_world(path: Path) -> np.ndarray | None:
    """The track's world landmarks (T, 33, 3), or None for a track made without them."""
    with np.load(path, allow_pickle=False) as data:
        return data.get("world")


def poses(
    lm: np.ndarray, t: np.ndarray, size: tuple[int, int], world: np.ndarray | None = None
) -> list[tuple[float, Pose | None]]:
    """[(t, Pose or None)] with the frames' own timestamps (some phone videos are VFR)."""
    return landmarks_track(lm, 1.0, size, world, t)


def resolve_exercise(spec: str) -> Exercise:
    """A library id, or a path to a definition file (.toml)."""
    if spec.endswith(".toml") or Path(spec).is_file():
        return load_file(spec)
    return load_exercise(spec)


def report(engine: ExerciseEngine, meta: dict[str, Any], duration_s: float) -> str:
    ex = engine.exercise
    lines = [
        f"clip      {meta['clip_id']} ({meta['view']} view; source {meta['source']}, "
        f"licence {meta['license']})",
        f"exercise  {ex.id} ({ex.name}, {ex.kind})",
        f"frames    {engine.frames} ({engine.frames_with_pose} with a pose), {duration_s:.1f} s",
    ]
    gt = meta.get("ground_truth", {})
    if "reps" in gt:
        lines.append(f"expected  {gt['reps']} reps (accepted {gt['accept'][0]}-{gt['accept'][1]})")
    elif "hold_s" in gt:
        lo, hi = gt["accept_hold_s"]
        lines.append(
            f"expected  a hold of {gt['hold_s']} s (accepted {lo}-{hi}), "
            f"{gt.get('touch_downs', 0)} touch-downs"
        )
    if ex.rep is not None:
        unit = ex.rep.report or ex.rep.measure
        lines.append(f"reps      {len(engine.reps)}  (range and peak: {unit})")
        for r in engine.reps:
            side = f" {r.side}" if r.side else ""
            faults = ", ".join(r.faults) if r.faults else "none"
            angle = (
                f"range {r.rom_deg:5.1f} deg  peak {r.peak_deg:5.1f} deg"
                if r.measured
                else f"angle not measured ({r.confidence_reason})"  # e.g. "view": turned
            )
            lines.append(
                f"  rep {r.index}{side}: {r.start_s:5.2f}-{r.end_s:5.2f} s  "
                f"{angle}  score {r.score:5.1f}  faults: {faults}"
            )
    if ex.hold is not None or engine.holds:
        lines.append(f"holds     {len(engine.holds)}")
        for hd in engine.holds:
            lines.append(
                f"  hold: {hd.start_s:5.2f}-{hd.end_s:5.2f} s  {hd.duration_s:.2f} s  "
                f"sway {hd.sway:.3f} body heights  touch-downs {hd.touch_downs}"
            )
    lines.append(f"faults    {len(engine.faults)}")
    for f in engine.faults:
        where = f"rep {f.rep}" if f.rep is not None else "outside reps"
        side = f", {f.side}" if f.side else ""
        lines.append(f"  {f.t:5.2f} s  {f.id} ({where}{side}): {f.message} -> cue: {f.cue}")
    for vw in engine.view_warnings:
        lines.append(f"warning   camera view: {vw.message}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("track", nargs="?", type=Path, default=DEFAULT_TRACK, help="a .npz track")
    ap.add_argument("--exercise", help="library id or .toml file (default: the clip's exercise)")
    args = ap.parse_args(argv)

    lm, t, size, meta = load_track(args.track)
    exercise = resolve_exercise(args.exercise or meta["exercise"])
    engine = score_track(exercise, poses(lm, t, size, load_world(args.track)), size)
    duration_s = float(t[-1]) if len(t) else 0.0
    print(report(engine, meta, duration_s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
