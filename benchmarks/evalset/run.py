"""Run Coach on every clip of the evaluation set: truth against count, per clip and in total.

    PYTHONPATH=. python benchmarks/evalset/run.py [--cache DIR] [--only TEXT] [--model full]
        [--json OUT.json] [--results benchmarks/results/evalset.json --label after]
        [--traces | --replay]

Reads CACHE/MANIFEST.json (written by fetch.py; the same format `coach eval` reads) and runs
`coach analyze`'s pipeline on each clip, one at a time (the model is the slow part). Prints
per clip the truth, the accepted range, the count and the peak of the counted measure in each
counted rep, then the totals: share exact (count == truth), share within +-1, share inside
the accepted range, mean absolute error, overall and per tag (oblique, older-adult, ...).

`--traces` also writes CACHE/traces/<clip>.npz for diagnosis: per frame the time, the
counted measure (`value`), the rep phase, the view the engine saw and the filtered landmarks
(`lm`, T x 33 x 4); and the model's raw output (`raw`, NaN where no person; `world`, its
world landmarks; `others`, someone else in view), the track `coach eval --landmarks` can
replay. `--replay` runs the pipeline after the model on those recorded outputs instead of
the model (seconds, not minutes; the same counts as long as only the code after the model
changed): for trying a change, never for the figures reported. `--results` keeps the run
in the file the accuracy card reads (benchmarks/card/evalset.py), under `--label` ("before",
"after"), beside the runs already there. Never run in CI: it needs the fetched clips.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coach.errors import NoPersonFound
from coach.offline.analysis import (
    AnalysisResult,
    analyze_video,
    result_from_engine,
    score_track,
)
from coach.sinks import NO_INFO, FrameInfo
from exercises import load_exercise
from pose.estimator import PoseEstimator, create_model_estimator
from pose.types import NUM_LANDMARKS, Frame, Pose
from scoring.definition import Exercise

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch import add_clip_options  # noqa: E402


@dataclass
class ClipResult:
    id: str
    exercise: str
    view: str
    tags: list[str]
    truth: int
    accept: tuple[int, int]
    count: int | None  # None: no person found
    pose_share: float
    peaks: list[float] = field(default_factory=list)
    reps: list[tuple[float, float, float]] = field(default_factory=list)  # start, end, peak
    attempts: int = 0  # movements that turned back before `enter` (not counted)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def error(self) -> int:
        return (self.count or 0) - self.truth

    @property
    def in_range(self) -> bool:
        return self.count is not None and self.accept[0] <= self.count <= self.accept[1]


class RecordingEstimator(PoseEstimator):
    """Passes frames to a real estimator and keeps its raw output (for `--traces`)."""

    name = "recording"

    def __init__(self, inner: PoseEstimator) -> None:
        self.inner = inner
        self.rows: list[np.ndarray] = []
        self.world: list[np.ndarray] = []
        self.others: list[bool] = []
        self.times: list[float] = []
        self.image_size = (0, 0)

    def estimate(self, frame: Frame) -> Pose | None:
        pose = self.inner.estimate(frame)
        self.times.append(frame.t)
        self.image_size = frame.size
        self.rows.append(
            pose.landmarks.copy() if pose is not None else np.full((NUM_LANDMARKS, 4), np.nan)
        )
        world = pose.world if pose is not None else None
        none = np.full((NUM_LANDMARKS, 3), np.nan)
        self.world.append(world.copy() if world is not None else none)
        self.others.append(pose is not None and pose.others_in_view)
        return pose

    def close(self) -> None:
        self.inner.close()


class TraceSink:
    """Keeps what the engine saw each frame, and the attempts (turned back before `enter`)."""

    def __init__(self, attempt_ids: set[str]) -> None:
        self.attempt_ids = attempt_ids  # the exercise's `rep_peak_short` rules
        self.t: list[float] = []
        self.value: list[float] = []
        self.phase: list[str] = []
        self.view: list[str] = []
        self.lm: list[np.ndarray] = []
        self.attempts = 0

    def frame(self, t: float, landmarks: np.ndarray | None, info: FrameInfo = NO_INFO) -> None:
        s = info.state
        self.t.append(t)
        v = s.rep_value if s is not None else None
        self.value.append(float(v) if v is not None else math.nan)
        self.phase.append(s.phase if s is not None else "")
        self.view.append(s.view if s is not None else "")
        self.lm.append(
            landmarks.copy() if landmarks is not None else np.full((NUM_LANDMARKS, 4), np.nan)
        )

    def event(self, event: dict[str, Any]) -> None:
        # A movement that turned back before `enter` is reported as its range fault, no rep.
        if event.get("rep") is None and event.get("id") in self.attempt_ids:
            self.attempts += 1

    def close(self) -> None:
        pass


def replay(trace: Path, exercise: Exercise, sink: TraceSink) -> AnalysisResult | None:
    """The pipeline after the model on a clip's recorded model output (`--traces`)."""
    with np.load(trace) as d:
        raw, world, times = d["raw"], d["world"], d["raw_t"]
        others, size = d["others"], (int(d["image_size"][0]), int(d["image_size"][1]))
    poses: list[tuple[float, Pose | None]] = []
    for t, row, w, o in zip(times, raw, world, others, strict=True):
        pose = None
        if np.isfinite(row[:, :2]).all():
            seen_w = w if np.isfinite(w).all() else None
            pose = Pose(row, float(t), size, world=seen_w, others_in_view=bool(o))
        poses.append((float(t), pose))
    engine = score_track(exercise, poses, size, sink=sink)
    if engine.frames_with_pose == 0:
        return None
    fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 30.0
    return result_from_engine(engine, fps, float(times[-1]), [])


def trace_path(cache: Path, clip: dict[str, Any]) -> Path:
    return cache / "traces" / f"{clip['id'].split('/')[-1]}.npz"


def run_clip(
    cache: Path, clip: dict[str, Any], model: str, traces: bool, replaying: bool = False
) -> ClipResult:
    exercise = load_exercise(clip["exercise"])
    gt = clip["ground_truth"]
    sink = TraceSink({f.id for f in exercise.faults if f.kind == "rep_peak_short"})
    estimator = RecordingEstimator(create_model_estimator(model)) if not replaying else None
    started = time.perf_counter()
    res: AnalysisResult | None
    try:
        if estimator is None:
            res = replay(trace_path(cache, clip), exercise, sink)
        else:
            res = analyze_video(cache / clip["video"], exercise, estimator=estimator, sink=sink)
    except NoPersonFound:
        res = None
    finally:
        if estimator is not None:
            estimator.close()
    out = ClipResult(
        id=clip["id"],
        exercise=clip["exercise"],
        view=clip.get("view", ""),
        tags=list(clip.get("tags", [])),
        truth=int(gt["reps"]),
        accept=(int(gt["accept"][0]), int(gt["accept"][1])),
        count=res.rep_count if res is not None and res.pose_detectable else None,
        pose_share=res.pose_share if res is not None else 0.0,
        peaks=[round(r.peak_deg, 2) for r in res.reps] if res is not None else [],
        reps=[(round(r.start_s, 2), round(r.end_s, 2), round(r.peak_deg, 2)) for r in res.reps]
        if res is not None
        else [],
        attempts=sink.attempts,
        warnings=list(res.warnings) if res is not None else ["no person found"],
        seconds=round(time.perf_counter() - started, 1),
    )
    if traces and estimator is not None:
        path = trace_path(cache, clip)
        path.parent.mkdir(exist_ok=True)
        np.savez_compressed(
            path,
            t=np.array(sink.t),
            value=np.array(sink.value),
            phase=np.array(sink.phase),
            view=np.array(sink.view),
            lm=np.array(sink.lm, dtype=np.float32),
            raw=np.array(estimator.rows, dtype=np.float32),
            raw_t=np.array(estimator.times),
            world=np.array(estimator.world, dtype=np.float32),
            others=np.array(estimator.others, dtype=bool),
            image_size=np.array(estimator.image_size),
        )
    return out


def totals(rows: list[ClipResult]) -> dict[str, float]:
    n = len(rows)
    if n == 0:
        return {"clips": 0}
    errs = [abs(r.error) for r in rows]
    return {
        "clips": n,
        "exact": sum(e == 0 for e in errs) / n,
        "within_1": sum(e <= 1 for e in errs) / n,
        "in_accepted_range": sum(r.in_range for r in rows) / n,
        "mae": sum(errs) / n,
        "reps_truth": sum(r.truth for r in rows),
        "reps_counted": sum(r.count or 0 for r in rows),
    }


def format_report(rows: list[ClipResult]) -> str:
    head = ("clip", "exercise", "truth", "accept", "count", "ok", "pose", "peaks (counted measure)")
    body = [
        (
            r.id.split("/")[-1],
            r.exercise,
            str(r.truth),
            f"{r.accept[0]}-{r.accept[1]}",
            "-" if r.count is None else str(r.count),
            "ok" if r.in_range else "MISS",
            f"{r.pose_share:.0%}",
            " ".join(f"{p:.0f}" if abs(p) >= 2 else f"{p:.2f}" for p in r.peaks),
        )
        for r in rows
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=False)]
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*b) for b in body]
    lines.append("")
    groups: dict[str, list[ClipResult]] = {"all": rows}
    for r in rows:
        for tag in r.tags:
            groups.setdefault(tag, []).append(r)
    lines.append("group                clips  exact  within+-1  in-range   MAE  reps truth/counted")
    for name, rs in groups.items():
        t = totals(rs)
        lines.append(
            f"{name:20} {t['clips']:5}  {t['exact']:5.0%}  {t['within_1']:9.0%}  "
            f"{t['in_accepted_range']:8.0%}  {t['mae']:4.2f}  "
            f"{t['reps_truth']}/{t['reps_counted']}"
        )
    return "\n".join(lines)


def run_record(rows: list[ClipResult], model: str, command: str) -> dict[str, Any]:
    """One run as the results file keeps it: when, on which code, how, and every clip."""
    return {
        "generated": {
            "date": time.strftime("%Y-%m-%d", time.gmtime()),
            "commit": _commit(),
            "command": command,
            "model": f"MediaPipe Pose {model}",
        },
        "totals": totals(rows),
        "clips": [asdict(r) | {"error": r.error, "in_range": r.in_range} for r in rows],
    }


def keep_run(path: Path, label: str, record: dict[str, Any]) -> None:
    """Write `record` into the results file under `label`, the other runs kept."""
    data = json.loads(path.read_text()) if path.is_file() else {}
    data.setdefault("about", RESULTS_ABOUT)
    data.setdefault("runs", {})[label] = record
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")


RESULTS_ABOUT = (
    "Coach on the evaluation set (benchmarks/evalset/README.md), one run per label: "
    "benchmarks/evalset/run.py --results FILE --label NAME. Read by benchmarks/card/evalset.py."
)


def _commit() -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes" if dirty else "")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_clip_options(ap)
    ap.add_argument("--model", default="full", choices=("lite", "full", "heavy"))
    ap.add_argument("--json", type=Path, help="also write the per-clip results here")
    ap.add_argument("--results", type=Path, help="keep the run in this results file ...")
    ap.add_argument("--label", default="after", help="... under this name (before, after)")
    how = ap.add_mutually_exclusive_group()
    how.add_argument("--traces", action="store_true", help="write per-frame traces (see above)")
    how.add_argument(
        "--replay", action="store_true", help="replay the recorded model output (see above)"
    )
    a = ap.parse_args()
    manifest = a.cache / "MANIFEST.json"
    if not manifest.is_file():
        print(f"no {manifest}: run benchmarks/evalset/fetch.py first", file=sys.stderr)
        return 2
    clips = json.loads(manifest.read_text())["videos"]
    rows: list[ClipResult] = []
    for clip in clips:
        if a.only and a.only not in clip["id"]:
            continue
        print(f"{clip['id']} ...", file=sys.stderr, flush=True)
        rows.append(run_clip(a.cache, clip, a.model, a.traces, a.replay))
    print(format_report(rows))
    if a.results:
        if a.replay:
            print("--results keeps model runs only, not replays", file=sys.stderr)
            return 2
        command = "PYTHONPATH=. python benchmarks/evalset/run.py " + " ".join(sys.argv[1:])
        keep_run(a.results, a.label, run_record(rows, a.model, command))
    if a.json:
        payload = {
            "model": a.model,
            "replayed": a.replay,
            "totals": totals(rows),
            "clips": [asdict(r) | {"error": r.error, "in_range": r.in_range} for r in rows],
        }
        a.json.write_text(json.dumps(payload, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
