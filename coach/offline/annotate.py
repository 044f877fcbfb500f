"""Writes the annotated video for `coach analyze --annotate`: skeleton, angle, reps, faults."""

from __future__ import annotations

from pathlib import Path

from pose.drawing import draw_skeleton, draw_text_panel
from pose.types import Frame
from pose.video_writer import VideoSink
from scoring.definition import Exercise


class Annotator:
    def __init__(self, path: str | Path, fps: float, size: tuple[int, int], exercise: Exercise):
        self.sink = VideoSink(path, fps or 30.0, size)
        self.exercise = exercise
        self._last_fault = ""
        self._last_fault_t = -1e9

    def write(self, frame: Frame, result) -> None:  # type: ignore[no-untyped-def]
        image = frame.image.copy()
        s = result.state
        for ev in result.events:
            if ev.kind == "FaultDetected":
                self._last_fault, self._last_fault_t = ev.message, ev.t
        if result.pose is not None:
            draw_skeleton(image, result.pose, highlight=s.fault_joints)
        lines = [f"{self.exercise.name}"]
        if self.exercise.kind == "hold":
            lines.append(f"hold {s.hold_elapsed_s:4.1f} s" if s.hold_active else "hold: -")
        else:
            lines.append(f"reps {s.rep_count}")
        if s.rep_value is not None and s.rep_measure:
            lines.append(f"{s.rep_measure} {s.rep_value:.2f}")
        if frame.t - self._last_fault_t < 2.0:
            lines.append(f"! {self._last_fault}")
        if s.paused and s.paused_reason:
            lines.append(s.paused_reason)
        draw_text_panel(image, lines)
        self.sink.write(image)

    def close(self) -> None:
        self.sink.close()
