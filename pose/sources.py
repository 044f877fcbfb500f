"""Frame sources: video files, webcams and image folders, all yielding timestamped `Frame`s.

Everything downstream (filters, rep timing, hold timers) needs the real presentation time of each
frame, not its index: phone videos have variable frame rates and webcams drop frames. This module
is the one place that turns "something the user pointed us at" into `Frame(image, t, index)` and
turns every way that can go wrong (missing file, not a video, truncated video, no camera) into a
`SourceError` whose message says what to do.
"""

from __future__ import annotations

import math
import queue
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2

from pose.closing import Closing
from pose.types import Array, Frame

IMAGE_SUFFIXES: frozenset[str] = frozenset({".jpg", ".jpeg", ".png"})
DEFAULT_FPS = 30.0
# Containers sometimes report nonsense rates (0, 1000, 90000): beyond this we fall back.
_MAX_SANE_FPS = 1000.0


class SourceError(ValueError):
    """A frame source cannot be opened or read; the message says which file/camera and why."""


@dataclass(frozen=True)
class VideoInfo:
    """What is known about a stream before reading it (header values: may be estimates).

    `frame_count` is 0 when unknown (cameras, some containers); `duration_s` is then 0 too.
    """

    width: int
    height: int
    fps: float
    frame_count: int = 0
    duration_s: float = 0.0


class FrameSource(Closing, ABC):
    """An iterable of `Frame`s with increasing `t`; closes its device/file on `close()`.

    Sources are context managers so that a camera is released even when the caller crashes.
    """

    info: VideoInfo

    @abstractmethod
    def __iter__(self) -> Iterator[Frame]:
        """Yield frames in order, `t` in seconds from the start of the stream."""

    def close(self) -> None:  # noqa: B027 - optional hook, default no-op
        """Release the underlying file or device. Idempotent."""


def _sane_fps(fps: float) -> bool:
    return math.isfinite(fps) and 0.0 < fps <= _MAX_SANE_FPS


class VideoFileSource(FrameSource):
    """Frames of a video file, decoded with OpenCV (FFmpeg).

    Timestamps come from the container (CAP_PROP_POS_MSEC) so variable-frame-rate phone videos
    keep their real timing; when the container gives no usable time (not increasing), the
    previous time plus the nominal frame period is used instead.

    The file is opened and its first frame decoded in the constructor, so a bad path or a file
    that is not a video fails early with a `SourceError`. A file that ends before its header's
    frame count (cut-off download, crashed recorder) is read as far as possible: check
    `truncated` and `frames_read` afterwards to warn the user.

    `stride` keeps every n-th frame (`Frame.index` stays the frame number in the file);
    `max_frames` caps the number of frames yielded; `decode_threads` the threads FFmpeg
    decodes with (None: its default, one a core; the frames are the same either way).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        max_frames: int | None = None,
        stride: int = 1,
        decode_threads: int | None = None,
    ) -> None:
        self.path = Path(path)
        if stride < 1:
            raise ValueError(f"stride must be >= 1, got {stride}")
        if max_frames is not None and max_frames < 0:
            raise ValueError(f"max_frames must be >= 0, got {max_frames}")
        if decode_threads is not None and decode_threads < 1:
            raise ValueError(f"decode_threads must be >= 1, got {decode_threads}")
        self.max_frames = max_frames
        self.stride = stride
        self.decode_threads = decode_threads
        if not self.path.exists():
            raise SourceError(f"video file not found: {self.path}")
        if self.path.is_dir():
            raise SourceError(
                f"{self.path} is a directory, not a video file (use ImageFolderSource for frames)"
            )
        self.frames_read = 0
        """Frames decoded from the file so far (including ones skipped by `stride`)."""
        self._reached_end = False
        self._closed = False
        self._cap: cv2.VideoCapture | None = None
        self._first: Array | None = None
        self._first_msec = 0.0
        self._open()
        assert self._cap is not None
        width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if self._first is not None:
            height, width = self._first.shape[:2]
        fps = float(self._cap.get(cv2.CAP_PROP_FPS))
        if not _sane_fps(fps):
            fps = DEFAULT_FPS
        count_raw = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
        count = int(count_raw) if math.isfinite(count_raw) and count_raw > 0 else 0
        self.info = VideoInfo(width, height, fps, count, count / fps if count else 0.0)

    def _open(self) -> None:
        """Open the capture and decode frame 0, so that unreadable files fail here."""
        if self.decode_threads is None:
            cap = cv2.VideoCapture(str(self.path))
        else:
            threads = [cv2.CAP_PROP_N_THREADS, self.decode_threads]
            cap = cv2.VideoCapture(str(self.path), cv2.CAP_ANY, threads)
        if not cap.isOpened():
            cap.release()
            raise SourceError(
                f"cannot open {self.path} as a video: not a video file, an unsupported codec, "
                "or a file cut off before its header/index was written"
            )
        ok, image = cap.read()
        if not ok or image is None:
            cap.release()
            raise SourceError(
                f"{self.path} opened but no frame could be decoded: the video is empty, "
                "truncated or corrupt"
            )
        self._cap = cap
        self._first = image
        self._first_msec = float(cap.get(cv2.CAP_PROP_POS_MSEC))

    @property
    def truncated(self) -> bool:
        """True when reading hit the end of the file before the header's frame count."""
        return (
            self._reached_end
            and self.info.frame_count > 0
            and self.frames_read < self.info.frame_count
        )

    def __iter__(self) -> Iterator[Frame]:
        if self._closed:
            raise SourceError(f"{self.path} is closed")
        if self._first is None:
            # Iterated before: start again from the top with a fresh capture.
            if self._cap is not None:
                self._cap.release()
            self._open()
        cap, image, msec = self._cap, self._first, self._first_msec
        assert cap is not None and image is not None
        self._first = None
        self.frames_read = 1
        self._reached_end = False
        period = 1.0 / self.info.fps
        index = 0
        yielded = 0
        prev_t: float | None = None
        prev_index = 0
        if self.max_frames == 0:
            return
        while True:
            t_file = msec / 1000.0
            if prev_t is None:
                t = t_file if math.isfinite(t_file) and t_file >= 0.0 else 0.0
            elif math.isfinite(t_file) and t_file > prev_t:
                t = t_file
            else:
                t = prev_t + (index - prev_index) * period
            prev_t, prev_index = t, index
            yield Frame(image=image, t=t, index=index)
            yielded += 1
            if self.max_frames is not None and yielded >= self.max_frames:
                return
            # Skip stride-1 frames cheaply (grab without retrieve), then decode the next.
            for _ in range(self.stride - 1):
                if self._cap is not cap:  # closed while iterating
                    return
                if not cap.grab():
                    self._reached_end = True
                    return
                self.frames_read += 1
                index += 1
            if self._cap is not cap:
                return
            ok, image = cap.read()
            if not ok or image is None:
                self._reached_end = True
                return
            self.frames_read += 1
            index += 1
            msec = float(cap.get(cv2.CAP_PROP_POS_MSEC))

    def close(self) -> None:
        self._closed = True
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._first = None

    def __repr__(self) -> str:
        return f"VideoFileSource({str(self.path)!r}, {self.info})"


class CameraSource(FrameSource):
    """Live frames from a webcam by OpenCV index; `t` is wall-clock time since the first frame.

    Wall-clock (monotonic) time is used because webcams drop and delay frames: the real instant
    matters for hold timers and velocity, not the frame number. The stream ends when the camera
    stops delivering frames (unplugged) or after `max_frames`.
    """

    def __init__(
        self,
        index: int = 0,
        width: int | None = None,
        height: int | None = None,
        *,
        max_frames: int | None = None,
    ) -> None:
        self.index = index
        self.max_frames = max_frames
        self.frames_read = 0
        cap = cv2.VideoCapture(index)
        if not cap.isOpened():
            cap.release()
            raise SourceError(
                f"cannot open camera {index}: no such camera, or it is in use by another program "
                "(try another index, or close other apps using the webcam)"
            )
        if width is not None:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height is not None:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._cap: cv2.VideoCapture | None = cap
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        self.info = VideoInfo(
            int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            fps if _sane_fps(fps) else DEFAULT_FPS,
        )

    def __iter__(self) -> Iterator[Frame]:
        cap = self._cap
        if cap is None:
            raise SourceError(f"camera {self.index} is closed")
        t0: float | None = None
        while self.max_frames is None or self.frames_read < self.max_frames:
            if self._cap is not cap:
                return
            ok, image = cap.read()
            now = time.monotonic()
            if not ok or image is None:
                return
            if t0 is None:
                t0 = now
            yield Frame(image=image, t=now - t0, index=self.frames_read)
            self.frames_read += 1

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def __repr__(self) -> str:
        return f"CameraSource({self.index}, {self.info})"


def _natural_key(path: Path) -> list[Any]:
    """Sort frame_2.png before frame_10.png."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


class ImageFolderSource(FrameSource):
    """Still images in a folder (jpg/png, natural sort order) played as a stream at `fps`.

    Useful for exported frame sequences and for test fixtures; `t = i / fps`.
    """

    def __init__(self, folder: str | Path, fps: float = DEFAULT_FPS) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise SourceError(f"image folder not found: {self.folder}")
        if not _sane_fps(fps):
            raise ValueError(f"fps must be in (0, {_MAX_SANE_FPS}], got {fps}")
        images = (p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        self.files: list[Path] = sorted((p for p in images if p.is_file()), key=_natural_key)
        if not self.files:
            raise SourceError(
                f"no images in {self.folder} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})"
            )
        first = self._load(self.files[0])
        height, width = first.shape[:2]
        n = len(self.files)
        self.info = VideoInfo(width, height, float(fps), n, n / fps)

    @staticmethod
    def _load(path: Path) -> Array:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise SourceError(f"cannot read image {path}: not an image or corrupt")
        return image

    def __iter__(self) -> Iterator[Frame]:
        for i, path in enumerate(self.files):
            yield Frame(image=self._load(path), t=i / self.info.fps, index=i)

    def __repr__(self) -> str:
        return f"ImageFolderSource({str(self.folder)!r}, {self.info})"


class _Failed:
    """What the decoding thread hands over when reading raised: the consumer raises it."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_END = object()


class Prefetched(FrameSource):
    """Another source's frames, decoded ahead on a thread of their own.

    Decoding (FFmpeg) and the RGB conversion release the GIL, so they run on another core
    while the model works on the frame before: `depth` frames at most wait in a bounded
    queue (memory stays a few frames, whatever the video's length). With `rgb` each frame
    carries `Frame.rgb`, the model's colour order, made here once. Frames come in the same
    order with the same times as from `source`; an error while reading is raised to the
    consumer at the point it happened. Closing this closes `source`.
    """

    def __init__(self, source: FrameSource, *, depth: int = 4, rgb: bool = True) -> None:
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        self.source = source
        self.info = source.info
        self.depth = depth
        self.rgb = rgb

    def __iter__(self) -> Iterator[Frame]:
        frames: queue.Queue[object] = queue.Queue(maxsize=self.depth)
        stop = threading.Event()
        reader = threading.Thread(
            target=self._read, args=(frames, stop), name="coach-decode", daemon=True
        )
        reader.start()
        try:
            while (item := frames.get()) is not _END:
                if isinstance(item, _Failed):
                    raise item.exc
                assert isinstance(item, Frame)
                yield item
        finally:
            stop.set()
            reader.join()

    def _read(self, frames: queue.Queue[object], stop: threading.Event) -> None:
        """The decoding thread: frames into the queue until the end, an error or `stop`."""

        def put(item: object) -> bool:
            while not stop.is_set():
                try:
                    frames.put(item, timeout=0.05)
                    return True
                except queue.Full:
                    continue
            return False

        try:
            for frame in self.source:
                if self.rgb and frame.rgb is None:
                    frame = replace(frame, rgb=cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB))
                if not put(frame):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))
            return
        put(_END)

    def close(self) -> None:
        self.source.close()

    def __repr__(self) -> str:
        return f"Prefetched({self.source!r}, depth={self.depth})"


def open_source(spec: str | int | Path, **kwargs: Any) -> FrameSource:
    """Open what the user named: an int or digit string is a camera index, a directory an image
    folder, anything else a video file. Extra keyword arguments go to that source's constructor.
    """
    if isinstance(spec, bool):
        raise TypeError("source spec must be a camera index, a path or a string, not a bool")
    if isinstance(spec, int):
        return CameraSource(spec, **kwargs)
    if isinstance(spec, str) and spec.strip().isdigit():
        return CameraSource(int(spec.strip()), **kwargs)
    path = Path(spec)
    if path.is_dir():
        return ImageFolderSource(path, **kwargs)
    return VideoFileSource(path, **kwargs)
