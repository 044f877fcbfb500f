"""Overlay drawing: the skeleton and a text readout on BGR frames, in place.

Kept apart from the data types and the scoring so the same overlay serves the live view, the
exported annotated video and the tests. Only draws; never decides what is a fault (callers pass
the joints to highlight and the lines to show).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cv2
import numpy as np

from pose.landmarks import SKELETON_EDGES, Landmark
from pose.types import Array, Pose

# BGR colours.
GREEN = (0, 200, 0)
RED = (0, 0, 255)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)

# Joints drawn as dots: the body ones (those in a bone) plus the nose for head position.
_BODY_JOINTS: frozenset[int] = frozenset(
    {int(i) for edge in SKELETON_EDGES for i in edge} | {int(Landmark.NOSE)}
)
# OpenCV draws with int coordinates; clamp far-off-screen points so they cannot overflow.
_COORD_LIMIT = 1 << 15

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_ASCII_FALLBACKS = {"°": " deg", "±": "+/-", "×": "x", "–": "-", "—": "-", "…": "...", "µ": "u"}


def _pixel_points(image: Array, pose: Pose) -> list[tuple[int, int]]:
    """Pixel coordinates of the 33 landmarks in this image (its own size, in case it was
    resized), as plain ints because OpenCV rejects numpy scalars in some builds."""
    h, w = image.shape[:2]
    xy = pose.landmarks[:, :2].astype(np.float64) * (w, h)
    xy = np.nan_to_num(xy, nan=0.0, posinf=_COORD_LIMIT, neginf=-_COORD_LIMIT)
    clipped = np.clip(np.rint(xy), -_COORD_LIMIT, _COORD_LIMIT).astype(np.int64)
    return [(int(x), int(y)) for x, y in clipped.tolist()]


def draw_skeleton(
    image: Array,
    pose: Pose,
    highlight: Iterable[int] = (),
    min_visibility: float = 0.5,
) -> Array:
    """Draw bones (white) and joints (green) of `pose` on a BGR `image`, in place.

    Joints in `highlight` (landmark indices, e.g. the knee a fault refers to) are drawn red and
    larger, as are the bones touching them. Landmarks below `min_visibility` (or NaN) are
    skipped, with their bones, so a guessed position is never shown as if it were seen. Line
    width scales with the image. Returns `image` for chaining.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 BGR image, got shape {image.shape}")
    marked = {int(i) for i in highlight}
    lm = pose.landmarks
    visible = np.isfinite(lm).all(axis=1) & (lm[:, 3] >= min_visibility)
    pts = _pixel_points(image, pose)
    thickness = max(1, round(min(image.shape[:2]) / 240))
    radius = thickness + 2

    for a, b in SKELETON_EDGES:
        if visible[a] and visible[b]:
            colour = RED if (a in marked or b in marked) else WHITE
            cv2.line(image, pts[a], pts[b], colour, thickness, cv2.LINE_AA)
    for i in sorted(_BODY_JOINTS | marked):
        if not 0 <= i < len(lm) or not visible[i]:
            continue
        if i in marked:
            cv2.circle(image, pts[i], radius + 2, RED, -1, cv2.LINE_AA)
        else:
            cv2.circle(image, pts[i], radius, GREEN, -1, cv2.LINE_AA)
    return image


def _ascii(text: str) -> str:
    """OpenCV's Hershey fonts are ASCII only: spell out common symbols, '?' for the rest."""
    for symbol, spelled in _ASCII_FALLBACKS.items():
        text = text.replace(symbol, spelled)
    return text.encode("ascii", "replace").decode("ascii")


def draw_text_panel(
    image: Array,
    lines: Sequence[str],
    origin: tuple[int, int] = (10, 30),
    *,
    font_scale: float | None = None,
    colour: tuple[int, int, int] = WHITE,
    background: tuple[int, int, int] = BLACK,
    opacity: float = 0.6,
) -> tuple[int, int, int, int]:
    """Write `lines` (rep count, angles, faults) on a translucent dark box, in place.

    `origin` is where the first line's baseline starts, as in `cv2.putText`. The box keeps the
    text legible over any background. Font size scales with the image unless `font_scale` is
    given. Returns the box as (x0, y0, x1, y1), clipped to the image; all zeros if no lines.
    """
    if not lines:
        return (0, 0, 0, 0)
    h, w = image.shape[:2]
    scale = font_scale if font_scale is not None else max(0.4, min(h, w) / 720)
    thick = max(1, round(scale * 2))
    texts = [_ascii(str(line)) for line in lines]
    sizes = [cv2.getTextSize(t, _FONT, scale, thick) for t in texts]
    line_h = max(sz[1] + base for (sz, base) in sizes) + max(2, round(6 * scale))
    text_w = max(sz[0] for (sz, _) in sizes)
    ascent = max(sz[1] for (sz, _) in sizes)
    pad = max(4, round(8 * scale))
    x, y = origin
    x0, y0 = max(0, x - pad), max(0, y - ascent - pad)
    x1 = min(w, x + text_w + pad)
    y1 = min(h, y + (len(texts) - 1) * line_h + sizes[-1][1] + pad)
    if x1 > x0 and y1 > y0:
        roi = image[y0:y1, x0:x1]
        box = np.empty_like(roi)
        box[:] = background
        cv2.addWeighted(box, opacity, roi, 1.0 - opacity, 0.0, dst=roi)
    for i, text in enumerate(texts):
        cv2.putText(image, text, (x, y + i * line_h), _FONT, scale, colour, thick, cv2.LINE_AA)
    return (x0, y0, x1, y1)
