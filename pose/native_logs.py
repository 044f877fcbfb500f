"""Native libraries (MediaPipe, TensorFlow Lite, FFmpeg inside OpenCV) log to stderr; users of
the CLI and the server need only our own one-line messages. Call before they load."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


def quiet_native_logs() -> None:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """MediaPipe's C++ runtime prints INFO/WARNING lines straight to file descriptor 2 while
    its graph starts (before absl logging is initialised, so no setting stops them). Users
    should see only Coach's own messages: hide fd 2 for the start-up only."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
