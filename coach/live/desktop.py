"""`coach live`: coaching on this machine, from a webcam or a video played as if live.

The same `FrameProcessor` (with the setup check) as the web page, so counts agree. With a
window: the camera image with the skeleton (faulty joints red) and the read-outs. Without
(`--no-window`, or over SSH): one line per event on stdout, a summary at the end.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from scoring.events import EventKind

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_BAD_INPUT = 2
WINDOW_TITLE = "Coach - press q to stop"


def _load_exercise(spec: str) -> Any:
    """An exercise id from the library, or a definition file."""
    from exercises import load_exercise, load_file

    if spec.endswith(".toml") or "/" in spec or Path(spec).is_file():
        return load_file(spec)
    return load_exercise(spec)


def describe_event(event: Any) -> str | None:
    """One terminal line for an engine event (None: not worth a line, e.g. hold ticks)."""
    kind = type(event).__name__
    if kind == EventKind.REP_COMPLETED:
        faults = f"  faults: {', '.join(event.faults)}" if event.faults else ""
        side = f" ({event.side})" if event.side else ""
        return (
            f"Rep {event.index}{side}: range {event.rom_deg:.0f} deg, "
            f"score {event.score:.0f}{faults}"
        )
    if kind == EventKind.FAULT_DETECTED:
        rep = f" (rep {event.rep})" if event.rep is not None else ""
        return f"Fault: {event.message}{rep}"
    if kind == EventKind.HOLD_ENDED:
        return f"Hold ended: {event.duration_s:.1f} s, sway {event.sway:.3f}"
    if kind == EventKind.CUE:
        return f"Coach: {event.text}"
    if kind == EventKind.POSE_LOST:
        return f"Paused: {event.reason}"
    if kind == EventKind.POSE_FOUND:
        return "Back in view: counting again"
    if kind == EventKind.VIEW_WARNING:
        return f"View: {event.message}"
    if kind == EventKind.PERSON_WARNING:
        return f"Someone else in view: {event.message}"
    return None


def _readout_lines(state: Any, exercise: Any) -> list[str]:
    lines = [f"{exercise.name}: {state.rep_count} reps"]
    if exercise.kind == "hold":
        lines = [f"{exercise.name}: hold {state.hold_elapsed_s:.1f} / {state.hold_target_s:.0f} s"]
    value = state.rep_value
    if value is not None and math.isfinite(value) and state.rep_target:
        name = state.rep_measure.replace("_", " ")
        lines.append(f"{name}: {value:.0f} / {state.rep_target:.0f} deg")
    if not state.setup_ok:
        lines.append(f"Setup: {state.setup_message or 'checking your position'}")
    elif state.paused:
        lines.append(f"Paused: {state.paused_reason}")
    if state.cue:
        lines.append(state.cue)
    return lines


def _has_display() -> bool:
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


class _Pacer:
    """Plays a video file at its own speed (so the window looks live), never ahead of it."""

    def __init__(self) -> None:
        self._start: float | None = None

    def wait(self, t: float) -> None:
        now = time.monotonic()
        if self._start is None:
            self._start = now - t
        delay = self._start + t - now
        if delay > 0:
            time.sleep(delay)


def run_desktop(
    exercise_id: str,
    camera: int | None,
    video: str | None,
    window: bool,
    *,
    out: TextIO | None = None,
    max_frames: int | None = None,
) -> int:
    """Coach one exercise from `camera` (index, default 0) or `video`; returns an exit status.

    `window=False` prints events to `out` (stdout) instead of opening an OpenCV window.
    Ctrl+C (or q / Esc in the window) stops and prints the summary.
    """
    out = out or sys.stdout
    opened = _open(exercise_id, camera, video, window, max_frames)
    if isinstance(opened, int):
        return opened
    exercise, source = opened

    from coach.pipeline import FrameProcessor

    try:
        processor = FrameProcessor(exercise, require_setup=True)
    except Exception as exc:  # the model cannot load: say so in one line
        source.close()
        print(f"coach live: cannot start the pose model: {exc}", file=sys.stderr)
        return EXIT_ERROR
    frames, engine = _coach(processor, source, exercise, window, video is not None, out)
    _print_summary(engine, frames, out)
    return EXIT_OK


def _open(
    exercise_id: str, camera: int | None, video: str | None, window: bool, max_frames: int | None
) -> tuple[Any, Any] | int:
    """The exercise and the frame source, or the exit status after saying what is wrong."""
    from exercises import DefinitionError
    from pose.sources import CameraSource, SourceError, VideoFileSource

    try:
        exercise = _load_exercise(exercise_id)
    except (KeyError, DefinitionError) as exc:
        print(f"coach live: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if window and not _has_display():
        print("coach live: no display to open a window on; use --no-window", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if video is not None:
            source: Any = VideoFileSource(video, max_frames=max_frames)
        else:
            source = CameraSource(camera or 0, max_frames=max_frames)
    except SourceError as exc:
        print(f"coach live: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return exercise, source


def _coach(
    processor: Any, source: Any, exercise: Any, window: bool, paced: bool, out: TextIO
) -> tuple[int, Any]:
    """Run the source through the processor, each event a line (and the window, if any);
    returns the frames read and the engine, for the summary."""

    def emit(t: float, text: str) -> None:
        print(f"[{t:6.1f}s] {text}", file=out, flush=True)

    show = _window_shower(exercise) if window else None
    pacer = _Pacer() if (window and paced) else None  # a video plays at its own speed
    frames = 0
    t = 0.0
    try:
        with source:
            for frame in source:
                if pacer is not None:
                    pacer.wait(frame.t)
                result = processor.process(frame)
                frames += 1
                t = frame.t
                for event in result.events:
                    line = describe_event(event)
                    if line:
                        emit(frame.t, line)
                if show is not None and not show(frame.image, result):
                    break
    except KeyboardInterrupt:
        emit(t, "Stopped.")
    finally:
        for event in processor.finish():
            line = describe_event(event)
            if line:
                emit(t, line)
        engine = processor.engine
        processor.close()
        if show is not None:
            _close_windows()
    return frames, engine


def _print_summary(engine: Any, frames: int, out: TextIO) -> None:
    if engine is None:
        print("No frames were read.", file=out)
        return
    holds = len(engine.holds)
    faults = len(engine.faults)
    print(
        f"Done: {engine.state.rep_count} reps, {holds} holds, {faults} faults flagged "
        f"({frames} frames, a person seen in {engine.frames_with_pose}).",
        file=out,
    )


def _window_shower(exercise: Any) -> Callable[[Any, Any], bool]:
    """A function that shows one frame with overlay; returns False when the user quits."""
    import cv2

    from pose.drawing import draw_skeleton, draw_text_panel

    cv2.namedWindow(WINDOW_TITLE, cv2.WINDOW_NORMAL)

    def show(image: Any, result: Any) -> bool:
        canvas = image.copy()
        if result.pose is not None:
            draw_skeleton(canvas, result.pose, highlight=result.state.fault_joints)
        draw_text_panel(canvas, _readout_lines(result.state, exercise))
        cv2.imshow(WINDOW_TITLE, canvas)
        key = cv2.waitKey(1) & 0xFF
        if key in (ord("q"), 27):
            return False
        return cv2.getWindowProperty(WINDOW_TITLE, cv2.WND_PROP_VISIBLE) >= 1

    return show


def _close_windows() -> None:
    import cv2

    cv2.destroyAllWindows()
