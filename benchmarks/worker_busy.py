"""How busy a server-mode session's model is, inside its real worker process.

A session's worker (coach.live.worker, a process, the real model and engine) is fed the
clip's JPEGs as the server feeds it when the camera outruns the model: two in its hands at
once (coach.live.frames.IN_WORKER). The model's calls are timed inside the worker; printed:
frames a second, the model's time a frame, the share of the time it was busy and the gap
between one model call and the next (what the rest of the pipeline still costs the model).
Unlike `ws_live.py`'s ratio this hardly moves with the machine's load: run it on any checkout
to compare (issue 27 goal 4: the model never waiting for the rest): the code measured is
the one on PYTHONPATH.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/worker_busy.py --model lite --frames 600 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
SKIP = 20  # the first model calls (start-up, the person first found) are not counted


class TimedProcessor:
    """The server's processor (picklable, made in the worker) whose model calls are timed;
    its `finish` adds a "stats" event with the figures."""

    def __init__(self, model: str) -> None:
        self.model = model

    def __call__(self, exercise: Any, reference: Any = None, limit_deg: Any = None) -> Any:
        from coach.live.registry import default_processor

        proc: Any = default_processor(exercise, reference, limit_deg, pose_model=self.model)
        solution = proc.estimator.tracker._pose  # MediaPipe's Pose, under the guard
        process, calls = solution.process, []

        def timed(image: Any) -> Any:
            started = time.perf_counter()
            result = process(image)
            calls.append((started, time.perf_counter()))
            return result

        solution.process = timed
        finish = proc.finish

        def finished() -> list[Any]:
            counted = calls[SKIP:]
            model_s = sum(end - start for start, end in counted)
            gaps = [counted[i + 1][0] - counted[i][1] for i in range(len(counted) - 1)]
            stats = {
                "type": "stats",
                "model_ms": 1000 * model_s / len(counted),
                "busy": model_s / (counted[-1][1] - counted[0][0]),
                "gap_median_ms": 1000 * float(np.median(gaps)),
                "gap_mean_ms": 1000 * float(np.mean(gaps)),
            }
            return [*finish(), stats]

        proc.finish = finished
        return proc


async def run(model: str, frames: int, clip: Path) -> dict[str, float]:
    from coach.live.spec import PipelineSpec
    from coach.live.worker import PipelineWorker
    from exercises import load_exercise
    from web.frames import clip_as_jpegs, decode_frame

    jpegs, fps = clip_as_jpegs(clip, 480, quality=70)
    worker = PipelineWorker("process")
    await worker.start(TimedProcessor(model), decode_frame, PipelineSpec(load_exercise("squat")))
    await worker.submit(jpegs[0], 0.0)  # the model's start-up is not a frame's work
    handed: list[asyncio.Future[Any]] = []
    started = time.perf_counter()
    for k in range(frames):
        if len(handed) == 2:
            await handed.pop(0)
        handed.append(worker.submit(jpegs[k % len(jpegs)], k / fps))
    for result in handed:
        await result
    wall = time.perf_counter() - started
    stats = dict((await worker.finish())[-1])
    return {**stats, "fps": frames / wall, "load": os.getloadavg()[0]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="lite", choices=["lite", "full", "heavy"])
    ap.add_argument("--frames", type=int, default=600)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--clip", type=Path, default=DATA / "videos" / "medflex" / "squat.MP4")
    args = ap.parse_args()
    for _ in range(args.runs):
        s = asyncio.run(run(args.model, args.frames, args.clip))
        print(
            f"{args.model}: {s['fps']:.1f} fps; the model {s['model_ms']:.2f} ms a frame, busy "
            f"{s['busy']:.3f}, gap between calls median {s['gap_median_ms']:.2f} ms, mean "
            f"{s['gap_mean_ms']:.2f} ms; load average {s['load']:.1f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
