"""Per-rep form score, 0 to 100.

    score = 100 * min(1, rom / target_rom) - sum(penalty of each distinct fault in the rep)

clipped to [0, 100]. `target_rom` is the distance from the rest threshold (`exit`) to the
definition's `target`: a rep that reaches the target from rest earns the full range share.
Each fault's penalty comes from its definition (15 points by default), counted once per rep.
The formula is deliberately simple, so a therapist can explain any score to a patient.
"""

from __future__ import annotations

from collections.abc import Iterable


def rep_score(rom: float, target_rom: float, penalties: Iterable[float]) -> float:
    if target_rom <= 0:
        raise ValueError("target_rom must be positive")
    depth = max(0.0, min(1.0, rom / target_rom))
    return round(max(0.0, min(100.0, 100.0 * depth - sum(penalties))), 1)
