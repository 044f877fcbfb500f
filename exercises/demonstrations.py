"""The demonstrations: one correct rep per exercise as a small 2-D landmark track
(exercises/demos/<id>.json, made by samples/make_demos.py), checked before it is served.

A file that fails the check is treated as missing: the page then shows no figure rather
than a broken one.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

DEMO_DIR = Path(__file__).resolve().parent / "demos"
ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,79}$")
MAX_FRAMES = 400
MAX_JOINTS = 40


class BadDemo(ValueError):
    """A demonstration file that cannot be drawn; the message says why."""


def check_demo(data: Any) -> dict[str, Any]:
    """The demo if it can be drawn: joints named, every frame 2 x joints numbers in [0, 1],
    edges joining known joints, a positive frame rate; BadDemo otherwise."""
    if not isinstance(data, dict):
        raise BadDemo("not an object")
    joints, frames, edges = data.get("joints"), data.get("frames"), data.get("edges")
    if not isinstance(joints, list) or not 2 <= len(joints) <= MAX_JOINTS:
        raise BadDemo("joints: a list of 2 to 40 names")
    if not all(isinstance(j, str) for j in joints):
        raise BadDemo("joints: names")
    if not isinstance(frames, list) or not 2 <= len(frames) <= MAX_FRAMES:
        raise BadDemo(f"frames: 2 to {MAX_FRAMES}")
    for i, f in enumerate(frames):
        if not isinstance(f, list) or len(f) != 2 * len(joints):
            raise BadDemo(f"frames[{i}]: {2 * len(joints)} numbers")
        for v in f:
            ok = isinstance(v, int | float) and not isinstance(v, bool)
            if not ok or not math.isfinite(v) or not 0 <= v <= 1:
                raise BadDemo(f"frames[{i}]: numbers from 0 to 1")
    if not isinstance(edges, list) or not all(
        isinstance(e, list)
        and len(e) == 2
        and all(isinstance(k, int) and 0 <= k < len(joints) for k in e)
        for e in edges
    ):
        raise BadDemo("edges: pairs of joint indices")
    fps = data.get("fps")
    if not isinstance(fps, int | float) or not 0 < fps <= 60:
        raise BadDemo("fps: from 0 to 60")
    return data


@cache
def load_demo(exercise_id: str) -> dict[str, Any] | None:
    """The exercise's demonstration, or None (no file, a bad id, or a file that fails the check)."""
    if not ID_RE.match(exercise_id):
        return None
    path = DEMO_DIR / f"{exercise_id}.json"
    try:
        return check_demo(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
