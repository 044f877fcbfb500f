"""Offline analysis of a recorded video: the result object behind `coach analyze`.

The JSON shape is a contract other tools read (DESIGN-NOTES.md): keep field names stable.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from coach.errors import NoPersonFound
from coach.processes import cores
from coach.sinks import EventSink, Sinks
from pose.estimator import PoseEstimator
from pose.types import Pose
from scoring.definition import Exercise
from scoring.engine import ExerciseEngine
from scoring.events import (
    FAULT_REPORT,
    HOLD_REPORT,
    REP_REPORT,
    FaultDetected,
    HoldEnded,
    RepCompleted,
    report_item,
    to_json,
)
from scoring.reference import PersonalReference
from scoring.symmetry import Symmetry

if TYPE_CHECKING:
    from coach.pipeline import FrameProcessor
    from pose.sources import VideoFileSource

# Below this share of frames with a person, the clip is reported as "person not detectable".
DETECTABLE_MIN_SHARE = 0.5


@dataclass
class AnalysisResult:
    exercise: str
    frames: int
    frames_with_pose: int
    fps: float
    duration_s: float
    reps: list[RepCompleted] = field(default_factory=list)
    holds: list[HoldEnded] = field(default_factory=list)
    faults: list[FaultDetected] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    symmetry: Symmetry | None = None  # left/right symmetry index of the session
    jumps: bool = False  # a jump exercise: its report has the landings

    @property
    def rep_count(self) -> int:
        return len(self.reps)

    @property
    def pose_share(self) -> float:
        return self.frames_with_pose / self.frames if self.frames else 0.0

    @property
    def pose_detectable(self) -> bool:
        return self.pose_share >= DETECTABLE_MIN_SHARE

    def to_json(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "frames": self.frames,
            "frames_with_pose": self.frames_with_pose,
            "fps": round(self.fps, 3),
            "duration_s": round(self.duration_s, 3),
            "pose_detectable": self.pose_detectable,
            "rep_count": self.rep_count,
            "reps": [report_item(to_json(r), REP_REPORT, 3) for r in self.reps],
            "holds": [report_item(to_json(h), HOLD_REPORT, 3) for h in self.holds],
            "faults": [report_item(to_json(f), FAULT_REPORT, 3) for f in self.faults],
            "warnings": list(self.warnings),
            "symmetry": self.symmetry.to_dict() if self.symmetry is not None else None,
        } | self._landings()

    def _landings(self) -> dict[str, Any]:
        """A jump exercise's landings, one per jump (scoring.modes.jump: what it measured, in
        seconds, degrees and leg lengths; what it could not measure is left out); nothing for
        other exercises, whose report is unchanged."""
        if not self.jumps:
            return {}
        return {"landings": [{"rep": r.index, **r.landing} for r in self.reps]}


def score_track(
    exercise: Exercise,
    poses: list[tuple[float, Pose | None]],
    image_size: tuple[int, int],
    smooth: bool = True,
    sink: EventSink | None = None,
    reference: PersonalReference | None = None,
    limit_deg: float | None = None,
) -> ExerciseEngine:
    """Run the pipeline after the model (`FrameProcessor.process_pose`) over an
    already-estimated track (used by analysis, eval and tests); `sink` gets each frame's
    (filtered) pose and each event, as in `analyze_video`; `reference`, the patient's own
    good reps, judges each rep against them too; `limit_deg`, their range limit."""
    from coach.pipeline import FrameProcessor, LandmarksOnly

    proc = FrameProcessor(
        exercise,
        LandmarksOnly(),
        smooth=smooth,
        reference=reference,
        sink=sink,
        limit_deg=limit_deg,
    )
    engine = proc.engine_for(image_size)
    for t, pose in poses:
        proc.process_pose(t, pose, image_size)
    proc.finish()
    return engine


def result_from_engine(
    engine: ExerciseEngine, fps: float, duration_s: float, extra_warnings: list[str]
) -> AnalysisResult:
    res = AnalysisResult(
        exercise=engine.exercise.id,
        frames=engine.frames,
        frames_with_pose=engine.frames_with_pose,
        fps=fps,
        duration_s=duration_s,
        reps=list(engine.reps),
        holds=list(engine.holds),
        faults=list(engine.faults),
        warnings=list(extra_warnings),
        symmetry=engine.symmetry(),
        jumps=engine.exercise.kind == "jump",
    )
    if res.frames and res.frames_with_pose < res.frames:
        share = res.pose_share
        msg = f"person found in only {share:.0%} of frames ({res.frames_with_pose}/{res.frames})"
        if not res.pose_detectable:
            msg += ": too few to score reliably (lighting, distance or framing?)"
        if res.frames_with_pose > 0:
            res.warnings.append(msg)
    for vw in engine.view_warnings:
        res.warnings.append(f"camera view: {vw.message}")
    for pw in engine.person_warnings[:1]:
        res.warnings.append(f"at {pw.t:.1f} s: {pw.message}")
    if engine.limit_note:
        res.warnings.append(engine.limit_note)
    return res


def analyze_video(
    path: str | Path,
    exercise: Exercise,
    *,
    estimator: PoseEstimator | None = None,
    annotate: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    sink: EventSink | None = None,
    reference: PersonalReference | None = None,
    limit_deg: float | None = None,
) -> AnalysisResult:
    """Analyse one video file. Raises pose.sources.SourceError for unreadable input and
    NoPersonFound when no frame has a person. `sink` gets each frame's pose and each event
    as soon as they are known (a rep when it completes), so a crash loses little.
    `reference` (the patient's own good reps, scoring.reference) judges each rep against
    them as well as against the definition's bounds; `limit_deg`, the patient's range limit
    in degrees, marks the reps past it (a `range_limit` fault as it is crossed)."""
    from coach.offline.annotate import Annotator
    from coach.pipeline import FrameProcessor
    from pose.sources import VideoFileSource

    started = time.perf_counter()
    warnings: list[str] = []
    with VideoFileSource(path, decode_threads=decoder_threads()) as source:
        info = source.info
        annotator = (
            Annotator(annotate, info.fps, (info.width, info.height), exercise) if annotate else None
        )
        sinks = Sinks([sink, annotator])
        proc = FrameProcessor(
            exercise,
            estimator,
            reference=reference,
            sink=sinks if sinks.sinks else None,
            limit_deg=limit_deg,
        )
        try:
            last_t = _feed(proc, source, progress)
        finally:
            if annotator is not None:
                annotator.close()
        if source.truncated:
            warnings.append(
                f"video ended early: read {source.frames_read} of {info.frame_count} frames "
                "(truncated or damaged file); analysed what could be read"
            )
    engine = proc.engine
    if engine is None or engine.frames == 0:
        raise NoPersonFound("the video has no readable frames")
    if engine.frames_with_pose == 0:
        raise NoPersonFound(f"no person found in any of the {engine.frames} frames")
    res = result_from_engine(engine, info.fps, last_t, warnings)
    res.elapsed_s = time.perf_counter() - started
    return res


def decoder_threads() -> int:
    """FFmpeg's threads for a video analysed here: the cores the pose model leaves (it keeps
    about one busy). With FFmpeg's default, one a core, the decoder's bursts, ahead on their
    own thread, took the model's core on a 2-core machine: 0.3 s of 6.7 on the squat clip
    (docs/BENCHMARKS.md, "Speed of `coach analyze`")."""
    return max(1, cores() - 1)


def _feed(
    proc: FrameProcessor,
    source: VideoFileSource,
    progress: Callable[[int, int], None] | None,
) -> float:
    """Every frame of `source` through `proc`, then its end (`finish`, `close`); returns the
    last frame's time. Frames are decoded ahead on a thread (`Prefetched`), in the model's
    colour order too, while the model works on the one before."""
    from pose.sources import Prefetched

    last_t = 0.0
    try:
        for frame in Prefetched(source):
            proc.process(frame)
            last_t = frame.t
            if progress is not None:
                progress(frame.index + 1, source.info.frame_count)
        proc.finish()
    finally:
        proc.close()
    return last_t


def progress_bar(stream: TextIO | None = None) -> Callable[[int, int], None] | None:
    """A one-line progress bar on a terminal; None when stderr is not one (logs, pipes).
    The default is the stderr of the moment, not of import time (a caller may redirect it)."""
    out = stream or sys.stderr
    if not out.isatty():
        return None
    t0 = time.perf_counter()

    def show(done: int, total: int) -> None:
        if total <= 0 or (done % 5 and done != total):
            return
        frac = min(1.0, done / total)
        rate = done / max(1e-6, time.perf_counter() - t0)
        bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
        eta = (total - done) / rate if rate > 0 else 0
        out.write(f"\ranalysing [{bar}] {frac:5.1%} {rate:5.1f} fps, {eta:4.0f} s left ")
        if done >= total:
            out.write("\n")
        out.flush()

    return show


def landmarks_track(
    lm: np.ndarray,
    fps: float,
    image_size: tuple[int, int],
    world: np.ndarray | None = None,
    times: np.ndarray | None = None,
) -> list[tuple[float, Pose | None]]:
    """(T, 33, 4) array with NaN rows for "no pose" -> [(t, Pose | None)], with the matching
    (T, 33, 3) world landmarks when the track has them, and the frames' own times (default
    i / fps)."""
    out: list[tuple[float, Pose | None]] = []
    for i, row in enumerate(lm):
        t = float(times[i]) if times is not None else i / fps
        ok = np.isfinite(row[:, :2]).all()
        w = None
        if world is not None and np.isfinite(world[i]).all():
            w = world[i].astype(np.float32)
        out.append((t, Pose(row.astype(np.float32), t, image_size, world=w) if ok else None))
    return out
