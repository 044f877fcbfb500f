"""The common track type of the dataset adapters and the 3-D to image projection they share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pose.landmarks import NUM_LANDMARKS
from pose.types import Array


@dataclass(frozen=True)
class LabelledTrack:
    """One labelled recording as our pipeline would have seen it.

    `landmarks` is (T, 33, 4): x, y normalised to the (virtual) image width and height, z on
    the scale of x, visibility (0 for joints the dataset does not have). `aspect` is the image
    width over height, so that `scoring.kinematics.to_points` restores true proportions.
    `label` is the dataset's own class for the whole recording (e.g. "correct", "incorrect").
    """

    id: str
    landmarks: Array
    t: Array
    aspect: float
    label: str
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def frames(self) -> int:
        return int(self.landmarks.shape[0])


def empty_landmarks(frames: int) -> Array:
    """(T, 33, 4) of zeros: every joint at the origin and invisible until an adapter fills it."""
    return np.zeros((frames, NUM_LANDMARKS, 4), dtype=np.float64)


def project_3d(points: Array, view: str, margin: float = 0.1) -> tuple[Array, float]:
    """Orthographic picture of 3-D joints (T, J, 3; x right, y up, z towards the camera).

    `view="front"` keeps the sensor's own view (the subject faces it); `view="side"` puts a
    virtual camera at the subject's left (+x), looking towards -x. Returns (T, J, 3) with
    x, y normalised to one fixed frame around the whole track (image y pointing down) and z
    as MediaPipe's depth (smaller is closer, scaled like x), and the frame's aspect ratio.
    """
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 3 or p.shape[-1] != 3:
        raise ValueError(f"points must be (T, J, 3), got {p.shape}")
    if view == "front":
        u, depth = p[..., 0], -p[..., 2]
    elif view == "side":
        u, depth = -p[..., 2], -p[..., 0]
    else:
        raise ValueError(f"view must be 'front' or 'side', got {view!r}")
    v = -p[..., 1]
    u0, u1 = float(np.nanmin(u)), float(np.nanmax(u))
    v0, v1 = float(np.nanmin(v)), float(np.nanmax(v))
    pad = margin * max(u1 - u0, v1 - v0)
    width, height = (u1 - u0) + 2 * pad, (v1 - v0) + 2 * pad
    out = np.empty_like(p)
    out[..., 0] = (u - u0 + pad) / width
    out[..., 1] = (v - v0 + pad) / height
    out[..., 2] = (depth - np.nanmean(depth)) / width
    return out, width / height
