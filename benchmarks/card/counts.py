"""Rep counts and hold times of a MANIFEST.json's clips against their ground truth.

Each clip is scored as `coach eval` scores it: from its stored landmark track when it has one
(seconds for the whole manifest), else by the real model on the video. A count is "exact" when
it lies in the clip's accepted range (`accept`: where a clip starts or ends mid-repetition,
both defensible counts), and its error is the distance to that range.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.errors import NoPersonFound
from coach.offline.analysis import AnalysisResult, analyze_video
from coach.offline.evaluate import result_from_landmarks
from exercises import load_exercise

STANCE_LABEL = "stance"  # the segment label of a labelled single-leg stance (MANIFEST.json)


@dataclass(frozen=True)
class CountRow:
    clip: str
    exercise: str
    view: str
    truth: int
    accept: tuple[int, int]
    counted: int | None  # None: no person found
    source: str  # "stored track" | "real model"

    @property
    def error(self) -> int | None:
        """Distance from the accepted range (0 inside it); None when nothing was counted."""
        if self.counted is None:
            return None
        lo, hi = self.accept
        return max(lo - self.counted, 0, self.counted - hi)


@dataclass(frozen=True)
class HoldRow:
    clip: str
    exercise: str
    label: str  # what the labelled time is: "hold" or "stance 27-38 s"
    label_s: float
    measured_s: float  # 0 when no hold was found there
    tolerance_s: float  # the label's own uncertainty, from the manifest
    source: str

    @property
    def error_s(self) -> float:
        return self.measured_s - self.label_s


@dataclass(frozen=True)
class DetectRow:
    """A clip in which the person cannot be found: the tool must say so."""

    clip: str
    said_not_detectable: bool
    source: str


@dataclass
class ManifestRows:
    counts: list[CountRow]
    holds: list[HoldRow]
    not_detectable: list[DetectRow]


Scorer = Callable[[Path, dict[str, Any]], tuple[AnalysisResult | None, str]]


def score_clip(
    root: Path, clip: dict[str, Any], *, real_model: bool = False
) -> tuple[AnalysisResult | None, str]:
    """(result, source) of one manifest clip: its stored track unless `real_model` or it has
    none. None: no person in any frame."""
    exercise = load_exercise(clip["exercise"])
    if clip.get("landmarks") and not real_model:
        res, _ = result_from_landmarks(root, clip, exercise)
        return res, "stored track"
    try:
        return analyze_video(root / clip["video"], exercise), "real model"
    except NoPersonFound:
        return None, "real model"


def manifest_rows(
    manifest: Path,
    *,
    real_model: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ManifestRows:
    """Every judged clip of the manifest as count, hold and not-detectable rows."""
    import json

    clips = json.loads(manifest.read_text())["videos"]
    rows = ManifestRows([], [], [])
    for clip in clips:
        gt = clip.get("ground_truth", {})
        if not _judged(gt):
            continue
        if progress is not None:
            progress(f"card: {clip['id']}")
        res, source = score_clip(manifest.parent, clip, real_model=real_model)
        seen = res is not None and res.pose_detectable
        if gt.get("pose_detectable") is False:
            rows.not_detectable.append(DetectRow(clip["id"], not seen, source))
        elif "reps" in gt:
            lo, hi = gt.get("accept", [gt["reps"], gt["reps"]])
            counted = res.rep_count if seen and res is not None else None
            rows.counts.append(
                CountRow(
                    clip["id"],
                    clip["exercise"],
                    clip.get("view", ""),
                    int(gt["reps"]),
                    (int(lo), int(hi)),
                    counted,
                    source,
                )
            )
        else:
            rows.holds.extend(hold_rows(clip, res if seen else None, source))
    return rows


def _judged(gt: dict[str, Any]) -> bool:
    """Clips with a count, a hold time or labelled stance segments."""
    if gt.get("pose_detectable") is False or "reps" in gt or "hold_s" in gt:
        return True
    return any(label == STANCE_LABEL for _, _, label in gt.get("segments", []))


def hold_rows(clip: dict[str, Any], res: AnalysisResult | None, source: str) -> list[HoldRow]:
    """A labelled hold against the longest hold found; each labelled stance segment against
    the hold that overlaps it most (0 s when none does)."""
    gt = clip["ground_truth"]
    holds = res.holds if res is not None else []
    if "hold_s" in gt:
        lo, hi = gt["accept_hold_s"]
        longest = max((h.duration_s for h in holds), default=0.0)
        tolerance = max(gt["hold_s"] - lo, hi - gt["hold_s"])
        return [
            HoldRow(clip["id"], clip["exercise"], "hold", gt["hold_s"], longest, tolerance, source)
        ]
    out = []
    tolerance = _segment_tolerance(clip.get("note", ""))
    for start, end, label in gt.get("segments", []):
        if label != STANCE_LABEL:
            continue
        overlaps = [(min(end, h.end_s) - max(start, h.start_s), h.duration_s) for h in holds]
        best = max((o for o in overlaps if o[0] > 0), default=(0.0, 0.0))
        out.append(
            HoldRow(
                clip["id"],
                clip["exercise"],
                f"stance {start:g}-{end:g} s",
                float(end - start),
                float(best[1]),
                tolerance,
                source,
            )
        )
    return out


def _segment_tolerance(note: str) -> float:
    """The "(+-1 s)" a manifest note gives for its segment times (NaN when it gives none)."""
    import re

    m = re.search(r"\+-\s*([0-9.]+)\s*s", note)
    return float(m.group(1)) if m else float("nan")


# --- figures -----------------------------------------------------------------------------------


def count_figures(rows: Iterable[CountRow]) -> dict[str, Any]:
    """Clips, exact and within +-1 (as counts and shares), MAE in reps and MAE relative to the
    true count (the normalised MAE of the repetition-counting literature). A clip in which no
    person was found counts as a miss by its whole true count."""
    rows = list(rows)
    if not rows:
        return {"clips": 0}
    errors = [r.error if r.error is not None else r.truth for r in rows]
    exact = sum(e == 0 for e in errors)
    within = sum(e <= 1 for e in errors)
    return {
        "clips": len(rows),
        "exact": exact,
        "within_one": within,
        "share_exact": exact / len(rows),
        "share_within_one": within / len(rows),
        "mae": sum(errors) / len(rows),
        "mae_relative": sum(e / r.truth for e, r in zip(errors, rows, strict=True)) / len(rows),
    }


def counts_by_exercise(rows: Iterable[CountRow]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[CountRow]] = {}
    for r in rows:
        groups.setdefault(r.exercise, []).append(r)
    return {ex: count_figures(rs) for ex, rs in sorted(groups.items())}


def error_figures(errors: Iterable[float]) -> dict[str, Any]:
    """n, MAE, bias (mean signed error) and the largest absolute error."""
    e = [float(x) for x in errors]
    if not e:
        return {"n": 0}
    return {
        "n": len(e),
        "mae": sum(abs(x) for x in e) / len(e),
        "bias": sum(e) / len(e),
        "max_abs": max(abs(x) for x in e),
    }


def hold_figures(rows: Iterable[HoldRow]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Per kind of label ("hold": a timed hold; "stance": labelled segments), the error
    figures of the measured hold times, and how many labelled times found no hold."""
    rows = list(rows)
    for kind in ("hold", "stance"):
        mine = [r for r in rows if r.label.split()[0] == kind]
        if not mine:
            continue
        found = [r for r in mine if r.measured_s > 0]
        figures = error_figures(r.error_s for r in found)
        figures["labelled"] = len(mine)
        figures["clips"] = len({r.clip for r in mine})
        yield kind, figures
