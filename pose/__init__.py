"""Pose estimation: frame sources, estimator backends, the Pose type, filters and drawing.

Depends on nothing else of Coach's. `import pose` is cheap: the plain-numpy parts load
eagerly, while names that need OpenCV (sources, drawing, video writing) or MediaPipe (the
backend) load on first attribute access, so scoring code that only needs `Pose` never pays for
a model runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pose.estimator import PoseEstimator, available_backends, create_estimator, register_backend
from pose.filters import LandmarkFilter, OneEuroFilter
from pose.landmarks import LANDMARK_NAMES, NUM_LANDMARKS, SKELETON_EDGES, Landmark
from pose.types import Frame, Pose

if TYPE_CHECKING:
    from pose.drawing import draw_skeleton, draw_text_panel
    from pose.mediapipe_backend import MediaPipePoseEstimator, ModelUnavailableError
    from pose.sources import (
        CameraSource,
        FrameSource,
        ImageFolderSource,
        SourceError,
        VideoFileSource,
        VideoInfo,
        open_source,
    )
    from pose.video_writer import VideoSink, VideoSinkError

_LAZY: dict[str, str] = {
    "CameraSource": "pose.sources",
    "FrameSource": "pose.sources",
    "ImageFolderSource": "pose.sources",
    "SourceError": "pose.sources",
    "VideoFileSource": "pose.sources",
    "VideoInfo": "pose.sources",
    "open_source": "pose.sources",
    "draw_skeleton": "pose.drawing",
    "draw_text_panel": "pose.drawing",
    "VideoSink": "pose.video_writer",
    "VideoSinkError": "pose.video_writer",
    "MediaPipePoseEstimator": "pose.mediapipe_backend",
    "ModelUnavailableError": "pose.mediapipe_backend",
}

__all__ = [
    "CameraSource",
    "Frame",
    "FrameSource",
    "ImageFolderSource",
    "LANDMARK_NAMES",
    "Landmark",
    "LandmarkFilter",
    "MediaPipePoseEstimator",
    "ModelUnavailableError",
    "NUM_LANDMARKS",
    "OneEuroFilter",
    "Pose",
    "PoseEstimator",
    "SKELETON_EDGES",
    "SourceError",
    "VideoFileSource",
    "VideoInfo",
    "VideoSink",
    "VideoSinkError",
    "available_backends",
    "create_estimator",
    "draw_skeleton",
    "draw_text_panel",
    "open_source",
    "register_backend",
]


def __getattr__(name: str) -> Any:
    """Load OpenCV/MediaPipe-backed names on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pose' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
