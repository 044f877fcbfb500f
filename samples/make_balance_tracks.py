"""The four-stage balance test as one continuous recording, made from real standing.

    python samples/make_balance_tracks.py [--data ../shared/data]   # refresh the source frames

No public recording of the semi-tandem and tandem stances was found, so these tracks are
made from a real one (../shared/data/landmarks/yoga_tree__tree.mp4.mp_landmarks.npz: a woman
filmed from the front, MediaPipe landmarks of every frame, 23.976 fps) by placing real feet:

- side by side: her real stance with the feet together (12.0-18.2 s), played forwards then
  backwards to last 11 s (every pose is a real one; the sway is hers);
- semi-tandem and tandem: the same frames with the right foot's landmarks (ankle, heel, toes;
  the knee by half as much) moved by a constant offset: towards the left foot (ankles 0.35 and
  0.05 hip widths apart across the picture) and forwards (lower in the picture by 0.03 and
  0.06 leg lengths, nearer the camera in depth), so each foot keeps its own real jitter;
- one leg: her real single-leg stance (27.5-38.5 s), moved so that her standing foot stands
  where the tandem stance's was;
- between stances the moved foot travels in 0.6 s along a low arc (lifted 0.08 leg lengths
  at mid-way), the one synthetic motion, as a patient's foot does when they change stance.

Two tracks, made when asked for (`made_track(name)`, milliseconds): "all" (each stance held
11 s: all four stages pass) and "tandem_fails" (the tandem stance ends after 6 s with a step
back out to the side: stage 3 fails, increased fall risk), each with every stance's start and
end (the ground truth). Only the real source frames are stored
(samples/tracks/clinical/yoga_tree_stances.npz, float16, 75 KB); `main` refreshes them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
STORED = REPO / "samples" / "tracks" / "clinical" / "yoga_tree_stances.npz"
MADE = {"all": 11.0, "tandem_fails": 6.0}  # name -> how long the tandem stance is held
SOURCE = "landmarks/yoga_tree__tree.mp4.mp_landmarks.npz"
FPS = 24000 / 1001
SIZE = (1280, 720)
STANDING_S = (12.0, 18.2)
ONE_LEG_S = (27.5, 38.5)
HOLD_S = 11.0
MOVE_S = 0.6
LIFT = 0.08  # leg lengths, the moving foot's arc at mid-way
# Right ankle, heel, toes, and the knee (which follows by half).
FOOT = [28, 30, 32]
KNEE = 26
# (ankles apart across the picture in hip widths, forward in leg lengths); "wide": a step out.
STANCES = {"semi_tandem": (0.35, 0.03), "tandem": (0.05, 0.06), "wide": (1.0, 0.0)}


def _held(frames: np.ndarray, seconds: float) -> np.ndarray:
    """Frames played forwards and backwards until `seconds` long (real poses only)."""
    n = int(round(seconds * FPS))
    loop = np.concatenate([frames, frames[::-1]])
    reps = int(np.ceil(n / len(loop)))
    return np.concatenate([loop] * reps)[:n]


def _scale(frames: np.ndarray) -> tuple[float, float]:
    """(hip width across the picture, leg length) in normalised image units, medians."""
    hips = np.abs(frames[:, 23, 0] - frames[:, 24, 0])
    leg = np.hypot(*(frames[:, 24, :2] - frames[:, 26, :2]).T) + np.hypot(
        *(frames[:, 26, :2] - frames[:, 28, :2]).T
    )
    return float(np.median(hips)), float(np.median(leg))


def _offset(frames: np.ndarray, stance: str) -> np.ndarray:
    """The right foot's (x, y, z) offset for a stance, from the side-by-side frames."""
    apart, forward = STANCES[stance]
    hip_width, leg = _scale(frames)
    now = float(np.median(frames[:, 28, 0] - frames[:, 27, 0]))  # right ankle minus left
    target = apart * hip_width * np.sign(now)
    return np.array([target - now, forward * leg, -forward * leg * 2])


def _placed(frames: np.ndarray, offset: np.ndarray) -> np.ndarray:
    out = frames.copy()
    out[:, FOOT, :3] += offset
    out[:, KNEE, :3] += offset / 2
    return out


def _step(last: np.ndarray, start: np.ndarray, end: np.ndarray, leg: float) -> np.ndarray:
    """The right foot moved from offset `start` to `end` over MOVE_S, on `last`'s pose."""
    n = int(round(MOVE_S * FPS))
    out = []
    for k in range(1, n + 1):
        f = k / (n + 1)
        offset = start + f * (end - start)
        pose = _placed(last[None], offset)[0]
        pose[FOOT, 1] -= LIFT * leg * np.sin(np.pi * f)
        out.append(pose)
    return np.stack(out)


def _blend(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MOVE_S of poses blended from `a` to `b` (lifting into the one-leg stance)."""
    n = int(round(MOVE_S * FPS))
    return np.stack([a + (b - a) * (k / (n + 1)) for k in range(1, n + 1)])


def build(
    standing: np.ndarray, one_leg: np.ndarray, tandem_s: float
) -> tuple[np.ndarray, list[dict[str, object]]]:
    """The continuous recording and each stance's (start, end) in it."""
    _, leg = _scale(standing)
    parts: list[np.ndarray] = []
    truth: list[dict[str, object]] = []

    def add(stage: str, frames: np.ndarray) -> None:
        start = sum(len(p) for p in parts) / FPS
        parts.append(frames)
        truth.append({"stage": stage, "start_s": start, "end_s": start + len(frames) / FPS})

    held = _held(standing, HOLD_S)
    add("feet_together", held)
    base, before = held[-1], np.zeros(3)
    for stage in ("semi_tandem", "tandem"):
        after = _offset(standing, stage)
        parts.append(_step(base, before, after, leg))
        held = _held(standing, tandem_s if stage == "tandem" else HOLD_S)
        add(stage, _placed(held, after))
        base, before = held[-1], after
    if tandem_s < HOLD_S:  # a step back out to the side: the tandem stance is lost
        wide = _offset(standing, "wide")
        parts.append(_step(base, before, wide, leg))
        parts.append(_placed(_held(standing, 3.0), wide))
        return np.concatenate(parts), truth
    one_leg = one_leg.copy()
    shift = parts[-1][-1][28, :3] - one_leg[0][28, :3]
    one_leg[:, :, :3] += shift
    parts.append(_blend(parts[-1][-1], one_leg[0]))
    add("single_leg", one_leg)
    return np.concatenate(parts), truth


def made_track(name: str) -> tuple[np.ndarray, np.ndarray, tuple[int, int], dict[str, object]]:
    """(landmarks (T, 33, 4), t (T,), image size, meta with the ground truth) of a made track."""
    with np.load(STORED, allow_pickle=False) as d:
        standing, one_leg = d["standing"].astype(np.float64), d["one_leg"].astype(np.float64)
    track, truth = build(standing, one_leg, MADE[name])
    meta = {
        "clip_id": f"four_stage_made_{name}",
        "made_from": f"../shared/data/{SOURCE} (yoga_tree/tree, samthakur587/yogapose@945a0d70)",
        "view": "front",
        "ground_truth": {"stances": truth, "tandem_held_s": MADE[name]},
    }
    return track, np.arange(len(track)) / FPS, SIZE, meta


def _frames(lm: np.ndarray, span: tuple[float, float]) -> np.ndarray:
    a, b = (int(round(s * FPS)) for s in span)
    part = lm[a:b]
    return part[np.isfinite(part).all(axis=(1, 2))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
    ap.add_argument("--data", type=Path, default=default)
    args = ap.parse_args(argv)
    source = args.data / SOURCE
    if not source.is_file():
        print(f"no {SOURCE} in {args.data} (use --data or COACH_SHARED_DATA)", file=sys.stderr)
        return 2
    with np.load(source) as d:
        lm = d["lm"].astype(np.float64)
    STORED.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        STORED,
        standing=_frames(lm, STANDING_S).astype(np.float16),
        one_leg=_frames(lm, ONE_LEG_S).astype(np.float16),
        fps=np.float64(FPS),
        image_size=np.array(SIZE, np.int32),
        meta=np.array(
            json.dumps({"source": SOURCE, "standing_s": STANDING_S, "one_leg_s": ONE_LEG_S})
        ),
    )
    for name in MADE:
        track, t, _, _ = made_track(name)
        print(f"{name}: {len(track)} frames ({t[-1]:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
