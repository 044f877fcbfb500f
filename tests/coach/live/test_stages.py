"""coach.live.stages on its own: a session's pipeline in stages, each frame's outcome
delivered in the order handed in, whatever became of it.

The processor is a stand-in that cannot be split (no estimator: it runs whole on the model
thread, as a test's own processor does); the split path with the real FrameProcessor is
tests/coach/live/test_frames.py's.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

import numpy as np

from coach.live.stages import Outcome, StagedPipeline
from pose.types import Frame
from tests.machine import scaled


class Result:
    """A frame's output: its message says which frame it was."""

    def __init__(self, frame: Frame) -> None:
        self.frame = frame
        self.pose = None

    def to_message(self, landmarks: bool = True) -> dict[str, Any]:
        return {"index": self.frame.index, "t": self.frame.t, "nan": float("nan")}

    def landmark_rows(self) -> None:
        return None


class Whole:
    """A processor without an estimator; frame 1 fails, and it says on which thread it ran."""

    def __init__(self) -> None:
        self.threads: set[threading.Thread] = set()
        self.closed = False

    def process(self, frame: Frame) -> Result:
        self.threads.add(threading.current_thread())
        if frame.index == 1:
            raise RuntimeError("model hiccup")
        return Result(frame)

    def finish(self) -> list[dict[str, Any]]:
        return [{"type": "end"}]

    def close(self) -> None:
        self.closed = True


def decode(data: bytes) -> np.ndarray:
    if data != b"jpeg":
        raise ValueError("That is not an image.")
    return np.zeros((4, 6, 3), np.uint8)


def test_every_outcome_comes_in_the_order_handed_in_then_the_end_drains_and_frees() -> None:
    processor = Whole()
    delivered: queue.Queue[tuple[int, Outcome, threading.Thread]] = queue.Queue()

    def deliver(token: int, outcome: Outcome) -> None:
        delivered.put((token, outcome, threading.current_thread()))

    pipeline = StagedPipeline(processor, decode, deliver)  # type: ignore[arg-type]
    for token, data in enumerate([b"jpeg", b"jpeg", b"text", b"jpeg", b"jpeg"]):
        pipeline.take(token, data, t=token / 10)
    events = pipeline.finish()  # every frame delivered first
    got = [delivered.get(timeout=scaled(10)) for _ in range(5)]
    assert delivered.empty() and events == [{"type": "end"}] and processor.closed
    assert [token for token, _, _ in got] == [0, 1, 2, 3, 4]
    scorer = {thread for _, _, thread in got}
    assert [t.name for t in scorer] == ["coach-score"]
    # The whole processor on the model thread.
    assert [t.name for t in processor.threads] == ["coach-pose"]
    ok, failed, refused = got[0][1], got[1][1], got[2][1]
    assert ok == ({"index": 0, "t": 0.0, "nan": None}, [6, 4])  # JSON-safe, with [w, h]
    assert isinstance(failed, RuntimeError) and str(failed) == "model hiccup"
    assert refused == "That is not an image."
    # Refused bytes take no index: the frames the processor sees are numbered in turn.
    assert [out[0]["index"] for _, out, _ in got[3:]] == [2, 3]  # type: ignore[index]
    assert not any(t.is_alive() for t in scorer | processor.threads)  # ended with the pipeline
