"""Records live sessions into the store from the server's event loop, without blocking it.

Each live session feeds its own sink (`recorder.sink(session_id)`, a coach.sinks.EventSink)
every event and every processed frame, on the event loop. The sink only enqueues; one writer
thread owns the `SessionWriter`s and commits (a rep as soon as it completes, frames about
every second). A killed server loses what was still queued: at most
a few milliseconds of events and the last second of frames.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from coach.sinks import NO_INFO, FrameInfo
from coach.store.records import SessionFactory, SessionWriter

log = logging.getLogger(__name__)

_STOP = object()


class LiveRecorder:
    def __init__(
        self, factory: SessionFactory, load_exercise: Callable[[str], Any] | None = None
    ) -> None:
        if load_exercise is None:  # an exercise or a hand-eye targets task
            from exercises import load_any

            load_exercise = load_any
        self._factory = factory
        self._load = load_exercise
        self._queue: queue.Queue[Any] = queue.Queue()
        self._writers: dict[str, SessionWriter] = {}
        self._thread = threading.Thread(target=self._run, name="coach-recorder", daemon=True)
        self._thread.start()

    # ---- called on the event loop: enqueue only -------------------------------------------
    def sink(self, session_id: str) -> _SessionSink:
        """Where one live session's events and frames go (coach.sinks.EventSink)."""
        return _SessionSink(self._queue, session_id)

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
            started = SessionWriter(
                self._factory,
                sid,
                exercise=exercise,
                patient_id=event.get("patient_id"),
                source="live",
            )
            started.start()
            self._writers[sid] = started
            return
        writer = self._writers.get(sid)
        if writer is None:
            return
        if kind == "SessionEnded":
            writer.finish("completed", {"rep_count": event.get("rep_count"), **_targets(event)})
            del self._writers[sid]
        elif kind == "PatientDisconnected":
            # A targets session's run so far: kept even if the patient never comes back.
            writer.set_status("paused", _targets(event) or None)
        elif kind == "PatientConnected":
            writer.set_status("recording")
        else:
            writer.event(event)

    def _on_frame(self, sid: str, frame: tuple[float, np.ndarray | None, FrameInfo]) -> None:
        writer = self._writers.get(sid)
        if writer is None:
            return
        writer.frame(*frame)


def _targets(event: dict[str, Any]) -> dict[str, Any]:
    """A targets session's run (stored as offline: the summary's "targets"), else {}."""
    targets = event.get("targets")
    return {"targets": targets} if isinstance(targets, dict) else {}


class _SessionSink:
    """One live session's way into the recorder: enqueues, never waits (coach.sinks.EventSink).

    The session's end is its "SessionEnded" event, so `close` has nothing to do."""

    def __init__(self, queue_: queue.Queue[Any], session_id: str) -> None:
        self._queue = queue_
        self.session_id = session_id

    def event(self, event: dict[str, Any]) -> None:
        self._queue.put(("event", self.session_id, event))

    def frame(self, t: float, landmarks: np.ndarray | None, info: FrameInfo = NO_INFO) -> None:
        kept = FrameInfo(info.image_size, measures=info.measures)
        self._queue.put(("frame", self.session_id, (t, landmarks, kept)))

    def close(self) -> None:
        pass
