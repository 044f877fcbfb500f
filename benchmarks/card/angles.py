"""The angle benchmark's results (benchmarks/angles.py --json FILE) as the card's angle table.

The file is either the benchmark's whole output or its `summary` alone. What is read:

    summary.date, summary.command, summary.reference (how the reference was built),
    summary.targets {mae, abs_bias, loa, standing_median},
    summary.noise_floor {"knee_left": {"leave_one_camera_out_mae": [lo, hi],
                                       "other_references_mae": {name: mae}}},
    summary.recommended {joint: {view: {
        "formula": name | null,        # null: no formula is trusted in this view
        "shown_as": "number" | "not measured",
        "model": "full",
        "figures": {                   # the recommended formula's figures, per reference
            "four_camera": {"n", "mae", "bias", "loa_low", "loa_high"},
            "face_on_vs_image_plane": {...} | "the reference itself",
            "standing": {"clips", "worst_median", "within_0_10", "medians"}},
        "best_other": {"formula": name, ...the same figures}}}}

Anything else in the file is ignored; a missing key leaves its cell empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JOINTS = ("knee", "hip", "elbow")
VIEWS = ("side", "oblique", "front")
# The product's measure that each joint's flexion is reported as (coach.review.accuracy).
MEASURES = {"knee": "knee_flexion", "hip": "hip_flexion", "elbow": "elbow_flexion"}
# Fewer frames than this against a reference are shown in the table, never quoted to a
# therapist: about one second of video.
MIN_FRAMES = 30
REFERENCE_NAMES = {
    "four_camera": "4-camera triangulated reference",
    "face_on_vs_image_plane": "image-plane angle in a face-on view",
}


def read(path: Path) -> dict[str, Any] | None:
    """The summary, or None when the benchmark has not written its file yet."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    summary = data.get("summary", data)
    return summary if isinstance(summary.get("recommended"), dict) else None


@dataclass(frozen=True)
class AngleRow:
    joint: str
    view: str
    formula: str | None
    model: str
    agreements: dict[str, dict[str, float]]  # reference -> {n, mae, bias, loa_low, loa_high}
    standing: dict[str, Any]
    best_other: dict[str, Any]

    @property
    def quotable(self) -> tuple[str, dict[str, float]] | None:
        """(reference, figures) a therapist may be told: the reference with the most frames,
        if it has at least MIN_FRAMES."""
        usable = [(a["n"], ref, a) for ref, a in self.agreements.items() if a.get("n")]
        if not usable or self.formula is None:
            return None
        n, ref, a = max(usable, key=lambda u: u[0])
        return (ref, a) if n >= MIN_FRAMES else None


def rows(summary: dict[str, Any]) -> list[AngleRow]:
    out = []
    for joint in JOINTS:
        for view in VIEWS:
            entry = summary["recommended"].get(joint, {}).get(view)
            if entry is None:
                continue
            figures = entry.get("figures", {})
            agreements = {k: v for k, v in figures.items() if k != "standing" and _agreement(v)}
            out.append(
                AngleRow(
                    joint=joint,
                    view=view,
                    formula=entry.get("formula"),
                    model=entry.get("model", ""),
                    agreements=agreements,
                    standing=figures.get("standing", {}),
                    best_other=entry.get("best_other", {}),
                )
            )
    return out


def _agreement(value: Any) -> bool:
    return isinstance(value, dict) and "n" in value


def product_figures(summary: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """measure -> view -> what the pages may say: "within_deg" (the MAE, rounded up to a whole
    degree) with its figures when a formula is trusted there and quotable; "not_measured" when
    the benchmark trusts no formula in that view. Views with too few frames are left out."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows(summary):
        measure = MEASURES[row.joint]
        if row.formula is None:
            out.setdefault(measure, {})[row.view] = {"status": "not_measured"}
            continue
        quoted = row.quotable
        if quoted is None:
            continue
        ref, a = quoted
        out.setdefault(measure, {})[row.view] = {
            "status": "measured",
            "within_deg": int(-(-a["mae"] // 1)),
            "mae_deg": round(a["mae"], 1),
            "bias_deg": round(a["bias"], 1),
            "loa_deg": [round(a["loa_low"], 1), round(a["loa_high"], 1)],
            "frames": int(a["n"]),
            "reference": REFERENCE_NAMES.get(ref, ref),
            "formula": row.formula,
        }
    return out
