"""Writes the annotated video for `coach analyze --annotate`: skeleton, angle, reps, faults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from coach.sinks import NO_INFO, FrameInfo
from pose.drawing import draw_skeleton, draw_text_panel
from pose.video_writer import VideoSink
from scoring.definition import Exercise


class Annotator:
    """An event sink (coach.sinks) fed by a video's `FrameProcessor`: one annotated image per
    frame, from the frame's image, pose and engine state."""

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int], exercise: Exercise):
        self.video = VideoSink(path, fps or 30.0, size)
        self.exercise = exercise
        self._last_fault = ""
        self._last_fault_t = -1e9

    def event(self, event: dict[str, Any]) -> None:
        if event.get("kind") == "FaultDetected":
            self._last_fault, self._last_fault_t = event["message"], event["t"]

    def frame(self, t: float, landmarks: np.ndarray | None, info: FrameInfo = NO_INFO) -> None:
        if info.image is None or info.state is None:
            raise ValueError("the annotator needs each frame's image and engine state")
        image = info.image.copy()
        s = info.state
        if info.pose is not None:
            draw_skeleton(image, info.pose, highlight=s.fault_joints)
        lines = [f"{self.exercise.name}"]
        if self.exercise.kind == "hold":
            lines.append(f"hold {s.hold_elapsed_s:4.1f} s" if s.hold_active else "hold: -")
        else:
            lines.append(f"reps {s.rep_count}")
        if s.rep_value is not None and s.rep_measure:
            lines.append(f"{s.rep_measure} {s.rep_value:.2f}")
        if t - self._last_fault_t < 2.0:
            lines.append(f"! {self._last_fault}")
        if s.paused and s.paused_reason:
            lines.append(s.paused_reason)
        draw_text_panel(image, lines)
        self.video.write(image)

    def close(self) -> None:
        self.video.close()
