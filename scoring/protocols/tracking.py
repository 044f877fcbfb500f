"""Where a protocol's signal was not seen: the "pose lost for 3 s" warnings of a result."""

from __future__ import annotations

import numpy as np

from pose.types import Array
from scoring.words import Say, psay, say

# The legs, as a warning that they were lost names them (the stance and TUG signals' part).
LEGS = psay("body part", "legs")


def lost_spans(t: Array, seen: Array, min_s: float = 0.5) -> list[tuple[float, float]]:
    """(start_s, end_s) of each run of unseen samples lasting at least `min_s`.

    A run's length is measured from the last seen sample before it to the first seen after
    it (or the end of the track), so one dropped frame at 30 fps is not a lost second.
    """
    t = np.asarray(t, dtype=float)
    seen = np.asarray(seen, dtype=bool)
    spans: list[tuple[float, float]] = []
    i, n = 0, len(t)
    while i < n:
        if seen[i]:
            i += 1
            continue
        j = i
        while j < n and not seen[j]:
            j += 1
        start = t[i - 1] if i > 0 else t[0]
        end = t[j] if j < n else t[-1]
        if end - start >= min_s:
            spans.append((float(start), float(end)))
        i = j
    return spans


def lost_warnings(
    t: Array, seen: Array, what: Say, min_s: float = 0.5, max_lines: int = 3
) -> list[str]:
    """One line per lost span, e.g. "hips not seen for 3.0 s (from 12.1 s)", each a message
    (`what` is the body part's); more than `max_lines` spans become one summary line (a
    record needs the gist, not a log)."""
    spans = lost_spans(t, seen, min_s)
    if len(spans) > max_lines:
        total = sum(end - start for start, end in spans)
        start, end = max(spans, key=lambda s: s[1] - s[0])
        return [
            say(
                "{what} not seen for {total} s in all, in {gaps} gaps "
                "(longest {longest} s from {start} s)",
                what=what,
                total=_tenths(total),
                gaps=len(spans),
                longest=_tenths(end - start),
                start=_tenths(start),
            )
        ]
    return [
        say(
            "{what} not seen for {seconds} s (from {start} s)",
            what=what,
            seconds=_tenths(end - start),
            start=_tenths(start),
        )
        for start, end in spans
    ]


def _tenths(seconds: float) -> str:
    """Seconds as the English words write them, to a tenth ("3.0")."""
    return f"{seconds:.1f}"
