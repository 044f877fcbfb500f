"""The pose-estimator interface and a by-name registry of backends.

The rest of Coach only talks to `PoseEstimator`, so the model (MediaPipe today) can be swapped by
configuration without touching scoring or the app. Backends are registered as "module:attribute"
strings and imported only when created, so importing `pose` never loads a model runtime.
"""

from __future__ import annotations

import importlib
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pose.closing import Closing
from pose.types import Frame, Pose


class PoseEstimator(Closing, ABC):
    """Finds one person's landmarks in a frame.

    Use one instance per stream, fed frames in time order: backends track the person from one
    frame to the next (faster and steadier than detecting afresh), so interleaving two streams
    through one instance mixes them up. Instances are not thread-safe.
    """

    name: str = "abstract"

    @abstractmethod
    def estimate(self, frame: Frame) -> Pose | None:
        """The pose in `frame` (with `Pose.t == frame.t`), or None when no person is found."""

    def close(self) -> None:  # noqa: B027 - optional hook, default no-op
        """Free the model. Idempotent; `estimate` raises afterwards."""

    def track(self, frames: Iterable[Frame]) -> Iterator[tuple[Frame, Pose | None]]:
        """Run the estimator over a stream: yields each frame with its pose (or None)."""
        for frame in frames:
            yield frame, self.estimate(frame)


EstimatorFactory = Callable[..., PoseEstimator]

DEFAULT_BACKEND = "mediapipe"
BACKEND_ENV = "COACH_POSE_BACKEND"  # configuration: which registered backend to create

# name -> factory, or "module:attribute" imported on first use (keeps heavy runtimes lazy).
_BACKENDS: dict[str, EstimatorFactory | str] = {
    DEFAULT_BACKEND: "pose.mediapipe_backend:MediaPipePoseEstimator",
}


def register_backend(name: str, factory: EstimatorFactory | str) -> None:
    """Make a backend available to `create_estimator(name)`; a string is "module:attribute"."""
    _BACKENDS[name.lower()] = factory


def available_backends() -> list[str]:
    """Names accepted by `create_estimator`."""
    return sorted(_BACKENDS)


def configured_backend() -> str:
    """The backend named by configuration ($COACH_POSE_BACKEND), else the default."""
    return os.environ.get(BACKEND_ENV, "").strip() or DEFAULT_BACKEND


def create_estimator(name: str | None = None, **kwargs: Any) -> PoseEstimator:
    """Build the backend called `name` (case-insensitive; None: the configured one) with its
    keyword options."""
    name = configured_backend() if name is None else name
    key = name.lower()
    try:
        factory = _BACKENDS[key]
    except KeyError:
        raise ValueError(
            f"unknown pose backend {name!r}; available: {', '.join(available_backends())}"
        ) from None
    if isinstance(factory, str):
        module_name, _, attr = factory.partition(":")
        factory = getattr(importlib.import_module(module_name), attr)
        _BACKENDS[key] = factory
    return factory(**kwargs)


POSE_MODELS = ("lite", "full", "heavy")
"""MediaPipe's landmark models, fastest to most accurate (the index is its `model_complexity`);
"full" ships with mediapipe and is every backend's default, lite and heavy come with
`coach assets fetch`."""


def create_model_estimator(model: str = "full") -> PoseEstimator:
    """The configured estimator for "full"; MediaPipe with the lite or heavy model otherwise
    (`coach analyze --model`, `coach serve --model`)."""
    if model not in POSE_MODELS:
        raise ValueError(f"pose model must be one of {', '.join(POSE_MODELS)}, got {model!r}")
    if model == "full":
        return create_estimator()
    return create_estimator(DEFAULT_BACKEND, model_complexity=POSE_MODELS.index(model))
