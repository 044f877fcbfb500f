"""Landmark messages from a page that runs the pose model itself (`pose=device`).

Such a page sends `{"type": "landmarks", "seq", "t", "image": [w, h], "landmarks"}` instead
of JPEGs, or the same as a binary message of fixed layout (`landmark_bytes`), which costs the
server about a third of the JSON to read and check (docs/BENCHMARKS.md). Everything in either
is hostile until checked here: the exact shape or length, finite numbers only, every value in
its range, time never going back. Pure: no I/O, no session state beyond the previous `t` the
caller passes in.

Parse the text with `coach.live.messages.parse_message` first: it already refuses NaN,
Infinity and overflowing numbers such as 1e999.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

from pose.landmarks import NUM_LANDMARKS

MAX_LANDMARK_CHARS = 16 * 1024
MIN_SIDE, MAX_SIDE = 16, 4096
# Normalised to the image. The model places joints it cannot see outside it: feet below a
# seated patient's picture at y = 2.26, up to 3.09 in the stored tracks of ../shared/data,
# and -1..2 refused most messages of a seated clip (found by the live targets test).
X_RANGE = (-5.0, 6.0)
Z_RANGE = (-10.0, 10.0)
MAX_SEQ = 2**53
MAX_T = 1e7  # seconds since the page started: about 115 days

# The binary landmark message: a 20-byte little-endian header (magic, seq, t, width, height),
# then 33 rows of x, y, z, visibility as float32, or nothing when no person was found.
BINARY_MAGIC = b"CLM1"
_HEADER = struct.Struct("<4sIdHH")
BINARY_HEADER_BYTES = _HEADER.size  # 20
BINARY_BYTES = BINARY_HEADER_BYTES + NUM_LANDMARKS * 4 * 4  # 548
MAX_BINARY_SEQ = 2**32 - 1

_SEQ_RE = re.compile(r'"seq"\s*:\s*(\d{1,16})\b')


class BadLandmarks(ValueError):
    """The message is not a usable landmark message; str() says why, for a person."""

    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.seq = seq


@dataclass(frozen=True)
class LandmarkMessage:
    seq: int
    t: float  # capture time, seconds since the page's start (client monotonic clock)
    image: tuple[int, int]  # width, height in pixels
    landmarks: np.ndarray | None  # (33, 4) float32 x, y, z, visibility; None: no person


_NUM = frozenset((int, float))
# Per column (x, y, z, visibility): the lowest and highest value a landmark may have.
_LOW = np.array([X_RANGE[0], X_RANGE[0], Z_RANGE[0], 0.0])
_HIGH = np.array([X_RANGE[1], X_RANGE[1], Z_RANGE[1], 1.0])
# The same bounds in float32 (each exactly representable) for the binary message's values:
# comparing float32 with float32 spares numpy a conversion.
_LOW32, _HIGH32 = _LOW.astype(np.float32), _HIGH.astype(np.float32)


def _is_number(value: Any) -> bool:
    return type(value) is float or type(value) is int  # not bool, not str, not None


def seq_hint(text: str) -> int | None:
    """The `seq` of a message too large to parse, if it shows near the start (for the reply)."""
    match = _SEQ_RE.search(text[:400])
    return int(match.group(1)) if match else None


def check_landmarks(data: dict[str, Any], last_t: float | None = None) -> LandmarkMessage:
    """The checked message, or BadLandmarks saying what is wrong (with the `seq` when it is
    readable). `last_t`: the `t` of the previous accepted message; `t` may not go back."""
    seq = data.get("seq")
    if type(seq) is not int or not 0 <= seq <= MAX_SEQ:
        raise BadLandmarks("A landmark message needs a whole-number seq (0 or more).")
    t = _checked_t(data.get("t"), last_t, seq)
    image = data.get("image")
    if type(image) is not list or len(image) != 2 or not all(type(v) is int for v in image):
        _refuse_image(seq)
    size = _checked_image(image[0], image[1], seq)
    rows = data.get("landmarks", ())
    if rows is None:
        return LandmarkMessage(seq, t, size, None)
    if type(rows) is not list or len(rows) != NUM_LANDMARKS:
        raise BadLandmarks(
            f"landmarks must be null (no person) or a list of {NUM_LANDMARKS} "
            "[x, y, z, visibility] rows.",
            seq,
        )
    # The common case in a few vectorised steps; the slow paths only say what is wrong.
    if not all(type(row) is list and len(row) == 4 for row in rows) or not (
        {type(v) for row in rows for v in row} <= _NUM
    ):
        _refuse_rows(rows, seq)
    try:
        arr = np.array(rows, dtype=np.float64)
    except (OverflowError, ValueError):  # an integer too big for a float
        raise BadLandmarks("Landmark values must be ordinary numbers.", seq) from None
    return LandmarkMessage(seq, t, size, _checked_values(arr, seq))


def is_binary_landmarks(data: bytes) -> bool:
    """Whether a binary message claims to be a landmark message (not a JPEG or PNG frame)."""
    return data[:4] == BINARY_MAGIC


def check_landmark_bytes(data: bytes, last_t: float | None = None) -> LandmarkMessage:
    """`check_landmarks` for the binary message: exactly BINARY_HEADER_BYTES (no person) or
    BINARY_BYTES long, the magic first, then the same checks on every field."""
    size = len(data)
    if size < BINARY_HEADER_BYTES or data[:4] != BINARY_MAGIC:
        raise BadLandmarks(
            f"A binary landmark message starts with {BINARY_MAGIC.decode()} and a "
            f"{BINARY_HEADER_BYTES}-byte header.",
            binary_seq(data),
        )
    _, seq, t, width, height = _HEADER.unpack_from(data)
    if size not in (BINARY_HEADER_BYTES, BINARY_BYTES):
        raise BadLandmarks(
            f"A binary landmark message is {BINARY_HEADER_BYTES} bytes (no person) or "
            f"{BINARY_BYTES} ({NUM_LANDMARKS} rows of 4 float32), not {size}.",
            seq,
        )
    t = _checked_t(t, last_t, seq)
    image = _checked_image(width, height, seq)
    if size == BINARY_HEADER_BYTES:
        return LandmarkMessage(seq, t, image, None)
    arr = np.frombuffer(data, "<f4", NUM_LANDMARKS * 4, BINARY_HEADER_BYTES)
    return LandmarkMessage(seq, t, image, _checked_values(arr.reshape(NUM_LANDMARKS, 4), seq))


def binary_seq(data: bytes) -> int | None:
    """The `seq` of a binary landmark message too broken to check, if it is there."""
    if len(data) < 8 or data[:4] != BINARY_MAGIC:
        return None
    return int.from_bytes(data[4:8], "little")


def landmark_bytes(
    seq: int, t: float, image: tuple[int, int], landmarks: np.ndarray | None
) -> bytes:
    """The binary landmark message a page sends (for tests and benchmarks; the page builds
    it in web/static/device_pose.js). `landmarks`: (33, 4) x, y, z, visibility, or None."""
    header = _HEADER.pack(BINARY_MAGIC, seq, t, image[0], image[1])
    if landmarks is None:
        return header
    return header + np.asarray(landmarks, dtype="<f4").reshape(NUM_LANDMARKS, 4).tobytes()


def _checked_t(t: Any, last_t: float | None, seq: int) -> float:
    if not _is_number(t) or not (0.0 <= t <= MAX_T) or not math.isfinite(t):
        raise BadLandmarks(
            "A landmark message needs t: capture time in seconds since the page started.", seq
        )
    t = float(t)
    if last_t is not None and t < last_t:
        raise BadLandmarks(f"Time went back: t={t:.3f} after t={last_t:.3f}.", seq)
    return t


def _checked_image(width: int, height: int, seq: int) -> tuple[int, int]:
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        _refuse_image(seq)
    return width, height


def _refuse_image(seq: int) -> NoReturn:
    raise BadLandmarks(
        f"image must be [width, height] in whole pixels, each {MIN_SIDE} to {MAX_SIDE}.", seq
    )


def _checked_values(arr: np.ndarray, seq: int) -> np.ndarray:
    """The (33, 4) values as a new float32 array, or BadLandmarks for one out of range."""
    low, high = (_LOW32, _HIGH32) if arr.dtype == np.float32 else (_LOW, _HIGH)
    # NaN fails every comparison, so this also refuses what is not finite.
    if not ((arr >= low) & (arr <= high)).all():
        _refuse_values(arr, seq)
    return arr.astype(np.float32)


def _refuse_rows(rows: list[Any], seq: int) -> NoReturn:
    """Raise BadLandmarks for the first row that is not four plain numbers."""
    for i, row in enumerate(rows):
        if type(row) is not list or len(row) != 4 or not all(type(v) in _NUM for v in row):
            raise BadLandmarks(f"Landmark {i} must be four numbers [x, y, z, visibility].", seq)
    raise BadLandmarks("Landmarks must be rows of four numbers [x, y, z, visibility].", seq)


def _refuse_values(arr: np.ndarray, seq: int) -> NoReturn:
    """Raise BadLandmarks saying which check the (33, 4) values fail."""
    x, y, z = arr[:, 0], arr[:, 1], arr[:, 2]
    lo, hi = X_RANGE
    if not (np.isfinite(arr).all()):
        raise BadLandmarks("Landmark values must be finite numbers.", seq)
    if (x < lo).any() or (x > hi).any() or (y < lo).any() or (y > hi).any():
        raise BadLandmarks(f"Landmark x and y must be within {lo:g} to {hi:g}.", seq)
    if (z < Z_RANGE[0]).any() or (z > Z_RANGE[1]).any():
        raise BadLandmarks(f"Landmark z must be within {Z_RANGE[0]:g} to {Z_RANGE[1]:g}.", seq)
    raise BadLandmarks("Landmark visibility must be within 0 to 1.", seq)


def track_messages(
    lm: np.ndarray, fps: float, image: tuple[int, int], lead_s: float = 1.0
) -> list[dict[str, Any]]:
    """A stored (T, 33, 4) track (NaN rows: no person) as the landmark messages a
    `pose=device` page would send (for tests and benchmarks replaying real tracks).

    `lead_s`: the first pose held still this long first, as a patient stands before starting:
    the live setup check must pass before reps count."""
    rows: list[list[list[float]] | None] = []
    for row in lm:
        if not np.isfinite(row[:, :2]).all():
            rows.append(None)
            continue
        clean = np.nan_to_num(row.astype(np.float64), nan=0.0)
        clean[:, 0:2] = np.clip(clean[:, 0:2], *X_RANGE)
        clean[:, 2] = np.clip(clean[:, 2], *Z_RANGE)
        clean[:, 3] = np.clip(clean[:, 3], 0.0, 1.0)
        rows.append(clean.round(5).tolist())
    first = next((r for r in rows if r is not None), None)
    lead = [first] * round(lead_s * fps) if first is not None else []
    return [
        {
            "type": "landmarks",
            "seq": i,
            "t": round(i / fps, 4),
            "image": list(image),
            "landmarks": r,
        }
        for i, r in enumerate(lead + rows)
    ]
