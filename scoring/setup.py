"""The setup check before a set: is the needed body part in view, at a usable distance,
from the right side? Answers with one instruction the patient can act on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose.landmarks import Landmark as L

MIN_VIS = 0.5

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


@dataclass(frozen=True)
class SetupResult:
    ok: bool
    message: str
    missing: tuple[str, ...] = ()


def visible_mask(lm: np.ndarray) -> np.ndarray:
    """Per landmark: seen with confidence and inside the picture (with a small margin)."""
    x, y, v = lm[:, 0], lm[:, 1], lm[:, 3]
    return (v >= MIN_VIS) & (x >= -0.02) & (x <= 1.02) & (y >= -0.02) & (y <= 1.02)


def missing_parts(landmarks: np.ndarray, body: str, one_side_ok: bool) -> tuple[str, ...]:
    """Names of the body parts not seen. From the side one of each pair is enough."""
    out = []
    mask = visible_mask(landmarks)
    for name, idxs in BODY_PARTS[body]:
        seen = mask[list(idxs)]
        if not (seen.any() if one_side_ok else seen.all()):
            out.append(name)
    return tuple(out)


def check_setup(
    landmarks: np.ndarray | None, body: str, required_view: str, detected_view: str
) -> SetupResult:
    if landmarks is None:
        return SetupResult(False, "I can't see you. Stand in front of the camera.", ("body",))
    one_side_ok = detected_view in ("side", "oblique") or required_view == "side"
    missing = missing_parts(landmarks, body, one_side_ok)
    if missing:
        lower = {"feet", "knees", "hips"} & set(missing)
        if lower and "shoulders" not in missing:
            what = "feet" if "feet" in missing else sorted(lower)[0]
            return SetupResult(False, f"Step back until your {what} are visible.", missing)
        if "shoulders" in missing and not lower:
            return SetupResult(False, "Move so your head and shoulders are in view.", missing)
        if "hands" in missing:
            return SetupResult(False, "Step back so your hands stay in view.", missing)
        return SetupResult(False, f"Step back: I can't see your {', '.join(missing)}.", missing)
    seen = landmarks[landmarks[:, 3] >= MIN_VIS]
    if len(seen):
        height = float(seen[:, 1].max() - seen[:, 1].min())
        if body == "full" and height < 0.3:
            return SetupResult(False, "Come a little closer to the camera.", ())
    if required_view == "side" and detected_view == "front":
        return SetupResult(False, "Turn sideways to the camera.", ())
    if required_view == "front" and detected_view == "side":
        return SetupResult(False, "Face the camera.", ())
    return SetupResult(True, "", ())
