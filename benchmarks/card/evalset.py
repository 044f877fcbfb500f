"""The evaluation set's runs (benchmarks/evalset/run.py --results FILE) for the card: rep
counts on clips nobody on the team had seen, before and after the fixes they led to.

What is read (anything else is ignored; a missing file leaves the section "not yet
measured"):

    runs {label: {generated {date, commit, command, model},
                  clips [{id, exercise, view, tags, truth, accept, count, error, in_range}]}}

Every figure is taken from the clips, so the groups (a clip's tags: oblique, front, older
adult ...) and the totals are made the same way for every run. Exact here is the count equal
to the truth (the evaluation set's own convention, benchmarks/evalset/README.md), "in range"
inside the clip's accepted range.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The runs the card compares, in order, when the file has them.
LABELS = ("before", "after")


def read(path: Path) -> dict[str, Any] | None:
    """The runs, or None when run.py has not written the file yet."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    runs = data.get("runs") if isinstance(data, dict) else None
    return runs if isinstance(runs, dict) and runs else None


def figures(clips: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals of some clips: exact, within +-1 and in the accepted range (counts of clips),
    MAE in repetitions, repetitions seen and counted. No person found counts as 0 reps."""
    errors = [abs((c["count"] or 0) - c["truth"]) for c in clips]
    n = len(clips)
    return {
        "clips": n,
        "exact": sum(e == 0 for e in errors),
        "within_one": sum(e <= 1 for e in errors),
        "in_range": sum(bool(c["in_range"]) for c in clips),
        "mae": round(sum(errors) / n, 2) if n else None,
        "reps_truth": sum(c["truth"] for c in clips),
        "reps_counted": sum(c["count"] or 0 for c in clips),
    }


def _groups(clips: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """All clips, then each tag that two clips or more share (most clips first)."""
    tags: dict[str, list[dict[str, Any]]] = {}
    for c in clips:
        for tag in c.get("tags", []):
            tags.setdefault(tag, []).append(c)
    shared = sorted((t for t, cs in tags.items() if len(cs) >= 2), key=lambda t: -len(tags[t]))
    return {"all": clips, **{t: tags[t] for t in shared}}


def section(runs: dict[str, Any] | None, file: str) -> dict[str, Any]:
    """The card's section: per run its provenance, and per group its figures; per clip the
    truth and each run's count."""
    if runs is None:
        return {"file": file, "measured": False}
    labels = [label for label in LABELS if label in runs] or sorted(runs)
    last = runs[labels[-1]]["clips"]
    groups = {
        name: {label: figures(_same(runs[label]["clips"], clips)) for label in labels}
        for name, clips in _groups(last).items()
    }
    rows = []
    for c in last:
        per_run = {label: _clip(runs[label]["clips"], c["id"]) for label in labels}
        rows.append(
            {
                "clip": c["id"].split("/")[-1],
                "exercise": c["exercise"],
                "exercises": {k: r["exercise"] if r else None for k, r in per_run.items()},
                "view": c["view"],
                "truth": c["truth"],
                "accept": list(c["accept"]),
                "counts": {k: r["count"] if r else None for k, r in per_run.items()},
            }
        )
    return {
        "file": file,
        "measured": True,
        "labels": labels,
        "generated": {label: runs[label]["generated"] for label in labels},
        "groups": groups,
        "rows": rows,
    }


def _same(clips: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {c["id"] for c in wanted}
    return [c for c in clips if c["id"] in ids]


def _clip(clips: list[dict[str, Any]], clip_id: str) -> dict[str, Any] | None:
    return next((c for c in clips if c["id"] == clip_id), None)


def product(section: dict[str, Any]) -> dict[str, Any]:
    """What the pages may quote: the latest run's counts over the whole set."""
    if not section.get("measured"):
        return {}
    f = section["groups"]["all"][section["labels"][-1]]
    return {
        "recordings": f["clips"],
        "exact": f["exact"],
        "within_one": f["within_one"],
        "mae_reps": f["mae"],
    }
