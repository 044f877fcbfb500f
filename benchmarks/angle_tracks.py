"""Landmark tracks of real recordings for the angle benchmark, extracted once and cached.

The benchmark needs what the product sees: MediaPipe's image landmarks (33 x 4) and world
landmarks (33 x 3, metres) per frame, for the lite, full and heavy models. The stored tracks in
../shared/data/landmarks have no world landmarks, so this runs the real model (video mode, the
product's backend, no guard: one person per clip) and caches each track as an .npz under the
cache folder (never in the repository: the tracks are derived from other people's videos).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_CACHE = Path(os.environ.get("COACH_ANGLE_CACHE", "/tmp/coach-angle-bench"))
CACHE_VERSION = 1


@dataclass(frozen=True)
class Track:
    """One clip's raw model output: NaN rows where no person was found."""

    landmarks: np.ndarray  # (T, 33, 4) x, y normalised, z, visibility
    world: np.ndarray  # (T, 33, 3) metres, hip-centred
    t: np.ndarray  # (T,) seconds
    size: tuple[int, int]  # (width, height) pixels

    @property
    def aspect(self) -> float:
        return self.size[0] / self.size[1]

    def window(self, start_s: float, end_s: float) -> np.ndarray:
        """Frame indices with start_s <= t <= end_s."""
        return np.flatnonzero((self.t >= start_s) & (self.t <= end_s))


def _key(video: Path, model: str, max_s: float | None) -> str:
    st = video.stat()
    raw = f"{CACHE_VERSION}|{video.resolve()}|{st.st_size}|{int(st.st_mtime)}|{model}|{max_s}"
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def extract(video: Path, model: str = "full", max_s: float | None = None) -> Track:
    """Run MediaPipe (`model`: lite, full or heavy) over `video` (to `max_s` seconds)."""
    from pose.estimator import POSE_MODELS
    from pose.mediapipe_backend import MediaPipePoseEstimator
    from pose.sources import VideoFileSource

    lms, worlds, times = [], [], []
    size = (0, 0)
    with (
        VideoFileSource(video) as source,
        MediaPipePoseEstimator(model_complexity=POSE_MODELS.index(model)) as est,
    ):
        for frame in source:
            if max_s is not None and frame.t > max_s:
                break
            size = frame.size
            pose = est.estimate(frame)
            times.append(frame.t)
            if pose is None:
                lms.append(np.full((33, 4), np.nan, np.float32))
                worlds.append(np.full((33, 3), np.nan, np.float32))
            else:
                lms.append(pose.landmarks)
                w = pose.world if pose.world is not None else np.full((33, 3), np.nan)
                worlds.append(w.astype(np.float32))
    return Track(np.array(lms), np.array(worlds), np.array(times), size)


def load(
    video: Path, model: str = "full", cache: Path = DEFAULT_CACHE, max_s: float | None = None
) -> Track:
    """The cached track of `video` with `model`, extracting it on first use."""
    path = cache / f"{video.parent.name}__{video.stem}__{model}__{_key(video, model, max_s)}.npz"
    if path.is_file():
        z = np.load(path)
        return Track(z["landmarks"], z["world"], z["t"], (int(z["size"][0]), int(z["size"][1])))
    started = time.perf_counter()
    track = extract(video, model, max_s)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp, landmarks=track.landmarks, world=track.world, t=track.t, size=np.array(track.size)
    )
    os.replace(tmp, path)
    took = time.perf_counter() - started
    print(f"  extracted {video.name} ({model}, {len(track.t)} frames) in {took:.0f} s", flush=True)
    return track
