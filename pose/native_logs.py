"""Native libraries (MediaPipe, TensorFlow Lite, FFmpeg inside OpenCV) log to stderr; users of
the CLI and the server need only our own one-line messages. Call before they load."""

from __future__ import annotations

import os


def quiet_native_logs() -> None:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
