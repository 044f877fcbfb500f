"""Event consumers: one interface for everything that is fed a stream's frames and events.

A producer (the `FrameProcessor` offline, a `LiveSession` live) feeds each processed frame's
events, then the frame itself, then at the end of the stream the closing events. Events are
JSON dicts: `scoring.events.to_json` of an engine event, or a live session's own events
(`{"kind": "PatientConnected", "t": ...}`), in the shape docs/LIVE-PROTOCOL.md describes.

Implemented by the store's `SessionWriter` and the live recorder's per-session sinks, the
annotated video (`coach.offline.annotate.Annotator`), the live pages' `Outbox`es and
`EventLog` (a live session's log; any run's events, for tools and tests). `Sinks` feeds
several at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from pose.types import Pose
    from scoring.engine import EngineState

Message = dict[str, Any]


@dataclass(frozen=True)
class FrameInfo:
    """What else is known of a processed frame; a sink reads what it needs, all is optional."""

    image_size: tuple[int, int] | None = None  # (width, height) of the camera image
    pose: Pose | None = None  # offline: the filtered pose (its landmarks are the frame's)
    state: EngineState | None = None  # offline: the engine's read-outs after the frame
    image: np.ndarray | None = None  # offline, from a video: the camera image (BGR)
    message: Message | None = None  # live: the frame message as the pages get it
    # The frame's measures as the engine reported them (scoring.reported; per-frame name ->
    # value, NaN: not measured): what the store keeps and `coach analyze --frames` writes.
    measures: Mapping[str, float] | None = None


NO_INFO = FrameInfo()


class EventSink(Protocol):
    """Fed one stream: each frame's events (`event`), then the frame (`frame`); `close` when
    the stream has ended, by whoever made the sink."""

    def frame(self, t: float, landmarks: np.ndarray | None, info: FrameInfo = NO_INFO) -> None:
        """One processed frame at stream time `t`: (33, 4) landmarks x, y, z, visibility, or
        None when no person was seen."""

    def event(self, event: Message) -> None:
        """One event, as JSON (`{"kind": ..., "t": ..., ...}`)."""

    def close(self) -> None:
        """The stream has ended: write out what is buffered."""


class Sinks:
    """Feeds several sinks the same stream, in the order given (None entries are skipped).

    Without `on_error` an error in a sink propagates and the sinks after it miss that call;
    with it, the error is handed to `on_error(sink, error)` and the others are still fed."""

    def __init__(
        self,
        sinks: Iterable[EventSink | None],
        on_error: Callable[[EventSink, Exception], None] | None = None,
    ) -> None:
        self.sinks: list[EventSink] = [s for s in sinks if s is not None]
        self._on_error = on_error

    def _each(self, call: Callable[[EventSink], None]) -> None:
        for sink in self.sinks:
            if self._on_error is None:
                call(sink)
                continue
            try:
                call(sink)
            except Exception as exc:
                self._on_error(sink, exc)

    def frame(self, t: float, landmarks: np.ndarray | None, info: FrameInfo = NO_INFO) -> None:
        self._each(lambda sink: sink.frame(t, landmarks, info))

    def event(self, event: Message) -> None:
        self._each(lambda sink: sink.event(event))

    def close(self) -> None:
        self._each(lambda sink: sink.close())


class EventLog:
    """Keeps a stream's events (JSON, in order) and counts its frames."""

    def __init__(self) -> None:
        self.events: list[Message] = []
        self.frames = 0
        self.frames_with_pose = 0

    def frame(self, t: float, landmarks: np.ndarray | None, info: FrameInfo = NO_INFO) -> None:
        self.frames += 1
        if landmarks is not None:
            self.frames_with_pose += 1

    def event(self, event: Message) -> None:
        self.events.append(event)

    def close(self) -> None:
        pass

    def of_kind(self, *kinds: str) -> list[Message]:
        return [e for e in self.events if e.get("kind") in kinds]


def frame_landmarks(message: dict[str, Any]) -> np.ndarray | None:
    """A live frame message's landmarks ([x, y, visibility, z] rows, see
    `coach.pipeline.FrameResult.to_message`) as (33, 4) x, y, z, visibility; None: no person."""
    rows = message.get("landmarks")
    if not rows:
        return None
    arr = np.asarray(rows, dtype=np.float32)
    if arr.ndim != 2 or arr.shape[0] != 33 or arr.shape[1] < 3:
        return None
    out = np.zeros((33, 4), np.float32)
    out[:, 0], out[:, 1], out[:, 3] = arr[:, 0], arr[:, 1], arr[:, 2]
    if arr.shape[1] >= 4:
        out[:, 2] = arr[:, 3]
    return out


# A frame message's measures as reported (scoring.reported), for the session's recorder only
# (coach.pipeline.FrameResult.to_message puts them in, a live session takes them out).
MEASURES_KEY = "measures"


def take_measures(message: dict[str, Any]) -> dict[str, float] | None:
    """Remove a frame message's reported measures (JSON: null where not measured) and give
    them back as floats (NaN), for the recorder; None when the message has none."""
    raw = message.pop(MEASURES_KEY, None)
    if not isinstance(raw, dict):
        return None
    return {str(k): math.nan if v is None else float(v) for k, v in raw.items()}
