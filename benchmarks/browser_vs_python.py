"""How far the browser's MediaPipe Pose is from the server's, on the very same frames.

  COACH_VENDOR_DIR=... python benchmarks/browser_vs_python.py [CLIP ...] [--frames 60]
      [--stride 2] [--width 640]

Each clip is decoded once with OpenCV, resized to --width, and every --stride-th frame is fed,
in order, to both models:
- the browser: the patient page's own module (web/static/device_pose.js, i.e. @mediapipe/pose
  from /vendor/mediapipe-pose/ served by a real Coach server) in headless Chromium, each frame
  sent as a lossless PNG, drawn on a canvas and passed to `pose.send({image: canvas})`;
- Python: pose.mediapipe_backend.MediaPipePoseEstimator(model_complexity=1).
Both in tracking mode (frames in order, as from a camera), landmark smoothing off, the "full"
model. Prints, per clip, the median and 95th percentile distance between the two models' x, y
over all 33 landmarks of the frames where both found the person, in image-normalised units
(x / width, y / height) and as a share of the torso height (shoulder midpoint to hip
midpoint, from the Python result), and that p95 over the joints both models see (visibility
>= 0.5), the ones the page draws and the engine relies on. Headless Chromium draws WebGL in
software, 1-3 s a frame. Needs the assets (`coach assets fetch`) and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
DEFAULT_CLIPS = [
    DATA / "videos" / "medflex" / "squat.MP4",  # side view, squats
    DATA / "videos" / "rehab_bme410" / "shoulder_abduction.mp4",  # front view, arm raises
]
CHROMIUM = "/usr/bin/chromium"
L_SHOULDER, R_SHOULDER, L_HIP, R_HIP = 11, 12, 23, 24

LOAD_MODEL = """async () => {
  const m = await import('/static/device_pose.js');
  window.__pose = await m.loadDevicePose({ allowSoftware: true, timeoutMs: 180000 });
  window.__canvas = document.createElement('canvas');
}"""
DETECT = """async (url) => {
  const img = new Image();
  img.src = url;
  await img.decode();
  const c = window.__canvas;
  if (c.width !== img.naturalWidth || c.height !== img.naturalHeight) {
    c.width = img.naturalWidth; c.height = img.naturalHeight;
  }
  c.getContext('2d').drawImage(img, 0, 0);
  const r = await window.__pose.detect(c);
  return r.landmarks;
}"""


def read_frames(path: Path, count: int, stride: int, width: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SystemExit(f"cannot open {path}")
    frames: list[np.ndarray] = []
    i = 0
    while len(frames) < count:
        ok, image = cap.read()
        if not ok:
            break
        if i % stride == 0:
            h, w = image.shape[:2]
            size = (width, int(round(h * width / w / 2)) * 2)
            frames.append(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
        i += 1
    cap.release()
    return frames


def python_landmarks(frames: list[np.ndarray]) -> list[np.ndarray | None]:
    from pose.mediapipe_backend import MediaPipePoseEstimator
    from pose.types import Frame

    est = MediaPipePoseEstimator(model_complexity=1, smooth_landmarks=False)
    try:
        out: list[np.ndarray | None] = []
        for i, image in enumerate(frames):
            p = est.estimate(Frame(image=image, t=i / 30.0, index=i))
            out.append(None if p is None else p.landmarks.astype(np.float64))
        return out
    finally:
        est.close()


def browser_landmarks(page: Any, frames: list[np.ndarray]) -> list[np.ndarray | None]:
    page.evaluate("() => window.__pose.pose.reset()")  # a new clip: detect afresh
    out: list[np.ndarray | None] = []
    for image in frames:
        ok, png = cv2.imencode(".png", image)
        assert ok
        url = "data:image/png;base64," + base64.b64encode(png.tobytes()).decode("ascii")
        rows = page.evaluate(DETECT, url)
        out.append(None if rows is None else np.asarray(rows, dtype=np.float64))
    return out


def compare(
    py: list[np.ndarray | None], web: list[np.ndarray | None], size: tuple[int, int]
) -> dict[str, float]:
    w, h = size
    dists, torso_share, seen_share = [], [], []
    both = only_py = only_web = 0
    for a, b in zip(py, web, strict=True):
        if a is None or b is None:
            only_py += a is not None
            only_web += b is not None
            continue
        both += 1
        d = np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1])  # image-normalised units
        px = np.hypot((a[:, 0] - b[:, 0]) * w, (a[:, 1] - b[:, 1]) * h)
        shoulders = (a[L_SHOULDER, :2] + a[R_SHOULDER, :2]) / 2 * (w, h)
        hips = (a[L_HIP, :2] + a[R_HIP, :2]) / 2 * (w, h)
        torso = float(np.hypot(*(shoulders - hips)))
        dists.extend(d.tolist())
        torso_share.extend((px / torso * 100).tolist())
        seen = (a[:, 3] >= 0.5) & (b[:, 3] >= 0.5)  # both models see the joint
        seen_share.extend((px[seen] / torso * 100).tolist())
    if not dists:
        return {"both": 0, "only_python": only_py, "only_browser": only_web}
    return {
        "both": both,
        "only_python": only_py,
        "only_browser": only_web,
        "median": float(np.median(dists)),
        "p95": float(np.percentile(dists, 95)),
        "median_torso_pct": float(np.median(torso_share)),
        "p95_torso_pct": float(np.percentile(torso_share, 95)),
        "p95_seen_torso_pct": float(np.percentile(seen_share, 95)) if seen_share else float("nan"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", nargs="*", type=Path, default=DEFAULT_CLIPS)
    ap.add_argument("--frames", type=int, default=60, help="frames per clip (default 60)")
    ap.add_argument("--stride", type=int, default=2, help="use every Nth decoded frame")
    ap.add_argument("--width", type=int, default=640, help="resize frames to this width")
    args = ap.parse_args()

    sys.path.insert(0, str(REPO))
    from playwright.sync_api import sync_playwright

    from coach import assets
    from pose.native_logs import quiet_native_logs
    from web.app import create_app
    from web.server import BackgroundServer

    quiet_native_logs()
    if not assets.status()["available"]:
        raise SystemExit(f"no MediaPipe web build in {assets.pose_dir()}: coach assets fetch")
    with BackgroundServer(create_app(max_active=1)) as server, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--headless=new", "--no-sandbox"]
        )
        page = browser.new_page()
        page.set_default_timeout(300_000)
        page.goto(f"{server.url}/")
        t0 = time.perf_counter()
        page.evaluate(LOAD_MODEL)
        print(f"browser model ready in {time.perf_counter() - t0:.1f} s")
        header = (
            f"{'clip':<36} {'frames':>6} {'both':>5} {'median':>8} {'p95':>8} "
            f"{'median %torso':>13} {'p95 %torso':>10} {'p95 %torso seen':>15}"
        )
        print(header)
        for clip in args.clips:
            frames = read_frames(clip, args.frames, args.stride, args.width)
            size = (frames[0].shape[1], frames[0].shape[0])
            t0 = time.perf_counter()
            web = browser_landmarks(page, frames)
            web_s = (time.perf_counter() - t0) / len(frames)
            py = python_landmarks(frames)
            r = compare(py, web, size)
            name = f"{clip.parent.name}/{clip.name}"
            if not r["both"]:
                print(f"{name:<36} {len(frames):>6} {0:>5}  no frame where both found a pose")
                continue
            print(
                f"{name:<36} {len(frames):>6} {r['both']:>5} {r['median']:>8.4f} "
                f"{r['p95']:>8.4f} {r['median_torso_pct']:>12.1f}% {r['p95_torso_pct']:>9.1f}%"
                f" {r['p95_seen_torso_pct']:>14.1f}%"
                f"   ({size[0]}x{size[1]}, pose found only by Python {r['only_python']}, only"
                f" by the browser {r['only_browser']}; browser {web_s:.1f} s a frame)"
            )
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
