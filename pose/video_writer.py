"""Writing annotated frames to an .mp4 file (the exported "coached" video).

cv2.VideoWriter fails silently in two common ways: it "opens" but writes nothing when the codec
or path is unusable, and it drops frames whose size differs from the declared one. `VideoSink`
turns both into clear errors and closes the file reliably as a context manager.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from pose.closing import Closing
from pose.types import Array


class VideoSinkError(OSError):
    """The output video cannot be created or written."""


class VideoSink(Closing):
    """Writes BGR uint8 frames of a fixed `size` (width, height) to `path` at `fps`.

    Uses the 'mp4v' (MPEG-4 Part 2) codec, which every OpenCV wheel can encode without extra
    libraries; browsers may need H.264 for inline playback, which OpenCV wheels cannot write.
    """

    def __init__(
        self, path: str | Path, fps: float, size: tuple[int, int], fourcc: str = "mp4v"
    ) -> None:
        self.path = Path(path)
        width, height = (int(v) for v in size)
        if width <= 0 or height <= 0:
            raise ValueError(f"size must be positive (width, height), got {size}")
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be > 0, got {fps}")
        if len(fourcc) != 4:
            raise ValueError(f"fourcc must be 4 characters, got {fourcc!r}")
        if not self.path.parent.is_dir():
            raise VideoSinkError(f"cannot write {self.path}: folder {self.path.parent} not found")
        if self.path.is_dir():
            raise VideoSinkError(f"cannot write {self.path}: it is a directory")
        self.fps = float(fps)
        self.size = (width, height)
        self.frames_written = 0
        writer = cv2.VideoWriter(
            str(self.path), cv2.VideoWriter.fourcc(*fourcc), self.fps, self.size
        )
        if not writer.isOpened():
            writer.release()
            raise VideoSinkError(
                f"cannot open {self.path} for writing with codec {fourcc!r} (unsupported "
                "extension/codec, or no write permission)"
            )
        self._writer: cv2.VideoWriter | None = writer

    @property
    def closed(self) -> bool:
        return self._writer is None

    def write(self, image: Array) -> None:
        """Append one frame; it must be HxWx3 uint8 with (W, H) == `size`."""
        if self._writer is None:
            raise VideoSinkError(f"{self.path} is closed")
        width, height = self.size
        if image.shape != (height, width, 3) or image.dtype != np.uint8:
            raise ValueError(
                f"frame must be {height}x{width}x3 uint8 to match the video size {self.size}, "
                f"got shape {image.shape} dtype {image.dtype}"
            )
        self._writer.write(image)
        self.frames_written += 1

    def close(self) -> None:
        """Finish the file (writes the index). Idempotent."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
