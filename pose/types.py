"""Plain data passed along the pipeline: a timestamped frame and the pose found in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pose.landmarks import NUM_LANDMARKS

# numpy arrays in annotations (shapes and units are in the docstrings): any dtype, or float64.
Array = npt.NDArray[Any]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Frame:
    """One image from a source, with its presentation time in seconds from the stream start."""

    image: Array  # H x W x 3, BGR, uint8 (OpenCV convention)
    t: float
    index: int
    rgb: Array | None = None
    """The same picture in RGB (the model's order) when a source made it already (on its
    decoding thread: `pose.sources.Prefetched`), so it is converted once; None otherwise."""

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        h, w = self.image.shape[:2]
        return w, h


@dataclass(frozen=True)
class Pose:
    """33 body landmarks of one person at one instant.

    `landmarks` is (33, 4): x, y normalised to the image width and height (0..1, may fall
    outside when a joint is out of frame), z (MediaPipe's relative depth, roughly the scale of
    x), visibility (0..1). `world` is (33, 3) in metres, hip-centred, or None when the backend
    gives none. `image_size` is (width, height) in pixels: x and y need it to form true angles.
    `others_in_view`: someone besides this person was seen lately (pose.guard).
    """

    landmarks: Array
    t: float
    image_size: tuple[int, int]
    world: Array | None = None
    others_in_view: bool = False

    def __post_init__(self) -> None:
        if self.landmarks.shape != (NUM_LANDMARKS, 4):
            raise ValueError(f"landmarks must be ({NUM_LANDMARKS}, 4), got {self.landmarks.shape}")
        if self.world is not None and self.world.shape != (NUM_LANDMARKS, 3):
            raise ValueError(
                f"world landmarks must be ({NUM_LANDMARKS}, 3), got {self.world.shape}"
            )

    @property
    def aspect(self) -> float:
        """Width over height: scales normalised x against y when measuring angles."""
        w, h = self.image_size
        return w / h if h else 1.0

    @property
    def visibility(self) -> Array:
        return self.landmarks[:, 3]
