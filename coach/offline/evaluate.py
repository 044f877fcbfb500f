"""`coach eval`: every clip of a manifest against its ground truth, as a table.

Manifest format: that of ../shared/data/MANIFEST.json (`videos`: id, video, exercise,
ground_truth with `reps`+`accept`, `hold_s`+`accept_hold_s`, `segments`, or
`pose_detectable: false`; optional `landmarks`: a stored .npz track of the same clip).
Thresholds are never tuned per clip: the same library definitions run on every clip.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from coach.errors import NoPersonFound
from coach.offline.analysis import (
    AnalysisResult,
    analyze_video,
    landmarks_track,
    result_from_engine,
    score_track,
)
from exercises import load_exercise
from pose.estimator import PoseEstimator
from scoring.definition import Exercise


@dataclass
class EvalRow:
    clip: str
    exercise: str
    truth: str
    result: str
    verdict: str  # "ok", "miss", "info" (no pass/fail ground truth)
    detail: str = ""
    seconds: float = 0.0
    fps: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _truth_text(gt: dict[str, Any]) -> str:
    if gt.get("pose_detectable") is False:
        return "not detectable"
    if "reps" in gt:
        lo, hi = gt.get("accept", [gt["reps"], gt["reps"]])
        return f"{gt['reps']} reps" + (f" [{lo}-{hi}]" if lo != hi else "")
    if "hold_s" in gt:
        lo, hi = gt["accept_hold_s"]
        return f"hold {gt['hold_s']} s [{lo}-{hi}]"
    if "segments" in gt:
        return f"{len(gt['segments'])} segments"
    return "?"


def judge(gt: dict[str, Any], res: AnalysisResult | None) -> tuple[str, str, str]:
    """(result text, verdict, detail) for one clip."""
    if res is None or not res.pose_detectable:
        share = 0.0 if res is None else res.pose_share
        text = f"not detectable (pose in {share:.0%})"
        if "segments" in gt:  # coarse labels only: say what we saw, no verdict
            return text, "info", "reported as not detectable"
        return text, ("ok" if gt.get("pose_detectable") is False else "miss"), ""
    if gt.get("pose_detectable") is False:
        return f"{res.rep_count} reps", "miss", "expected: person not detectable"
    if "reps" in gt:
        lo, hi = gt.get("accept", [gt["reps"], gt["reps"]])
        return f"{res.rep_count} reps", ("ok" if lo <= res.rep_count <= hi else "miss"), ""
    if "hold_s" in gt:
        longest = max((h.duration_s for h in res.holds), default=0.0)
        lo, hi = gt["accept_hold_s"]
        td = max((h.touch_downs for h in res.holds), default=0)
        ok = lo <= longest <= hi and td == gt.get("touch_downs", td)
        return f"hold {longest:.2f} s, {td} touch-downs", ("ok" if ok else "miss"), ""
    if "segments" in gt:
        return _segments_result(gt["segments"], res)
    return f"{res.rep_count} reps", "info", ""


def _segments_result(segments: list[list[Any]], res: AnalysisResult) -> tuple[str, str, str]:
    """Informative only: how much of the labelled time our holds cover."""
    total = sum(e - s for s, e, _ in segments)
    covered = 0.0
    for s, e, _ in segments:
        for h in res.holds:
            covered += max(0.0, min(e, h.end_s) - max(s, h.start_s))
    share = covered / total if total else 0.0
    return (
        f"{len(res.holds)} holds, {share:.0%} of labelled time",
        "info",
        f"{len(res.faults)} faults",
    )


def evaluate_manifest(
    manifest: Path,
    *,
    use_landmarks: bool = False,
    only: str | None = None,
    progress: Callable[[str], None] | None = None,
    make_estimator: Callable[[], PoseEstimator | None] | None = None,
) -> list[EvalRow]:
    """`make_estimator` gives each clip its own estimator (e.g. another model; None: default)."""
    try:
        data = json.loads(manifest.read_text())
        clips = data["videos"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{manifest}: not a manifest ({exc})") from None
    root = manifest.parent
    rows: list[EvalRow] = []
    for clip in clips:
        if only and only not in clip["id"]:
            continue
        exercise = load_exercise(clip["exercise"])
        gt = clip.get("ground_truth", {})
        if progress:
            progress(f"eval: {clip['id']} ({clip['exercise']})")
        res: AnalysisResult | None
        if use_landmarks:
            res, seconds = result_from_landmarks(root, clip, exercise)
        else:
            estimator = make_estimator() if make_estimator is not None else None
            try:
                res = analyze_video(root / clip["video"], exercise, estimator=estimator)
                seconds = res.elapsed_s
            except NoPersonFound:
                res, seconds = None, 0.0
            finally:
                if estimator is not None:
                    estimator.close()
        text, verdict, detail = judge(gt, res)
        fps = res.frames / seconds if res and seconds else 0.0
        rows.append(
            EvalRow(
                clip["id"],
                clip["exercise"],
                _truth_text(gt),
                text,
                verdict,
                detail,
                round(seconds, 2),
                round(fps, 1),
            )
        )
    return rows


def result_from_landmarks(
    root: Path, clip: dict[str, Any], exercise: Exercise
) -> tuple[AnalysisResult | None, float]:
    """A manifest clip scored from its stored landmark track (the video is opened for its fps
    and size only): the result (None: no pose in any frame) and the seconds scoring took."""
    import time

    from pose.sources import VideoFileSource

    with VideoFileSource(root / clip["video"]) as src:
        info = src.info
    lm = np.load(root / clip["landmarks"])["lm"]
    t0 = time.perf_counter()
    track = landmarks_track(lm, info.fps, (info.width, info.height))
    engine = score_track(exercise, track, (info.width, info.height))
    seconds = time.perf_counter() - t0
    if engine.frames_with_pose == 0:
        return None, seconds
    return result_from_engine(engine, info.fps, track[-1][0], []), seconds


def summary(rows: list[EvalRow]) -> dict[str, Any]:
    rep_rows = [r for r in rows if r.verdict in ("ok", "miss") and "reps" in r.truth]
    detectable = [r for r in rep_rows if r.truth != "not detectable"]
    judged = [r for r in rows if r.verdict in ("ok", "miss")]
    return {
        "clips": len(rows),
        "judged": len(judged),
        "ok": sum(r.verdict == "ok" for r in judged),
        "rep_clips_detectable": len(detectable),
        "rep_clips_ok": sum(r.verdict == "ok" for r in detectable),
    }


def format_table(rows: list[EvalRow]) -> str:
    head = ("clip", "exercise", "ground truth", "result", "ok?", "s", "fps")
    body = [
        (r.clip, r.exercise, r.truth, r.result, r.verdict, f"{r.seconds:.1f}", f"{r.fps:.0f}")
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=False)]
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*b) for b in body]
    s = summary(rows)
    share = s["rep_clips_ok"] / s["rep_clips_detectable"] if s["rep_clips_detectable"] else 0
    lines.append("")
    lines.append(
        f"rep counts within the accepted range: {s['rep_clips_ok']}/{s['rep_clips_detectable']} "
        f"clips with a detectable person ({share:.0%}); all judged clips: {s['ok']}/{s['judged']} "
        f"ok; {s['clips'] - s['judged']} informative only"
    )
    return "\n".join(lines)
