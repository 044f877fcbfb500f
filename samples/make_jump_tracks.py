"""Jump landings that no public recording we found shows, made from a real one.

The only front-view jump among the shared clips (samples/tracks/clinical/
jump_height_calc_cmj_front.npz: a countermovement jump, our pipeline's landmarks of
../shared/data clip jump_height_calc/cmj_front) lands with the knees roughly over the feet, and
no recording of a drop jump was found. Two tracks are made from its real frames, when asked
for (`made_track(name)`, milliseconds; nothing else is stored):

- "valgus": the same jump, its landing's knees moved towards each other across the picture
  (each by 0.35 of the hips' width at the landing's deepest point, in proportion to how far the
  hips have dropped below standing), as a knee caving in on landing does; every other landmark,
  the timing and the jitter are the real ones. Truth: one jump, the valgus fault on both knees.
- "drop_jump": standing on a box (her real standing frames, raised so that her feet stand as high
  as they were at the top of her jump), the drop (her real descent from that height to the
  landing), then a rebound (her real countermovement jump again, from the bottom of its dip),
  each segment shifted so that the feet stay where the previous one left them. Truth: two
  landings (the drop's and the rebound's), counted as one drop jump.

    python samples/make_jump_tracks.py          # prints each made track's truth and frames
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "samples" / "tracks" / "clinical" / "jump_height_calc_cmj_front.npz"
KNEES = (25, 26)
HIPS = (23, 24)
FEET = (27, 28, 29, 30, 31, 32)
# Seconds of the source (labelled: take-off 8.65 s, landing 9.255 s, flight 0.605 s).
STANDING_S = (2.0, 4.0)
APEX_S = 8.95  # the feet's highest point
LANDED_S = 9.9  # the landing absorbed, standing up again
DROP_LANDED_S = 9.6  # the drop's landing, at its deepest: the rebound's dip follows
DIP_S = (8.3, 8.65)  # the countermovement's dip, at its deepest, before the take-off
VALGUS_SHIFT = 0.35  # of the hips' width, at the landing's deepest point


def _source() -> tuple[np.ndarray, np.ndarray, tuple[int, int], float]:
    with np.load(SOURCE) as d:
        lm = d["lm"].astype(np.float64)
        w, h = (int(v) for v in d["image_size"])
        return d["t"].astype(np.float64), lm, (w, h), float(d["fps"])


def _span(t: np.ndarray, lm: np.ndarray, a: float, b: float) -> np.ndarray:
    return lm[(t >= a) & (t < b)].copy()


def _feet_y(frames: np.ndarray) -> np.ndarray:
    return np.nanmax(frames[:, FEET, 1], axis=1)


def _valgus(t: np.ndarray, lm: np.ndarray) -> np.ndarray:
    out = lm.copy()
    standing = np.nanmedian(lm[(t >= STANDING_S[0]) & (t < STANDING_S[1])][:, HIPS, 1])
    hips_y = lm[:, HIPS, 1].mean(axis=1)
    landing = (t > 9.2) & (t < LANDED_S + 0.3)
    drop = np.where(landing, np.clip(hips_y - standing, 0, None), 0.0)
    share = drop / drop.max()
    width = np.abs(lm[:, HIPS[0], 0] - lm[:, HIPS[1], 0])
    mid = lm[:, HIPS, 0].mean(axis=1)
    for knee in KNEES:
        towards = np.sign(mid - lm[:, knee, 0])
        out[:, knee, 0] += towards * VALGUS_SHIFT * width * share
    return out


def _drop_jump(t: np.ndarray, lm: np.ndarray) -> np.ndarray:
    apex = int(np.argmin(np.abs(t - APEX_S)))
    box = _span(t, lm, *STANDING_S)
    box[:, :, 1] += _feet_y(lm[apex : apex + 1])[0] - np.median(_feet_y(box))
    drop = _span(t, lm, APEX_S, DROP_LANDED_S)
    rebound = _span(t, lm, DIP_S[0], LANDED_S)
    rebound[:, :, 1] += np.median(_feet_y(drop[-3:])) - np.median(_feet_y(rebound[:3]))
    return np.concatenate([box, drop, rebound])


def made_track(name: str) -> tuple[np.ndarray, np.ndarray, tuple[int, int], dict[str, object]]:
    """(t, landmarks (T, 33, 4), image size, truth) of the made track `name`."""
    t, lm, size, fps = _source()
    if name == "valgus":
        return t, _valgus(t, lm), size, {"jumps": 1, "valgus": ["left", "right"]}
    if name == "drop_jump":
        made = _drop_jump(t, lm)
        return np.arange(len(made)) / fps, made, size, {"jumps": 1, "landings": 2}
    raise KeyError(f"no made jump track {name!r}: valgus, drop_jump")


def main() -> int:
    for name in ("valgus", "drop_jump"):
        t, lm, size, truth = made_track(name)
        print(f"{name}: {len(t)} frames, {t[-1]:.2f} s, {size[0]}x{size[1]}: {json.dumps(truth)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
