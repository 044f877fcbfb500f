"""Turn a real recording into a .y4m file that Chromium plays as its fake webcam.

Chromium's `--use-file-for-fake-video-capture` reads uncompressed YUV4MPEG2 (4:2:0) and loops
it. We resample to a constant 30 fps by presentation time (phone clips are 24-30 fps), shrink
to a small width (the file is raw video: 480x270 is ~190 KB a frame), and optionally hold the
first frame for a lead-in, like a patient standing still while the page checks their setup.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np


def _even(n: float) -> int:
    return max(2, int(round(n / 2)) * 2)


# What this process has written already: (source, width, fps, lead-in, max, repeat) -> (file,
# loop s).
_written: dict[tuple[str, int, int, float, float | None, int], tuple[Path, float]] = {}

# Decoded clips kept across test runs and xdist workers: the clip's motion (no lead-in) as a
# y4m, named by the source's sha-256 and the parameters. Bump FORMAT when the output changes.
FORMAT = 1
CACHE = Path(tempfile.gettempdir()) / "coach-test-y4m"
FRAME = b"FRAME\n"


def write_y4m(
    src: Path,
    dst: Path,
    *,
    width: int = 480,
    fps: int = 30,
    lead_in_s: float = 0.0,
    max_s: float | None = None,
    repeat: int = 1,
) -> float:
    """Write `src` (its first `max_s` seconds) as a y4m at `fps`, its motion `repeat` times
    after the one lead-in (a clip played twice without waiting again); returns the duration
    in seconds of one loop. The same camera file asked for again in this process is a link to
    the first; the clip's decoded motion is cached on disk (`motion_y4m`), so only the still
    lead-in is written anew (decoding a 1080p clip takes seconds)."""
    key = (str(src), width, fps, round(lead_in_s, 3), max_s, repeat)
    if key in _written and _written[key][0].exists():
        first, loop_s = _written[key]
        if Path(dst) != first:
            Path(dst).unlink(missing_ok=True)
            Path(dst).symlink_to(first)
        return loop_s
    motion = motion_y4m(Path(src), width, fps, max_s)
    n_lead = int(round(lead_in_s * fps))
    with open(motion, "rb") as f, open(dst, "wb") as out:
        header = f.readline()
        out.write(header)
        if n_lead:
            assert f.read(len(FRAME)) == FRAME
            still = f.read(_frame_bytes(header))
            for _ in range(n_lead):
                out.write(FRAME + still)
        for _ in range(repeat):
            f.seek(len(header))
            shutil.copyfileobj(f, out, 1 << 22)
    n_motion = repeat * (motion.stat().st_size - len(header)) // (len(FRAME) + _frame_bytes(header))
    loop_s = (n_lead + n_motion) / fps
    _written[key] = (Path(dst), loop_s)
    return loop_s


def _size(header: bytes) -> tuple[int, int]:
    fields = header.split()
    w = int(next(f for f in fields if f.startswith(b"W"))[1:])
    h = int(next(f for f in fields if f.startswith(b"H"))[1:])
    return w, h


def _frame_bytes(header: bytes) -> int:
    w, h = _size(header)
    return w * h * 3 // 2


def motion_y4m(src: Path, width: int, fps: int, max_s: float | None) -> Path:
    """The clip as a y4m without lead-in, from the disk cache or written into it (under a
    temporary name, then renamed: parallel workers never read a half-written file)."""
    digest = hashlib.sha256()
    with open(src, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    name = f"{digest.hexdigest()[:24]}-w{width}-f{fps}-m{max_s}-v{FORMAT}.y4m"
    cached = CACHE / name
    if not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=CACHE, suffix=".part")
        os.close(fd)
        try:
            _write(src, Path(tmp), width, fps, 0.0, max_s)
            os.replace(tmp, cached)
        finally:
            Path(tmp).unlink(missing_ok=True)
    return cached


def _write(
    src: Path, dst: Path, width: int, fps: int, lead_in_s: float, max_s: float | None
) -> float:
    """Each source frame is shrunk and converted as it is decoded: only the small YUV planes
    are kept (a 1080p clip held whole is gigabytes, and its paging cost more than decoding)."""
    cap = cv2.VideoCapture(str(src))
    if not cap.isOpened():
        raise ValueError(f"cannot open {src}")
    src_fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames: list[bytes] = []
    size: tuple[int, int] = (0, 0)
    while max_s is None or len(frames) < max_s * src_fps:
        ok, image = cap.read()
        if not ok:
            break
        if not frames:
            h0, w0 = image.shape[:2]
            w = _even(min(width, w0))
            size = (w, _even(h0 * w / w0))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        frames.append(cv2.cvtColor(small, cv2.COLOR_BGR2YUV_I420).tobytes())
    cap.release()
    if not frames:
        raise ValueError(f"no frames in {src}")
    w, h = size
    duration = len(frames) / src_fps
    n_out = int(round(duration * fps))
    n_lead = int(round(lead_in_s * fps))
    with open(dst, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for i in range(n_lead + n_out):
            j = 0 if i < n_lead else min(len(frames) - 1, int((i - n_lead) / fps * src_fps))
            f.write(FRAME)
            f.write(frames[j])
    return (n_lead + n_out) / fps


class HeldCamera:
    """A fake camera file whose clip starts when the test says so, not after a fixed lead-in.

    Until `play()` the file holds the clip's first frame (`still_s` of it, looped by Chromium):
    the patient stands still while the page connects, the session's model loads and the setup
    check passes, however long that takes on this machine. `play()` then appends the clip's
    motion; Chromium reads its camera file frame by frame at offsets (a read at the end sends
    it back to the first frame; one that ends inside a frame aborts it), so it plays the
    motion next, within `still_s`, and from then on loops still + motion. A fixed lead-in had
    to cover the slowest start (up to 20 s of standing a loop on a loaded machine)."""

    def __init__(
        self,
        path: Path,
        src: Path,
        *,
        width: int = 480,
        fps: int = 30,
        still_s: float = 0.5,
        still_frame: int = 0,
    ) -> None:
        self.path = Path(path)
        self.motion = motion_y4m(Path(src), width, fps, None)
        self.fps = fps
        with open(self.motion, "rb") as f:
            self._header = f.readline()
            size = len(FRAME) + _frame_bytes(self._header)
            n = (self.motion.stat().st_size - len(self._header)) // size
            f.seek(len(self._header) + (still_frame % n) * size)
            self._still = f.read(size)
            assert self._still.startswith(FRAME)
        self._n_still = max(1, int(round(still_s * fps)))

    def hold(self) -> None:
        """The still only, as a new file (a camera still open keeps reading the one it had);
        before each page opens the camera."""
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".part")
        with os.fdopen(fd, "wb") as out:
            out.write(self._header + self._still * self._n_still)
        os.replace(tmp, self.path)

    def play(self) -> float:
        """Append the motion (Chromium plays it within `still_s`); returns the seconds of one
        loop from now on (still + motion).

        The file takes its final length first, then is filled: Chromium aborts its camera on
        a read that ends inside a frame (a CHECK in its y4m reader), which a plain append
        offers it while the kernel grows the file page by page."""
        with open(self.motion, "rb") as f:
            f.seek(len(self._header))
            motion = f.read()  # read first: the file is then filled at memory speed
        with open(self.path, "r+b") as out:
            start = out.seek(0, os.SEEK_END)
            out.truncate(start + len(motion))
            out.write(motion)
        frames = (start + len(motion) - len(self._header)) // len(self._still)
        return frames / self.fps

    def stand_still(self) -> None:
        """Back to the still, in the file Chromium has open: the motion stops at once (its
        next read is past the new end, which sends it back to the first frame)."""
        os.truncate(self.path, len(self._header) + self._n_still * len(self._still))


def write_blank(dst: Path, width: int = 480, height: int = 270, fps: int = 30) -> None:
    """A camera file of one grey frame (Chromium loops it): an empty room, nobody in view."""
    header = f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii")
    fd, tmp = tempfile.mkstemp(dir=Path(dst).parent, suffix=".part")
    with os.fdopen(fd, "wb") as out:
        out.write(header + FRAME + bytes([128]) * (width * height * 3 // 2))
    os.replace(tmp, dst)


def clip_frames(src: Path, width: int, fps: int) -> list[np.ndarray]:
    """The clip's frames (BGR, no lead-in) as the fake camera shows them, read from the disk
    cache (`motion_y4m`): a test that sends a clip's frames itself skips decoding it anew."""
    path = motion_y4m(Path(src), width, fps, None)
    with open(path, "rb") as f:
        header = f.readline()
        w, h = _size(header)
        n = _frame_bytes(header)
        frames = []
        while f.read(len(FRAME)) == FRAME:
            planes = np.frombuffer(f.read(n), dtype=np.uint8).reshape(h * 3 // 2, w)
            frames.append(cv2.cvtColor(planes, cv2.COLOR_YUV2BGR_I420))
    return frames
