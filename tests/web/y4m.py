"""Turn a real recording into a .y4m file that Chromium plays as its fake webcam.

Chromium's `--use-file-for-fake-video-capture` reads uncompressed YUV4MPEG2 (4:2:0) and loops
it. We resample to a constant 30 fps by presentation time (phone clips are 24-30 fps), shrink
to a small width (the file is raw video: 480x270 is ~190 KB a frame), and optionally hold the
first frame for a lead-in, like a patient standing still while the page checks their setup.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def _even(n: float) -> int:
    return max(2, int(round(n / 2)) * 2)


def write_y4m(
    src: Path, dst: Path, *, width: int = 480, fps: int = 30, lead_in_s: float = 0.0
) -> float:
    """Write `src` as a y4m at `fps`; returns the duration in seconds of one loop."""
    cap = cv2.VideoCapture(str(src))
    if not cap.isOpened():
        raise ValueError(f"cannot open {src}")
    src_fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames: list[np.ndarray] = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        frames.append(image)
    cap.release()
    if not frames:
        raise ValueError(f"no frames in {src}")
    h0, w0 = frames[0].shape[:2]
    w = _even(min(width, w0))
    h = _even(h0 * w / w0)
    duration = len(frames) / src_fps
    n_out = int(round(duration * fps))
    n_lead = int(round(lead_in_s * fps))
    with open(dst, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        last = -1
        planes = b""
        for i in range(n_lead + n_out):
            j = 0 if i < n_lead else min(len(frames) - 1, int((i - n_lead) / fps * src_fps))
            if j != last:
                small = cv2.resize(frames[j], (w, h), interpolation=cv2.INTER_AREA)
                planes = cv2.cvtColor(small, cv2.COLOR_BGR2YUV_I420).tobytes()
                last = j
            f.write(b"FRAME\n")
            f.write(planes)
    return (n_lead + n_out) / fps
