"""Contact sheet of a clip: a grid of frames with their timestamps, for labelling reps by eye.

    python benchmarks/evalset/contact_sheet.py VIDEO OUT.png [--every 0.5] [--cols 8]
        [--width 240] [--start S] [--end S] [--crop X0,Y0,X1,Y1]

`--crop` keeps a part of each frame (fractions of its width and height): a small subject.

Only OpenCV and NumPy; run on a developer's machine, the output is never committed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np


def contact_sheet(
    video: Path,
    every_s: float,
    cols: int,
    width: int,
    start_s: float = 0.0,
    end_s: float | None = None,
    crop: tuple[float, float, float, float] | None = None,
) -> np.ndarray:
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    last = n / fps if end_s is None else min(end_s, n / fps)
    tiles = []
    t = start_s
    while t < last:
        cap.set(cv2.CAP_PROP_POS_FRAMES, int(round(t * fps)))
        ok, frame = cap.read()
        if not ok:
            break
        if crop:
            fh, fw = frame.shape[:2]
            x0, y0, x1, y1 = crop
            frame = frame[int(y0 * fh) : int(y1 * fh), int(x0 * fw) : int(x1 * fw)]
        h = int(frame.shape[0] * width / frame.shape[1])
        tile = cv2.resize(frame, (width, h))
        cv2.rectangle(tile, (0, 0), (74, 20), (0, 0, 0), -1)
        cv2.putText(tile, f"{t:6.2f}s", (2, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1)
        tiles.append(tile)
        t += every_s
    cap.release()
    if not tiles:
        raise SystemExit(f"{video}: no frames")
    h = max(x.shape[0] for x in tiles)
    tiles = [cv2.copyMakeBorder(x, 0, h - x.shape[0], 0, 0, cv2.BORDER_CONSTANT) for x in tiles]
    blank = np.zeros_like(tiles[0])
    rows = []
    for i in range(0, len(tiles), cols):
        row = tiles[i : i + cols]
        rows.append(row + [blank] * (cols - len(row)))
    return np.vstack([np.hstack(r) for r in rows])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--every", type=float, default=0.5, help="seconds between frames")
    ap.add_argument("--cols", type=int, default=8)
    ap.add_argument("--width", type=int, default=240, help="tile width in pixels")
    ap.add_argument("--start", type=float, default=0.0)
    ap.add_argument("--end", type=float, default=None)
    ap.add_argument("--crop", type=str, default=None, help="X0,Y0,X1,Y1 as fractions of the frame")
    a = ap.parse_args()
    crop = tuple(float(v) for v in a.crop.split(",")) if a.crop else None
    sheet = contact_sheet(a.video, a.every, a.cols, a.width, a.start, a.end, crop)  # type: ignore[arg-type]
    cv2.imwrite(str(a.out), sheet)
    print(f"{a.out}: {sheet.shape[1]}x{sheet.shape[0]}")


if __name__ == "__main__":
    main()
