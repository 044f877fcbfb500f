"""The card's figures the product shows, as coach/accuracy.json (read by coach.review.accuracy).

Only figures measured against labels go in; where the card has none, the key is absent and
the pages say nothing. Counts are per exercise id, clinical tests per `coach protocol` id,
angles per measure and camera view.
"""

from __future__ import annotations

from typing import Any

from benchmarks.card import evalset, everyday, jumps
from benchmarks.card.counts import error_figures

FORMAT = 1


def product_card(card: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "format": FORMAT,
        "generated": card["generated"],
        "counting": {
            ex: _count(f) for ex, f in card["counting"]["exercises"].items() if f.get("clips")
        },
        "holds": _holds(card["holds"]["rows"]),
        "protocols": _protocols(card),
        "angles": card["angles"].get("product", {}) if card["angles"]["measured"] else {},
        # Jump landings (not a `coach protocol` test): landing times and counts, when measured.
        **jumps.product(card.get("jumps", {})),
        # Rep counts on the evaluation set's recordings (the latest run), all exercises.
        "counting_unseen": evalset.product(card.get("unseen", {})),
    }
    return out


def _count(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "recordings": f["clips"],
        "exact": f["exact"],
        "within_one": f["within_one"],
        "mae_reps": round(f["mae"], 2),
    }


def _holds(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per exercise, the timed holds with an exact label (segment labels are too coarse)."""
    by_exercise: dict[str, list[float]] = {}
    for r in rows:
        if r["label"] == "hold" and r["measured_s"] > 0:
            by_exercise.setdefault(r["exercise"], []).append(r["error_s"])
    return {ex: _seconds(error_figures(errs), "recordings") for ex, errs in by_exercise.items()}


def _seconds(f: dict[str, Any], count_key: str) -> dict[str, Any]:
    return {count_key: f["n"], "mae_s": round(f["mae"], 2), "bias_s": round(f["bias"], 2)}


def _protocols(card: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    chair = card["chair_stands"]["figures"]
    if chair.get("clips"):
        out["chair-stand"] = {
            "recordings": chair["clips"],
            "exact": chair["exact"],
            "within_one": chair["within_one"],
        }
    sts = card["sit_to_stand"]
    five, stands = sts["five_times"], sts["stand_reached"]
    entry: dict[str, Any] = {}
    if five.get("n"):
        entry.update(_seconds(five, "recordings"))
    if stands.get("n"):
        entry["stands"] = {**_seconds(stands, "n"), "missed": stands["missed"]}
    if entry:
        out["five-times-sit-to-stand"] = entry
    holds = _holds(card["holds"]["rows"])
    if "single_leg_stance" in holds:
        out["single-leg-stance"] = holds["single_leg_stance"]
    out.update(everyday.product(card.get("everyday", {})))
    return out
