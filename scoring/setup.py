"""The setup check before a set: is the needed body part in view, at a usable distance,
from a side the exercise counts in? Answers with one instruction the patient can act on, and,
when another listed view would check more, a tip (never a gate)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pose.landmarks import Landmark as L
from pose.types import Array
from scoring.kinematics import PICTURE_MARGIN
from scoring.measure_words import check_words
from scoring.view import view_satisfies
from scoring.words import Say, psay, say

MIN_VIS = 0.5
_LOW, _HIGH = -PICTURE_MARGIN, 1.0 + PICTURE_MARGIN

BODY_PARTS: dict[str, tuple[tuple[str, tuple[int, ...]], ...]] = {
    # (what to name in the message, landmarks) in the order a patient should fix them
    "full": (
        ("shoulders", (L.LEFT_SHOULDER, L.RIGHT_SHOULDER)),
        ("hips", (L.LEFT_HIP, L.RIGHT_HIP)),
        ("knees", (L.LEFT_KNEE, L.RIGHT_KNEE)),
        ("feet", (L.LEFT_ANKLE, L.RIGHT_ANKLE)),
    ),
    "lower": (
        ("hips", (L.LEFT_HIP, L.RIGHT_HIP)),
        ("knees", (L.LEFT_KNEE, L.RIGHT_KNEE)),
        ("feet", (L.LEFT_ANKLE, L.RIGHT_ANKLE)),
    ),
    "upper": (
        ("shoulders", (L.LEFT_SHOULDER, L.RIGHT_SHOULDER)),
        ("elbows", (L.LEFT_ELBOW, L.RIGHT_ELBOW)),
        ("hands", (L.LEFT_WRIST, L.RIGHT_WRIST)),
    ),
}
BODY_PARTS["legs"] = BODY_PARTS["lower"]
BODY_PARTS["arms"] = BODY_PARTS["upper"]


# The body parts of BODY_PARTS as a message names them ("I can't see your knees").
PART_WORDS: dict[str, Say] = {
    "shoulders": psay("body part", "shoulders"),
    "hips": psay("body part", "hips"),
    "knees": psay("body part", "knees"),
    "feet": psay("body part", "feet"),
    "elbows": psay("body part", "elbows"),
    "hands": psay("body part", "hands"),
    "body": psay("body part", "body"),
}
# "Step back until your ... are visible.", by the lowest part not seen.
_STEP_BACK = {
    "feet": say("Step back until your feet are visible."),
    "knees": say("Step back until your knees are visible."),
    "hips": say("Step back until your hips are visible."),
}
TURN_SIDEWAYS = say("Turn sideways to the camera.")
FACE_CAMERA = say("Face the camera.")


def parts_words(parts: Iterable[str]) -> tuple[Say, ...]:
    """Body parts (BODY_PARTS' names) as a list to say."""
    return tuple(PART_WORDS.get(p) or Say(p) for p in parts)


@dataclass(frozen=True)
class SetupResult:
    ok: bool
    message: str  # a message (scoring.words.Say), "" when ok
    missing: tuple[str, ...] = ()
    tip: str = ""  # a better view for the checks: "For knee checks, face the camera."


class ViewRule(Protocol):
    """What `view_tip` reads of a fault rule (scoring.definition.FaultRule)."""

    @property
    def view(self) -> str: ...

    @property
    def measure(self) -> str | None: ...


def visible_mask(lm: Array) -> Array:
    """Per landmark: seen with confidence and inside the picture (with a small margin)."""
    x, y, v = lm[:, 0], lm[:, 1], lm[:, 3]
    return (v >= MIN_VIS) & (x >= _LOW) & (x <= _HIGH) & (y >= _LOW) & (y <= _HIGH)


def _in_view(row: list[float]) -> bool:
    """`visible_mask` for one landmark's [x, y, z, visibility] row (the same comparisons:
    the margins' nearest float32 falls on the same side of every float32 coordinate)."""
    x, y, _, v = row
    return v >= MIN_VIS and _LOW <= x <= _HIGH and _LOW <= y <= _HIGH


def missing_parts(
    landmarks: Array, body: str, one_side_ok: bool, rows: list[list[float]] | None = None
) -> tuple[str, ...]:
    """Names of the body parts not seen. From the side one of each pair is enough.
    `rows`: `landmarks.tolist()` when the caller has it (live, per-landmark numpy indexing
    cost more than the check)."""
    rows = landmarks.tolist() if rows is None else rows
    out = []
    for name, idxs in BODY_PARTS[body]:
        seen = [_in_view(rows[i]) for i in idxs]
        if not (any(seen) if one_side_ok else all(seen)):
            out.append(name)
    return tuple(out)


def _listed(views: str | Sequence[str]) -> list[str]:
    return [views] if isinstance(views, str) else list(views)


def view_tip(views: str | Sequence[str], rules: Iterable[ViewRule], detected: str) -> str:
    """A tip when the patient stands in a listed view but another listed one runs more of
    the fault checks: "For knee checks, face the camera." Empty otherwise (or on a tie)."""
    listed = _listed(views)
    candidates = [v for v in ("front", "side") if "any" in listed or v in listed]
    if detected not in candidates or len(candidates) < 2:
        return ""
    rules = list(rules)
    runs = {v: [r for r in rules if view_satisfies(v, r.view)] for v in candidates}
    best = max(candidates, key=lambda v: len(runs[v]))
    if best == detected or len(runs[best]) == len(runs[detected]):
        return ""
    missed = [r for r in runs[best] if r not in runs[detected] and r.measure]
    words = tuple(check_words(w) for w in sorted({(r.measure or "").split("_")[0] for r in missed}))
    if not words:
        return ""
    if best == "front":
        return say("For {checks} checks, face the camera.", checks=words)
    return say("For {checks} checks, turn sideways to the camera.", checks=words)


def check_setup(
    landmarks: Array | None,
    body: str,
    required_view: str | Sequence[str],
    detected_view: str,
    tip: str = "",
) -> SetupResult:
    """`required_view`: the views the exercise counts in (one, or a list: any of them
    passes); `tip` rides along on a passing result."""
    if landmarks is None:
        return SetupResult(False, say("I can't see you. Stand in front of the camera."), ("body",))
    views = _listed(required_view)
    one_side_ok = detected_view in ("side", "oblique") or views == ["side"]
    rows = landmarks.tolist()
    missing = missing_parts(landmarks, body, one_side_ok, rows)
    if missing:
        lower = {"feet", "knees", "hips"} & set(missing)
        if lower and "shoulders" not in missing:
            what = "feet" if "feet" in missing else sorted(lower)[0]
            return SetupResult(False, _STEP_BACK[what], missing)
        if "shoulders" in missing and not lower:
            return SetupResult(False, say("Move so your head and shoulders are in view."), missing)
        if "hands" in missing:
            return SetupResult(False, say("Step back so your hands stay in view."), missing)
        parts = parts_words(missing)
        return SetupResult(False, say("Step back: I can't see your {parts}.", parts=parts), missing)
    ys = [row[1] for row in rows if row[3] >= MIN_VIS]
    if ys and body == "full":
        # The seen landmarks' height in the array's own precision, as numpy's max - min.
        scalar = landmarks.dtype.type
        height = (
            float(scalar(max(ys)) - scalar(min(ys)))
            if all(math.isfinite(y) for y in ys)
            else math.nan
        )
        if height < 0.3:
            return SetupResult(False, say("Come a little closer to the camera."), ())
    if not any(view_satisfies(detected_view, v) for v in views):
        return SetupResult(False, TURN_SIDEWAYS if "side" in views else FACE_CAMERA, ())
    return SetupResult(True, "", (), tip)
