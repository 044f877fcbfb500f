"""MediaPipe Pose (BlazePose) backend: the default, CPU-only, offline pose estimator.

mediapipe==0.10.21 ships the "full" landmark model (model_complexity=1) inside its wheel, so it
runs with no network and no GPU (about 20 ms a frame on two cores in tracking mode). The "lite"
(0) and "heavy" (2) models are downloaded by MediaPipe at run time; offline that fails deep inside
MediaPipe with an opaque URL error, so we refuse them up front unless the model file is already
installed next to the full one. `install_model_files` puts them there from a folder that has them
(the @mediapipe/pose npm package, which `coach assets fetch` downloads and verifies).

One person only: MediaPipe Pose detects a person once, then tracks that one person from frame to
frame (it re-detects only when tracking is lost). With several people in view it follows whoever
was found first; it never returns more than one pose. mediapipe is imported when an estimator is
created, not when this module is imported, and only its pose solution
(pose/mediapipe_modules.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pose.estimator import PoseEstimator
from pose.landmarks import NUM_LANDMARKS
from pose.native_logs import native_stderr_silenced
from pose.types import Frame, Pose

_MODEL_FILES: dict[int, str] = {
    0: "pose_landmark_lite.tflite",
    1: "pose_landmark_full.tflite",
    2: "pose_landmark_heavy.tflite",
}
_MODEL_NAMES: dict[int, str] = {0: "lite", 1: "full", 2: "heavy"}
# The names users pick (`coach analyze --model lite`) -> model_complexity.
MODEL_COMPLEXITY: dict[str, int] = {name: c for c, name in _MODEL_NAMES.items()}


class ModelUnavailableError(RuntimeError):
    """The requested model is not installed and cannot be fetched (Coach runs offline)."""


def mediapipe_model_path(model_complexity: int) -> Path | None:
    """Where mediapipe keeps the landmark model for this complexity (None if not installed).

    Looks the package up without importing it, so the check is cheap.
    """
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / "modules" / "pose_landmark" / _MODEL_FILES[model_complexity]


def check_model_available(model_complexity: int) -> Path:
    """Path of the model file, or a clear error saying why it cannot be used here."""
    if model_complexity not in _MODEL_FILES:
        raise ValueError(f"model_complexity must be 0, 1 or 2, got {model_complexity!r}")
    path = mediapipe_model_path(model_complexity)
    if path is None:
        raise ModelUnavailableError(
            "mediapipe is not installed; install the project's dependencies (mediapipe==0.10.21)"
        )
    if not path.is_file():
        name = _MODEL_NAMES[model_complexity]
        raise ModelUnavailableError(
            f"model_complexity={model_complexity} needs the '{name}' pose model, which mediapipe "
            f"downloads at run time and which is not installed at {path}. Coach runs offline: "
            "use model_complexity=1 (the 'full' model shipped with mediapipe==0.10.21), or run "
            "`coach assets fetch`, which installs it there."
        )
    return path


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def install_model_files(source_dir: Path) -> dict[str, str]:
    """Copy the lite and heavy landmark models from `source_dir` into the installed mediapipe
    package, next to the full model it ships, so model_complexity 0 and 2 run offline.

    Only when `source_dir`'s full model is byte-identical to the installed one (same model
    release, so the other two fit the same graph). Returns {file name: what happened}:
    "installed", "already installed" or "missing from source". Raises ModelUnavailableError
    when mediapipe is missing, the full models differ, or the package folder is read-only.
    """
    full = mediapipe_model_path(1)
    if full is None or not full.is_file():
        raise ModelUnavailableError("mediapipe (with its full pose model) is not installed")
    offered = source_dir / _MODEL_FILES[1]
    if not offered.is_file() or sha256_file(offered) != sha256_file(full):
        raise ModelUnavailableError(
            f"{offered} is not the full model installed at {full}: the lite and heavy models "
            "beside it belong to another MediaPipe release, so they are not installed"
        )
    done: dict[str, str] = {}
    for complexity in (0, 2):
        name = _MODEL_FILES[complexity]
        src, dest = source_dir / name, full.parent / name
        if not src.is_file():
            done[name] = "missing from source"
        elif dest.is_file() and sha256_file(dest) == sha256_file(src):
            done[name] = "already installed"
        else:
            tmp = dest.with_name(f".{name}.{os.getpid()}.tmp")
            try:
                shutil.copyfile(src, tmp)
                os.chmod(tmp, 0o644)
                os.replace(tmp, dest)  # atomic: a reader never sees half a model
            except OSError as exc:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise ModelUnavailableError(f"cannot write {dest}: {exc.strerror or exc}") from None
            done[name] = "installed"
    return done


class MediaPipePoseEstimator(PoseEstimator):
    """`mp.solutions.pose.Pose` behind the `PoseEstimator` interface.

    In tracking mode (`static_image_mode=False`, the default) MediaPipe also smooths landmarks
    over time itself (`smooth_landmarks`); it assumes frames arrive in order, one stream per
    instance. Returns image landmarks (33, 4) float32 and world landmarks (33, 3) float32 in
    metres (hip-centred), or None when nobody is found.
    """

    name = "mediapipe"

    def __init__(
        self,
        model_complexity: int = 1,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        static_image_mode: bool = False,
        smooth_landmarks: bool = True,
    ) -> None:
        check_model_available(model_complexity)
        for label, value in (
            ("min_detection_confidence", min_detection_confidence),
            ("min_tracking_confidence", min_tracking_confidence),
        ):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{label} must be in [0, 1], got {value}")
        # Lazy: a native runtime, loaded only when a model is made, and only the pose solution
        # of it (pose.mediapipe_modules).
        from pose.mediapipe_modules import pose_solution

        self.model_complexity = model_complexity
        self.static_image_mode = static_image_mode
        solution = pose_solution()
        with native_stderr_silenced():
            self._pose: Any = solution.Pose(
                static_image_mode=static_image_mode,
                model_complexity=model_complexity,
                smooth_landmarks=smooth_landmarks,
                enable_segmentation=False,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )
            # The graph starts on a thread that logs after the constructor returns (seen with
            # the lite and heavy models): one empty frame waits for it while fd 2 is hidden.
            self._pose.process(np.zeros((64, 64, 3), np.uint8))
        self._quiet_frames_left = 3

    @property
    def closed(self) -> bool:
        return self._pose is None

    def estimate(self, frame: Frame) -> Pose | None:
        if self._pose is None:
            raise RuntimeError("MediaPipePoseEstimator is closed; create a new one")
        image = frame.image
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(
                f"expected an HxWx3 uint8 BGR image, got shape {image.shape} dtype {image.dtype}"
            )
        rgb = frame.rgb if frame.rgb is not None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False  # lets MediaPipe wrap the buffer without copying
        if self._quiet_frames_left <= 0:
            result = self._pose.process(rgb)
        else:
            # The native graph starts its models lazily (the landmark model only once someone
            # is found) and logs as it does: keep quiet until a few frames with a pose are done.
            with native_stderr_silenced():
                result = self._pose.process(rgb)
            if result.pose_landmarks is not None:
                self._quiet_frames_left -= 1
        if result.pose_landmarks is None:
            return None
        landmarks = np.array(
            [(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks.landmark],
            dtype=np.float32,
        )
        world = None
        if result.pose_world_landmarks is not None:
            world = np.array(
                [(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark], dtype=np.float32
            )
            if world.shape != (NUM_LANDMARKS, 3):
                world = None
        return Pose(landmarks=landmarks, t=frame.t, image_size=frame.size, world=world)

    def close(self) -> None:
        if self._pose is not None:
            pose, self._pose = self._pose, None
            pose.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"MediaPipePoseEstimator(model_complexity={self.model_complexity}, {state})"
