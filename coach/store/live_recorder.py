"""Records live sessions into the store from the server's event loop, without blocking it.

The live session calls `recorder(session_id, event)` for every event and
`recorder.frame(session_id, message)` for every processed frame, on the event loop. Both only
enqueue; one writer thread owns the `SessionWriter`s and commits (a rep as soon as it
completes, frames about every second). A killed server loses what was still queued: at most
a few milliseconds of events and the last second of frames.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from coach.store.records import SessionFactory, SessionWriter

log = logging.getLogger(__name__)

_STOP = object()


def frame_landmarks(message: dict[str, Any]) -> np.ndarray | None:
    """The live frame message's landmarks ([x, y, visibility, z] rows) as (33, 4) x, y, z, v."""
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


class LiveRecorder:
    def __init__(
        self, factory: SessionFactory, load_exercise: Callable[[str], Any] | None = None
    ) -> None:
        if load_exercise is None:
            from exercises import load_exercise as load_exercise
        self._factory = factory
        self._load = load_exercise
        self._queue: queue.Queue[Any] = queue.Queue()
        self._writers: dict[str, SessionWriter] = {}
        self._thread = threading.Thread(target=self._run, name="coach-recorder", daemon=True)
        self._thread.start()

    # ---- called on the event loop: enqueue only -------------------------------------------
    def __call__(self, session_id: str, event: dict[str, Any]) -> None:
        self._queue.put(("event", session_id, event))

    def frame(self, session_id: str, message: dict[str, Any]) -> None:
        self._queue.put(("frame", session_id, message))

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything queued so far is written (tests, shutdown)."""
        done = threading.Event()
        self._queue.put(("sync", "", done))
        done.wait(timeout)

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=10)

    # ---- the writer thread ---------------------------------------------------------------
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                for writer in self._writers.values():
                    self._safely(writer.flush_frames)
                return
            kind, sid, payload = item
            if kind == "sync":
                for writer in self._writers.values():
                    self._safely(writer.flush_frames)
                payload.set()
                continue
            try:
                if kind == "event":
                    self._on_event(sid, payload)
                else:
                    self._on_frame(sid, payload)
            except Exception:  # a store problem must never stop the recording thread
                log.exception("recording session %s failed on a %s", sid, kind)

    @staticmethod
    def _safely(fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:
            log.exception("recorder flush failed")

    def _on_event(self, sid: str, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "SessionStarted":
            exercise = self._load(str(event.get("exercise")))
            writer = SessionWriter(
                self._factory,
                sid,
                exercise=exercise,
                patient_id=event.get("patient_id"),
                source="live",
            )
            writer.start()
            self._writers[sid] = writer
            return
        writer = self._writers.get(sid)
        if writer is None:
            return
        if kind == "SessionEnded":
            writer.finish("completed", {"rep_count": event.get("rep_count")})
            del self._writers[sid]
        elif kind == "PatientDisconnected":
            writer.set_status("paused")
        elif kind == "PatientConnected":
            writer.set_status("recording")
        else:
            writer.event(event)

    def _on_frame(self, sid: str, message: dict[str, Any]) -> None:
        writer = self._writers.get(sid)
        if writer is None:
            return
        size = message.get("image")
        if size and len(size) == 2:
            writer.set_image_size((int(size[0]), int(size[1])))
        writer.frame(float(message.get("t") or 0.0), frame_landmarks(message))
