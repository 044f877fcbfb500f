"""A stand-in for MediaPipe's web build in the live page (`window.Pose`) that replays a clip's
stored landmarks, for browser tests of the page's on-device mode where the in-page model is
not the subject: headless Chromium draws the real one's WebGL in software (SwiftShader), at
1-3 s a frame and both cores busy. tests/web/test_device_pose.py runs the real one end to end.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from pose.landmarks import Landmark
from tests.helpers.data import manifest_entry

# The page's loader (web/static/device_pose.js) loads no pose.js when `window.Pose` is there;
# everything else (the assets check, the WebGL check, the start on a blank frame, `detect` on
# each camera frame) is the page's own. `reset` (after the blank frame) starts the replay over.
REPLAY = """
(() => {
  const TRACK = %(track)s;
  const FPS = %(fps)s;
  let started = null;
  window.Pose = class {
    constructor() { this.results = () => {}; }
    setOptions() {}
    onResults(callback) { this.results = callback; }
    async initialize() {}
    reset() { started = null; }
    async send() {
      if (started === null) started = performance.now();
      const row = TRACK[Math.floor((performance.now() - started) / 1000 * FPS) %% TRACK.length];
      const found = row && row.map(([x, y, z, visibility]) => ({ x, y, z, visibility }));
      this.results({ poseLandmarks: found });
    }
    close() {}
  };
})();
"""


def replaying_pose(landmarks: np.ndarray, fps: float, lead_in_s: float = 0.0) -> str:
    """An init script: `window.Pose` answering each frame with the stored landmarks (frames x
    33 x [x, y, z, visibility], image-normalised as MediaPipe's) at the time since its first
    frame, looping; the first frame held for `lead_in_s` first (the patient still while the
    setup check runs). A frame without a person (NaN) is none found."""
    held = np.repeat(landmarks[:1], int(round(lead_in_s * fps)), axis=0)
    frames = np.concatenate([held, landmarks]).astype(np.float64)
    rows = [None if np.isnan(f).any() else np.round(f, 4).tolist() for f in frames]
    return REPLAY % {"track": json.dumps(rows), "fps": repr(float(fps))}


def clip_pose(shared_data: Path, clip_id: str, lead_in_s: float = 0.0) -> str:
    """`replaying_pose` for a clip of the shared data: its stored MediaPipe landmarks at the
    video's frame rate."""
    entry = manifest_entry(shared_data, clip_id)
    landmarks = np.load(shared_data / entry["landmarks"])["lm"]
    fps = cv2.VideoCapture(str(shared_data / entry["video"])).get(cv2.CAP_PROP_FPS)
    return replaying_pose(landmarks, fps, lead_in_s)


# A patient who sits still and, a human reaction after each target is drawn, moves the named
# hand's wrist onto it in a short straight reach, and back to rest once it is gone: every
# target is touched (the server's engine decides so, from these landmarks), so a task ends
# in seconds, not in its misses' timeouts. It reads where the page drew the target (the
# targets canvas's data-target/-hand/-x/-y, mirrored back when the picture is a mirror).
REACH = """
(() => {
  const STILL = %(still)s;
  const WRIST = { left: 15, right: 16 }; // MediaPipe's LEFT_WRIST, RIGHT_WRIST
  const REACT_MS = %(react_ms)s;
  const REACH_MS = %(reach_ms)s;
  let reach = null;
  window.Pose = class {
    constructor() { this.results = () => {}; }
    setOptions() {}
    onResults(callback) { this.results = callback; }
    async initialize() {}
    reset() { reach = null; }
    async send() {
      const lm = STILL.map(([x, y, z, visibility]) => ({ x, y, z, visibility }));
      const c = document.getElementById('targets-canvas');
      const d = c ? c.dataset : {};
      if (d.target !== undefined && d.x !== undefined && WRIST[d.hand] !== undefined) {
        const now = performance.now();
        if (!reach || reach.index !== d.target) reach = { index: d.target, at: now };
        const mirrored = document.getElementById('media').classList.contains('mirrored');
        const x = mirrored ? 1 - Number(d.x) : Number(d.x);
        const wrist = lm[WRIST[d.hand]];
        const f = Math.min(1, Math.max(0, (now - reach.at - REACT_MS) / REACH_MS));
        wrist.x += (x - wrist.x) * f;
        wrist.y += (Number(d.y) - wrist.y) * f;
      } else {
        reach = null;
      }
      this.results({ poseLandmarks: lm });
    }
    close() {}
  };
})();
"""


def reaching_pose(
    shared_data: Path, clip_id: str, react_s: float = 0.25, reach_s: float = 0.35
) -> str:
    """An init script: `window.Pose` answering each frame with a pose of the clip held still
    (its hands lowest while both wrists are well seen in the picture), but for the reach to
    the target drawn now (`REACH`): `react_s` after it is drawn, taking `reach_s`."""
    entry = manifest_entry(shared_data, clip_id)
    landmarks = np.load(shared_data / entry["landmarks"])["lm"]
    wrists = landmarks[:, [int(Landmark.LEFT_WRIST), int(Landmark.RIGHT_WRIST)]]
    seen = ~np.isnan(landmarks).any(axis=(1, 2)) & (wrists[:, :, 3] > 0.9).all(axis=1)
    seen &= (wrists[:, :, 1] < 1).all(axis=1)
    still = landmarks[int(np.argmax(np.where(seen, wrists[:, :, 1].mean(axis=1), -np.inf)))]
    return REACH % {
        "still": json.dumps(np.round(still.astype(np.float64), 4).tolist()),
        "react_ms": repr(react_s * 1000),
        "reach_ms": repr(reach_s * 1000),
    }
