"""Left/right symmetry of a session: how evenly the two sides reach their range.

Symmetry index (Robinson, Herzog & Nigg 1987): SI = |L - R| / ((L + R) / 2) * 100, in per
cent; 0 is perfect symmetry. L and R are each side's peak range of motion over the session's
reps (the counted measure, in its own units), so one poor rep does not decide it, and
alternating exercises (marching, one arm at a time) compare each side's best.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from scoring.events import RepCompleted


@dataclass(frozen=True)
class Symmetry:
    index_pct: float  # SI, per cent: 0 symmetric; 20 one side reaches 20 % less (roughly)
    left: float  # peak range of motion of the left side, counted measure's units
    right: float
    reps_left: int  # reps in which that side was measured
    reps_right: int
    measure: str  # the measure the ranges are in

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("index_pct", "left", "right"):
            out[key] = round(out[key], 3)
        return out


def symmetry_index(left: float, right: float) -> float:
    """Robinson's SI in per cent; NaN when a side is missing or both are zero."""
    if not (math.isfinite(left) and math.isfinite(right)):
        return math.nan
    mean = (abs(left) + abs(right)) / 2.0
    if mean <= 0:
        return math.nan
    return abs(left - right) / mean * 100.0


def session_symmetry(reps: Iterable[RepCompleted], measure: str) -> Symmetry | None:
    """The session's symmetry from the per-side ranges the reps carry; None if a side was
    never measured (a one-sided exercise, or the far side hidden all along)."""
    lefts = [r.rom_left for r in reps if math.isfinite(r.rom_left)]
    rights = [r.rom_right for r in reps if math.isfinite(r.rom_right)]
    if not lefts or not rights:
        return None
    left, right = max(lefts), max(rights)
    index = symmetry_index(left, right)
    if not math.isfinite(index):
        return None
    return Symmetry(index, left, right, len(lefts), len(rights), measure)
