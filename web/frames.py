"""Checking and decoding the image bytes a browser sends, before they reach the model.

Anything can arrive on a WebSocket: text where an image belongs, a truncated upload, a
20-megapixel photo, a PNG bomb. Each is refused here with one sentence a person can act on
(the page shows it), and the image size is read from the header first so a huge image is
refused before it is decoded into memory.
"""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np

MAX_FRAME_BYTES = 1_000_000
MAX_SIDE_PX = 1920
MIN_SIDE_PX = 32

_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (baseline, progressive, ...) carry the image size; not DHT/DAC.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


class BadFrame(ValueError):
    """The message is not a usable camera frame; str() is the reason, for the person."""


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG or PNG header without decoding; None when not found."""
    if data.startswith(_PNG):
        if len(data) < 24:
            return None
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if not data.startswith(_JPEG):
        return None
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _SOF_MARKERS:
            if i + 9 > n:
                return None
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        if marker == 0xDA:  # start of scan before any frame header: malformed
            return None
        i += 2 + length
    return None


def decode_frame(
    data: bytes, *, max_bytes: int = MAX_FRAME_BYTES, max_side: int = MAX_SIDE_PX
) -> np.ndarray:
    """The BGR image in `data` (JPEG or PNG), or BadFrame saying what is wrong with it."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise BadFrame("Expected an image (binary WebSocket message), got text.")
    data = bytes(data)
    if not data:
        raise BadFrame("Empty frame: the camera image had no bytes.")
    if len(data) > max_bytes:
        raise BadFrame(
            f"Frame too large ({len(data) // 1024} KB; the limit is {max_bytes // 1024} KB). "
            "Send a JPEG at most 640 pixels wide."
        )
    if not (data.startswith(_JPEG) or data.startswith(_PNG)):
        raise BadFrame("That was not a camera image: frames must be JPEG (or PNG) bytes.")
    size = image_size(data)
    if size is None:
        raise BadFrame("Corrupt image: the JPEG/PNG header could not be read.")
    width, height = size
    if max(width, height) > max_side:
        raise BadFrame(
            f"Frame is {width}x{height} pixels; the limit is {max_side} per side. "
            "Downscale before sending (640 pixels wide is plenty)."
        )
    if min(width, height) < MIN_SIDE_PX:
        raise BadFrame(f"Frame is {width}x{height} pixels: too small to find a person in.")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise BadFrame("Corrupt image: it could not be decoded (truncated or damaged).")
    return image


def read_clip_scaled(path: str | Path, width: int) -> tuple[list[np.ndarray], float]:
    """Every frame of a video resized to `width` px (aspect kept), and the clip's fps.

    For tests and benchmarks that play a recording as the browser would (empty list when the
    file cannot be read)."""
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames: list[np.ndarray] = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        h, w = image.shape[:2]
        frames.append(
            cv2.resize(image, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
        )
    cap.release()
    return frames, fps


def clip_as_jpegs(path: str | Path, width: int, quality: int = 70) -> tuple[list[bytes], float]:
    """The clip as the JPEG frames the page sends (`width` px wide), and its fps."""
    frames, fps = read_clip_scaled(path, width)
    params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    return [cv2.imencode(".jpg", f, params)[1].tobytes() for f in frames], fps
