"""Fault rules against labelled real data: prints a Markdown table, optionally writes JSON.

  python benchmarks/labelled.py [--data ../shared/data] [--json out.json] [--limit N]

Datasets (read in place under DATA/labelled, never copied): UI-PRMD Kinect (deep squat m01,
sit-to-stand m05, standing shoulder abduction m07: correct vs incorrect, one rep per file),
Pose Trainer OpenPose (good vs bad bicep curls and front raises), Exercise-Correction
MediaPipe (single frames: curl leaning back, lunge knee over toe). The rules are the exercise
library's own; a second table judges the same files against a reference of correct reps
(scoring.reference; UI-PRMD: the subject's other correct reps, Pose Trainer: the other good
files). See docs/BENCHMARKS.md for the method. `--limit N` keeps N files (rows) of
each label, for a quick check.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from labelled_data.reference_validation import evaluate_references, robustness
from labelled_data.validate import evaluate_all, format_table

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    default = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default, help="the shared data folder")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ap.add_argument("--limit", type=int, help="at most N files (rows) of each label")
    ap.add_argument(
        "--robustness",
        action="store_true",
        help="also judge UI-PRMD with other reference limits (SD multiple x floor scale)",
    )
    args = ap.parse_args(argv)
    labelled = args.data / "labelled"
    if not labelled.is_dir():
        print(f"no labelled data at {labelled}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    results = evaluate_all(labelled, args.limit)
    print("## The definitions' fixed rules\n")
    print(format_table(results))
    with_reference = evaluate_references(labelled, args.limit, results)
    print("\n## With a reference of correct reps (leave one out)\n")
    print(format_table(with_reference))
    if args.robustness:
        print("\n## Other reference limits, UI-PRMD, rules + reference: BA (sens/spec)\n")
        print(robustness_table(labelled, args.limit, results))
    print(f"\n({time.perf_counter() - start:.1f} s)")
    if args.json:
        rows = [r.to_json() for r in results]
        rows += [{**r.to_json(), "reference": True} for r in with_reference]
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


def robustness_table(labelled: Path, limit: int | None, rules: list) -> str:  # type: ignore[type-arg]
    sds = (2.0, 2.5, 3.0, 3.5, 4.0)
    floors = (0.5, 1.0, 2.0)
    known = {(v.id, v.label): v for r in rules for v in r.verdicts}
    rows = robustness(
        labelled / "ui_prmd_kinect", [(k, f) for k in sds for f in floors], limit, known
    )
    lines = [
        "| movement | floor scale | " + " | ".join(f"{k:g} SD" for k in sds) + " |",
        "| --- | --- | " + " | ".join("---" for _ in sds) + " |",
    ]
    for movement in dict.fromkeys(r[0] for r in rows):
        for f in floors:
            cells = [
                f"{s.balanced_accuracy:.2f} ({s.sensitivity:.2f}/{s.specificity:.2f})"
                for m, k, fs, s in rows
                if m == movement and fs == f
            ]
            lines.append(f"| {movement} | x{f:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
