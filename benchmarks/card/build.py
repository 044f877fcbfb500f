"""The card as one dict: every figure, the rows behind it, and how and when it was made.

docs/ACCURACY.md (benchmarks/card/markdown.py) and coach/accuracy.json
(benchmarks/card/product.py) are both written from this dict, so they cannot disagree.
"""

from __future__ import annotations

import subprocess
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks.card import anchors, angles, evalset, everyday, jumps
from benchmarks.card.clinical import StandRow, seated_threshold
from benchmarks.card.counts import (
    ManifestRows,
    count_figures,
    counts_by_exercise,
    error_figures,
    hold_figures,
)


def git_commit(repo: Path, outputs: list[Path]) -> str:
    """The short commit of the code that made the card, "+ uncommitted changes" when tracked
    files other than the card's own outputs differ from it."""
    try:
        head = _git(repo, "rev-parse", "--short", "HEAD").strip()
        status = _git(repo, "status", "--porcelain", "--untracked-files=no").splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    mine = {str(p.resolve().relative_to(repo.resolve())) for p in outputs if _inside(p, repo)}
    changed = [line[3:] for line in status if line[3:] not in mine]
    return head + (" + uncommitted changes" if changed else "")


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    done.check_returncode()
    return done.stdout


def _inside(path: Path, repo: Path) -> bool:
    try:
        path.resolve().relative_to(repo.resolve())
    except ValueError:
        return False
    return True


def build(
    manifest_rows: ManifestRows,
    stand_rows: list[StandRow],
    angle_summary: dict[str, Any] | None,
    *,
    command: str,
    commit: str,
    angles_file: str,
    date: str | None = None,
    everyday_results: dict[str, Any] | None = None,
    everyday_file: str = "benchmarks/results/everyday.json",
    jumps_results: dict[str, Any] | None = None,
    jumps_file: str = "benchmarks/results/jumps.json",
    evalset_runs: dict[str, Any] | None = None,
    evalset_file: str = "benchmarks/results/evalset.json",
) -> dict[str, Any]:
    counts = manifest_rows.counts
    return {
        "generated": {
            "date": date or datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "commit": commit,
            "command": command,
        },
        "counting": {
            "overall": count_figures(counts),
            "exercises": counts_by_exercise(counts),
            "rows": [{**asdict(r), "error": r.error, "accept": list(r.accept)} for r in counts],
            "not_detectable": {
                "clips": len(manifest_rows.not_detectable),
                "said_so": sum(r.said_not_detectable for r in manifest_rows.not_detectable),
                "rows": [asdict(r) for r in manifest_rows.not_detectable],
            },
        },
        "holds": {
            "figures": dict(hold_figures(manifest_rows.holds)),
            "rows": [{**asdict(r), "error_s": r.error_s} for r in manifest_rows.holds],
        },
        "chair_stands": _chair_stands(stand_rows),
        "sit_to_stand": _sit_to_stand(stand_rows),
        "angles": _angles(angle_summary, angles_file),
        "everyday": everyday.section(everyday_results, everyday_file),
        "jumps": jumps.section(jumps_results, jumps_file),
        "unseen": evalset.section(evalset_runs, evalset_file),
        "anchors": [asdict(a) for a in anchors.ALL],
    }


def _chair_stands(rows: list[StandRow]) -> dict[str, Any]:
    errors = [abs(r.counted - r.truth.stands) for r in rows]
    figures: dict[str, Any] = {"clips": len(rows)}
    if rows:
        figures.update(
            exact=sum(e == 0 for e in errors),
            within_one=sum(e <= 1 for e in errors),
            mae=sum(errors) / len(rows),
        )
    return {
        "figures": figures,
        "seated_below": seated_threshold(),
        "rows": [
            {
                "clip": r.clip,
                "kind": r.kind,
                "view": r.view,
                "truth": r.truth.stands,
                "counted": r.counted,
                "seated_level": r.seated_level,
                "warnings": r.warnings,
            }
            for r in rows
        ],
    }


def _sit_to_stand(rows: list[StandRow]) -> dict[str, Any]:
    """The clock's start against the labelled rise onset and seat-off, each stand reached
    against its label, and the five-times test's time against its label."""
    stand_errors: list[float] = []
    missed = 0
    per_clip = []
    for r in rows:
        errs, miss = r.stand_errors()
        stand_errors += errs
        missed += miss
        per_clip.append(
            {
                "clip": r.clip,
                "kind": r.kind,
                "onset_s": r.onset_s,
                "rise_onset_s": r.truth.rise_onset_s,
                "seat_off_s": r.truth.seat_off_s,
                "stand_errors_s": [round(e, 3) for e in errs],
                "stands_missed": miss,
                "five_times_s": r.five_times_s,
                "five_times_label_s": r.truth.five_times_s,
            }
        )
    started = [r for r in rows if r.onset_s == r.onset_s]  # not NaN: a stand was found
    five = [r for r in rows if r.truth.five_times_s is not None and r.five_times_s is not None]
    return {
        "start_vs_rise_onset": error_figures(r.onset_s - r.truth.rise_onset_s for r in started),
        "start_vs_seat_off": error_figures(r.onset_s - r.truth.seat_off_s for r in started),
        "stand_reached": {**error_figures(stand_errors), "missed": missed},
        "five_times": {
            **error_figures(r.five_times_s - r.truth.five_times_s for r in five),  # type: ignore[operator]
            "labelled": sum(r.truth.five_times_s is not None for r in rows),
        },
        "rows": per_clip,
    }


def _angles(summary: dict[str, Any] | None, angles_file: str) -> dict[str, Any]:
    if summary is None:
        return {"file": angles_file, "measured": False}
    return {
        "file": angles_file,
        "measured": True,
        "date": summary.get("date"),
        "command": summary.get("command"),
        "reference": summary.get("reference"),
        "targets": summary.get("targets", {}),
        "noise_floor": summary.get("noise_floor", {}),
        "rows": [asdict(r) for r in angles.rows(summary)],
        "product": angles.product_figures(summary),
        "min_frames": angles.MIN_FRAMES,
    }
