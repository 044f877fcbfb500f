"""Which way a stored session was filmed: the view most of its frames show.

The live engine decides the view frame by frame (scoring.view.ViewDetector) but does not store
it; a review page that must say how far an angle can be trusted in that view reads it back
from the stored landmarks, every few frames, with the same detector.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from scoring.view import ViewDetector

STEP = 5  # every fifth stored frame: the view changes over seconds, not frames


def filmed_from(landmarks: np.ndarray, aspect: float) -> str:
    """ "side", "front", "oblique", or "unknown" when no frame shows enough of the body."""
    detector = ViewDetector()
    votes: Counter[str] = Counter()
    for row in np.asarray(landmarks)[::STEP]:
        if not np.isfinite(row[:, :2]).all():
            continue
        view = detector.update(row, aspect)
        if view != "unknown":
            votes[view] += 1
    return votes.most_common(1)[0][0] if votes else "unknown"
