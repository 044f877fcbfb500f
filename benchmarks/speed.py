"""Speed benchmark for `coach analyze`: prints figures from one run (no pass/fail).

  python benchmarks/speed.py [VIDEO] [--exercise ID] [--repeat N]

1. raw MediaPipe: decoded frames held in memory, estimator only -> frames per second
2. full pipeline on the same frames: estimator + landmark filter + exercise engine
3. their ratio (target >= 0.9)
4. the scoring core alone (filter + engine) per frame on the stored landmark track (target < 1 ms)
5. `analyze_video` end to end (decoding included) and peak memory (max RSS)
Medians over --repeat runs of each stage; the machine is shared, so read ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from pathlib import Path

import numpy as np

from coach.offline.analysis import analyze_video, landmarks_track
from coach.pipeline import FrameProcessor
from exercises import load_exercise
from pose.filters import LandmarkFilter
from pose.mediapipe_backend import MediaPipePoseEstimator
from pose.native_logs import quiet_native_logs
from pose.sources import VideoFileSource
from scoring.engine import ExerciseEngine

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
DEFAULT_CLIP = DATA / "videos" / "medflex" / "squat.MP4"
DEFAULT_TRACK = DATA / "landmarks" / "medflex__squat.MP4.mp_landmarks.npz"


def time_raw(frames: list) -> float:  # type: ignore[type-arg]
    with MediaPipePoseEstimator() as est:
        est.estimate(frames[0])  # graph start-up is not per-frame work
        t0 = time.perf_counter()
        for f in frames:
            est.estimate(f)
        return time.perf_counter() - t0


def time_pipeline(frames: list, exercise) -> float:  # type: ignore[no-untyped-def, type-arg]
    with MediaPipePoseEstimator() as est:
        est.estimate(frames[0])
        proc = FrameProcessor(exercise, est)
        t0 = time.perf_counter()
        for f in frames:
            proc.process(f)
        proc.finish()
        return time.perf_counter() - t0


def scoring_cost_ms(track_path: Path, exercise, fps: float, size: tuple[int, int]) -> float:  # type: ignore[no-untyped-def]
    lm = np.load(track_path)["lm"]
    track = landmarks_track(lm, fps, size)
    engine = ExerciseEngine(exercise, size[0] / size[1])
    lf = LandmarkFilter()
    costs = []
    for t, pose in track:
        t0 = time.perf_counter()
        p = lf(pose)
        engine.update(t, p.landmarks if p is not None else None)
        costs.append(time.perf_counter() - t0)
    return statistics.median(costs) * 1000


def main() -> None:
    quiet_native_logs()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("video", nargs="?", default=str(DEFAULT_CLIP))
    ap.add_argument("--track", default=str(DEFAULT_TRACK), help="stored landmarks of the clip")
    ap.add_argument("--exercise", default="squat")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    exercise = load_exercise(args.exercise)
    with VideoFileSource(args.video) as src:
        frames = list(src)
        info = src.info
    n = len(frames)
    print(f"clip: {args.video} ({n} frames, {info.width}x{info.height}, {info.fps:.1f} fps)")
    print(f"machine: {os.cpu_count()} cores; exercise: {exercise.id}; repeats: {args.repeat}")
    raw, full = [], []
    for _ in range(args.repeat):  # interleaved, so load changes hit both alike
        raw.append(time_raw(frames))
        full.append(time_pipeline(frames, exercise))
    raw_fps = n / statistics.median(raw)
    full_fps = n / statistics.median(full)
    print(f"raw MediaPipe:          {raw_fps:6.1f} fps  ({1000 / raw_fps:5.1f} ms/frame, median)")
    print(f"full analyze pipeline:  {full_fps:6.1f} fps  ({1000 / full_fps:5.1f} ms/frame, median)")
    print(f"ratio pipeline/raw:     {full_fps / raw_fps:6.3f}  (target >= 0.9)")
    if Path(args.track).is_file():
        cost = scoring_cost_ms(Path(args.track), exercise, info.fps, (info.width, info.height))
        print(f"scoring core per frame: {cost:6.3f} ms (filter + engine, median; target < 1 ms)")
    t0 = time.perf_counter()
    res = analyze_video(args.video, exercise)
    wall = time.perf_counter() - t0
    print(
        f"analyze_video end to end: {res.frames / wall:6.1f} fps incl. decoding and start-up "
        f"({wall:.2f} s, {res.rep_count} reps)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS):  {peak:6.0f} MiB (includes {n} decoded frames held for timing)")


if __name__ == "__main__":
    main()
