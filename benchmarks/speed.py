"""Speed of `coach analyze` against the loop a user would write: whole processes, same clip.

  python benchmarks/speed.py [VIDEO] [--exercise ID] [--model M] [--repeat N] [--smoke]

Each round runs three processes on VIDEO, one after the other, in an order that rotates from
round to round (so a change in the machine's load hits each alike):

  plain     benchmarks/plain_loop.py VIDEO: OpenCV decoding + MediaPipe Pose, nothing else
  analyze   coach analyze VIDEO -e ID --json: the command as users run it (guard on)
  no guard  the same command with the second-person guard (pose/guard.py) switched off

Whole processes, start-up and decoding included, because that is what a user waits for.
Printed: per round the wall and CPU seconds of each and the ratios, then medians: `analyze`'s
speed relative to the plain loop (plain wall / analyze wall: above 1 is faster), with the
guard and without, and the guard's own cost (analyze / no guard - 1); the load average
before and after; and the scoring core alone (filter + engine) per frame on the clip's
stored landmark track. `--smoke`: the first frames of VIDEO, scaled down, one round (the
test suite runs it so that the script keeps working).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
DEFAULT_CLIP = DATA / "videos" / "medflex" / "squat.MP4"
DEFAULT_TRACK = DATA / "landmarks" / "medflex__squat.MP4.mp_landmarks.npz"

# `coach analyze` with the guard off: the same command, `coach.pipeline.guarded` a no-op.
_NO_GUARD = (
    "import sys; import coach.pipeline as p; p.guarded = lambda estimator: estimator; "
    "from coach.cli import main; sys.exit(main(sys.argv[1:]))"
)


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    frames: int


def commands(video: Path, exercise: str, model: str) -> dict[str, list[str]]:
    analyze = ["analyze", str(video), "-e", exercise, "--json", "--compact", "-q"]
    analyze += ["--model", model]
    return {
        "plain": [sys.executable, str(REPO / "benchmarks" / "plain_loop.py"), str(video)]
        + ["--model", model],
        "analyze": [sys.executable, "-m", "coach.cli", *analyze],
        "no guard": [sys.executable, "-c", _NO_GUARD, *analyze],
    }


def run_once(cmd: list[str]) -> Run:
    """One process to its end: wall and CPU seconds (its threads included), frames read."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=REPO, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 3):  # 3: no person found, still a whole analysis
        raise SystemExit(f"{cmd} failed ({done.returncode}): {done.stderr[-2000:]}")
    out = done.stdout.strip()  # analyze: its JSON; the plain loop: "N frames, ..."
    frames = int(json.loads(out).get("frames", 0)) if out.startswith("{") else int(out.split()[0])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, frames)


def scoring_cost_ms(track_path: Path, exercise_id: str, fps: float, size: tuple[int, int]) -> float:
    """The scoring core alone (One Euro filter + engine), median ms a frame, on a stored track."""
    from coach.offline.analysis import landmarks_track
    from exercises import load_exercise
    from pose.filters import LandmarkFilter
    from scoring.engine import ExerciseEngine

    track = landmarks_track(np.load(track_path)["lm"], fps, size)
    engine = ExerciseEngine(load_exercise(exercise_id), size[0] / size[1])
    lf = LandmarkFilter()
    costs = []
    for t, pose in track:
        t0 = time.perf_counter()
        p = lf(pose)
        engine.update(t, p.landmarks if p is not None else None)
        costs.append(time.perf_counter() - t0)
    return statistics.median(costs) * 1000


def smoke_clip(video: Path, folder: Path, frames: int = 12, width: int = 320) -> Path:
    """The first `frames` frames of `video`, `width` pixels wide, as a small mp4."""
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    out_path = folder / "smoke.mp4"
    writer = None
    for _ in range(frames):
        ok, image = cap.read()
        if not ok:
            break
        h, w = image.shape[:2]
        image = cv2.resize(image, (width, h * width // w))
        if writer is None:
            size = (image.shape[1], image.shape[0])
            writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        writer.write(image)
    cap.release()
    if writer is None:
        raise SystemExit(f"cannot read {video}")
    writer.release()
    return out_path


def rounds(cmds: dict[str, list[str]], repeat: int) -> list[dict[str, Run]]:
    names = list(cmds)
    results = []
    for i in range(repeat):
        order = names[i % len(names) :] + names[: i % len(names)]
        runs = {name: run_once(cmds[name]) for name in order}
        frames = {r.frames for r in runs.values()}
        if len(frames) != 1:
            raise SystemExit(f"the processes did not read the same frames: {runs}")
        results.append(runs)
        p, a, n = (runs[k] for k in ("plain", "analyze", "no guard"))
        print(
            f"round {i + 1} ({', '.join(order)}): wall plain {p.wall_s:.2f} s, analyze "
            f"{a.wall_s:.2f} s, no guard {n.wall_s:.2f} s; CPU {p.cpu_s:.2f} / {a.cpu_s:.2f} / "
            f"{n.cpu_s:.2f} s; analyze at {p.wall_s / a.wall_s:.3f}x the plain loop "
            f"({p.wall_s / n.wall_s:.3f}x without the guard), guard {a.wall_s / n.wall_s - 1:+.1%}",
            flush=True,
        )
    return results


def summary(results: list[dict[str, Run]]) -> None:
    def med(values: list[float]) -> float:
        return statistics.median(values)

    on = med([r["plain"].wall_s / r["analyze"].wall_s for r in results])
    off = med([r["plain"].wall_s / r["no guard"].wall_s for r in results])
    guard = med([r["analyze"].wall_s / r["no guard"].wall_s - 1 for r in results])
    cpu_on = med([r["plain"].cpu_s / r["analyze"].cpu_s for r in results])
    cpu_guard = med([r["analyze"].cpu_s / r["no guard"].cpu_s - 1 for r in results])
    for name in ("plain", "analyze", "no guard"):
        wall = med([r[name].wall_s for r in results])
        cpu = med([r[name].cpu_s for r in results])
        print(f"median {name:9s} wall {wall:6.2f} s  CPU {cpu:6.2f} s")
    print(f"analyze / plain loop, guard on:  {on:.3f}x  (target >= 1.0; median of the rounds)")
    print(f"analyze / plain loop, guard off: {off:.3f}x")
    print(f"the guard's cost (wall):         {guard:+.1%}  (target <= 3%)")
    print(f"CPU: analyze at {cpu_on:.3f}x the plain loop's CPU efficiency, guard {cpu_guard:+.1%}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("video", nargs="?", type=Path, default=DEFAULT_CLIP)
    ap.add_argument("--track", type=Path, default=DEFAULT_TRACK, help="stored landmarks of VIDEO")
    ap.add_argument("--exercise", default="squat")
    ap.add_argument("--model", choices=("lite", "full", "heavy"), default="full")
    ap.add_argument("--repeat", type=int, default=5, help="rounds (default 5)")
    ap.add_argument("--smoke", action="store_true", help="a few small frames, one round")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        video = smoke_clip(args.video, Path(tmp)) if args.smoke else args.video
        repeat = 1 if args.smoke else args.repeat
        cap = cv2.VideoCapture(str(video))
        fps, size = (
            cap.get(cv2.CAP_PROP_FPS) or 30.0,
            (
                int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            ),
        )
        cap.release()
        print(f"clip: {video} ({size[0]}x{size[1]}, {fps:.1f} fps); model {args.model}")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
        results = rounds(commands(video, args.exercise, args.model), repeat)
        print(
            f"load average {os.getloadavg()[0]:.1f} at the end; {results[0]['plain'].frames} frames"
        )
        summary(results)
    if not args.smoke and args.track.is_file():
        cost = scoring_cost_ms(args.track, args.exercise, fps, size)
        print(f"scoring core per frame: {cost:.3f} ms (filter + engine, median; target < 1 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
