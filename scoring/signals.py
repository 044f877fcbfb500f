"""Turning per-side measures into the one signal a rule reads (both, max, left, right, each)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from scoring.measures import frame_names

NAN = float("nan")
# The names with one value per frame (scoring.measures), as a set: read many times a frame.
_FRAME_NAMES = frozenset(frame_names())


def side_values(values: Mapping[str, float], base: str, side: str) -> dict[str, float]:
    """{label: value} for a rule: one entry, or one per side when side == "each".

    "both" averages the sides that are visible (one hidden side does not hide the signal);
    "max" takes the larger (whichever limb is moving in alternating exercises).
    """
    if base in _FRAME_NAMES:
        return {"": values.get(base, NAN)}
    left = values.get(f"{base}_left", NAN)
    right = values.get(f"{base}_right", NAN)
    if side == "each":
        return {"left": left, "right": right}
    if side == "left":
        return {"left": left}
    if side == "right":
        return {"right": right}
    seen = [v for v in (left, right) if math.isfinite(v)]
    if not seen:
        return {"": NAN}
    return {"": max(seen) if side == "max" else sum(seen) / len(seen)}


def side_difference(values: Mapping[str, float], base: str) -> float:
    left = values.get(f"{base}_left", NAN)
    right = values.get(f"{base}_right", NAN)
    return abs(left - right) if math.isfinite(left) and math.isfinite(right) else NAN
