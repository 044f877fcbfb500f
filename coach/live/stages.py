"""One session's pipeline in stages, so the pose model never waits for the rest of it.

A JPEG is decoded (and turned into the model's RGB) on the thread that hands it in (the
worker's own), the model runs on a thread of its own (`coach-pose`), and the filter, engine,
the frame message and its delivery run on a third (`coach-score`). MediaPipe releases the GIL
while it infers, so while the model works on one frame the next is decoded and the one
before is scored and sent: the model thread goes from one frame straight to the next, as
`coach analyze` does (pose.ahead). Frames go through each stage in the order they were handed
in, so the engine sees the same poses in the same order and each result is delivered in turn.

A processor that cannot be split (it has no `estimator` and `process_estimated`: a test's
own) runs whole on the model thread; its message is still made and sent on the other.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

import cv2
import numpy as np

from coach.live.readouts import json_safe
from coach.live.spec import FrameOutput, Processor
from pose.estimator import PoseEstimator
from pose.types import Frame, Pose

log = logging.getLogger(__name__)

Message = dict[str, Any]
Processed = tuple[Message, list[int]] | str
"""A frame's message and image size [w, h], or why its bytes were refused (for the page)."""
Outcome = Processed | Exception
"""What becomes of one frame: processed, refused, or the error it failed with."""
Deliver = Callable[[int, Outcome], None]
"""deliver(token, outcome): one frame's outcome, in the order the frames were handed in."""
FrameDecoder = Callable[[bytes], np.ndarray]
"""Turns one client message into a BGR image, raising ValueError with a patient-readable
reason for anything that is not a usable image (see web/frames.py)."""


class SplitProcessor(Protocol):
    """coach.pipeline.FrameProcessor as the stages use it: its model, then the rest."""

    estimator: PoseEstimator | None

    def process_estimated(self, frame: Frame, raw: Pose | None) -> FrameOutput: ...


@dataclass
class _Taken:
    """A frame on its way: decoded (`frame`), or already settled (`outcome`: refused, or
    failed before the model)."""

    token: int
    frame: Frame | None = None
    outcome: Outcome | None = None
    modelled: Pose | FrameOutput | Exception | None = None  # what the model thread made


_STOP = object()
DEPTH = 4
"""Frames each stage's queue holds at most."""


class StagedPipeline:
    """The processor's model on one thread, the rest of it on another (see the module);
    `take` hands a frame in, `finish` drains and ends it. Not thread-safe for callers: one
    thread hands frames in and finishes (the worker's)."""

    def __init__(self, processor: Processor, decode: FrameDecoder, deliver: Deliver) -> None:
        self._processor = processor
        self._decode = decode
        self._deliver = deliver
        estimator = getattr(processor, "estimator", None)
        split = estimator is not None and hasattr(processor, "process_estimated")
        self._split = cast("SplitProcessor", processor) if split else None
        self._estimator: PoseEstimator | None = estimator if split else None
        self._index = 0
        # Bounded: a frame handed in beyond them waits in `take` (the worker's own queue
        # holds the rest); the session hands in two at most (coach.live.frames.IN_WORKER).
        self._to_model: queue.Queue[object] = queue.Queue(maxsize=DEPTH)
        self._to_score: queue.Queue[object] = queue.Queue(maxsize=DEPTH)
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._run_model, name="coach-pose", daemon=True),
            threading.Thread(target=self._run_score, name="coach-score", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def take(self, token: int, data: bytes, t: float) -> None:
        """Decode `data` here and now (the model meanwhile works on the frame before), then
        hand it to the model; bytes that are no image are refused in their turn."""
        try:
            image = self._decode(data)
        except ValueError as exc:
            self._to_model.put(_Taken(token, outcome=str(exc)))
            return
        except Exception as exc:
            self._to_model.put(_Taken(token, outcome=exc))
            return
        rgb = None  # what the model takes (an image it refuses, it refuses itself, as ever)
        if self._estimator is not None and image.ndim == 3 and image.shape[2] == 3:
            rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if image.dtype == np.uint8 else None
        self._to_model.put(_Taken(token, Frame(image=image, t=t, index=self._index, rgb=rgb)))
        self._index += 1

    def finish(self) -> list[Any]:
        """Every frame handed in delivered, then the processor's last events; the model is
        freed and the threads end."""
        drained = threading.Event()
        self._to_model.put(drained)
        drained.wait()
        try:
            return list(self._processor.finish())
        finally:
            self._processor.close()
            self.stop()
            for thread in self._threads:
                thread.join()

    def stop(self) -> None:
        """End the threads once they are done with the frame they are on (the worker is
        dropped); never waits (from the event loop, in a thread worker)."""
        self._stopping.set()
        with contextlib.suppress(queue.Full):  # full: the model thread sees `_stopping` next
            self._to_model.put_nowait(_STOP)

    def _run_model(self) -> None:
        """The model thread: the model and nothing else, frame after frame."""
        while not self._stopping.is_set() and (item := self._to_model.get()) is not _STOP:
            if isinstance(item, _Taken) and item.frame is not None:
                item.modelled = self._model(item.frame)
            self._to_score.put(item)
        self._to_score.put(_STOP)

    def _model(self, frame: Frame) -> Pose | FrameOutput | Exception | None:
        try:
            if self._estimator is not None:
                return self._estimator.estimate(frame)
            return self._processor.process(frame)  # a processor that cannot be split
        except Exception as exc:  # this frame only: the page is told, the model goes on
            return exc

    def _run_score(self) -> None:
        """The scoring thread: filter, engine, the frame message, delivered in turn."""
        while (item := self._to_score.get()) is not _STOP:
            if isinstance(item, threading.Event):
                item.set()  # every frame before it delivered: `finish` goes on
                continue
            assert isinstance(item, _Taken)
            outcome = self._scored(item)
            try:
                self._deliver(item.token, outcome)
            except Exception:
                log.exception("delivering frame %d failed", item.token)

    def _scored(self, item: _Taken) -> Outcome:
        frame, done = item.frame, item.modelled
        if frame is None:
            return cast("Outcome", item.outcome)  # refused, or failed before the model
        if isinstance(done, Exception):
            return done
        try:
            if self._split is not None:
                result = self._split.process_estimated(frame, cast("Pose | None", done))
            else:
                result = cast("FrameOutput", done)
            message = json_safe(result.to_message())
        except Exception as exc:
            return exc
        w, h = frame.size
        return message, [w, h]
