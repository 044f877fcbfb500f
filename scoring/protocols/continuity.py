"""Which frames of a track show the patient, when the model may have followed someone else.

MediaPipe Pose tracks one person. When the patient leaves the picture (a timed up-and-go's
far turn), it takes whoever it finds next, an examiner standing by for instance, and may stay
on them after the patient is back (pose.guard blanks out people it has already seen, but not
one who was only ever in the background). Offline the whole track is known, so continuity
settles it: the track is cut wherever the body jumps (its centre moves more than half a trunk
length between frames, or its size changes by half), and a piece is the patient's only if the
patient could have walked there from the patient's nearest piece in the time between them.
The longest piece is taken as the patient's to start from.
"""

from __future__ import annotations

import numpy as np

from pose.types import Array
from scoring.protocols.motion import runs

MAX_JUMP = 0.5  # trunk lengths between two frames of one piece
MAX_SCALE = 1.5  # size ratio between two frames of one piece
MAX_SPEED = 3.0  # trunk lengths a second (about 1.5 m/s): how far the patient can go unseen


def _pieces(t: Array, cx: Array, cy: Array, size: Array) -> list[tuple[int, int]]:
    """Runs of seen frames, cut where the body jumps or resizes from one frame to the next."""
    seen = np.isfinite(cx) & np.isfinite(cy) & np.isfinite(size) & (size > 0)
    out = []
    for a, b in runs(seen):
        start = a
        for i in range(a + 1, b):
            jump = np.hypot(cx[i] - cx[i - 1], cy[i] - cy[i - 1]) / size[i - 1]
            scale = size[i] / size[i - 1]
            if jump > MAX_JUMP or not (1 / MAX_SCALE <= scale <= MAX_SCALE):
                out.append((start, i))
                start = i
        out.append((start, b))
    return out


def _reachable(t: Array, cx: Array, cy: Array, size: Array, frm: int, to: int) -> bool:
    """Whether the body at frame `to` could be the one at frame `frm`, given the time between."""
    gap = abs(float(t[to] - t[frm]))
    dist = float(np.hypot(cx[to] - cx[frm], cy[to] - cy[frm])) / float(size[frm])
    return dist <= MAX_JUMP + MAX_SPEED * gap


def patient_frames(t: Array, cx: Array, cy: Array, size: Array) -> Array:
    """True for the frames that continue the patient (see the module docstring).

    `cx`, `cy`: the body's centre per frame (e.g. between the pelvis and the shoulders, image
    heights); `size`: its trunk length (image heights); NaN where not seen."""
    t, cx, cy, size = (np.asarray(a, float) for a in (t, cx, cy, size))
    keep = np.zeros(len(t), bool)
    pieces = _pieces(t, cx, cy, size)
    if not pieces:
        return keep
    anchor = max(range(len(pieces)), key=lambda k: pieces[k][1] - pieces[k][0])
    a, b = pieces[anchor]
    keep[a:b] = True
    last = b - 1  # the patient's last frame so far, going forwards
    for a, b in pieces[anchor + 1 :]:
        if _reachable(t, cx, cy, size, last, a):
            keep[a:b] = True
            last = b - 1
    first = pieces[anchor][0]  # going backwards
    for a, b in reversed(pieces[:anchor]):
        if _reachable(t, cx, cy, size, first, b - 1):
            keep[a:b] = True
            first = a
    return keep
