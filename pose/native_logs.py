"""Native libraries (MediaPipe, TensorFlow Lite, FFmpeg inside OpenCV) log to stderr; users of
the CLI and the server need only our own one-line messages. Call before they load."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator


def quiet_native_logs() -> None:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")


class _Silencer:
    """fd 2 hidden while any thread is inside `native_stderr_silenced`: the guard's detector
    and the pose model start on different threads, and one thread's restore must not let the
    other's start-up lines through (nor leave fd 2 pointing at /dev/null)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._saved: int | None = None

    def enter(self) -> None:
        with self._lock:
            self._inside += 1
            if self._inside > 1:
                return
            try:
                sys.stderr.flush()
                saved = os.dup(2)
            except (OSError, ValueError):
                return
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
            self._saved = saved

    def leave(self) -> None:
        with self._lock:
            self._inside -= 1
            if self._inside or self._saved is None:
                return
            saved, self._saved = self._saved, None
            os.dup2(saved, 2)
            os.close(saved)


_SILENCER = _Silencer()


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """MediaPipe's C++ runtime prints INFO/WARNING lines straight to file descriptor 2 while
    its graph starts (before absl logging is initialised, so no setting stops them). Users
    should see only Coach's own messages: hide fd 2 for the start-up only (from any thread;
    nested or concurrent uses hide it until the last one ends)."""
    _SILENCER.enter()
    try:
        yield
    finally:
        _SILENCER.leave()
