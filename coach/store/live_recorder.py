"""Records live sessions into the store from the server's event loop, without blocking it.

Each live session feeds its own sink (`recorder.sink(session_id)`, a coach.sinks.EventSink)
every event and every processed frame, on the event loop. The sink only enqueues; one writer
thread owns the `SessionWriter`s and commits (a rep as soon as it completes, frames about
every second). A killed server loses what was still queued: at most
a few milliseconds of events and the last second of frames.

A session is stored from the first frame in which the patient is seen (a pose): one that
never saw them (a blocked camera, a page closed during the setup) leaves nothing behind, so
the patient's and therapist's lists hold only real sessions. What came before that frame is
kept meanwhile and written with it.

A live clinical test (its SessionStarted names a `protocol`: coach.live.clinical, the
four-stage balance test or Timed Up and Go) is not an exercise session: only its result is
kept, as a protocol result (coach.store.protocol_results) when its `ProtocolResult` event
arrives, for a signed-in patient.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coach.sinks import NO_INFO, FrameInfo
from coach.store.protocol_results import ProtocolResultStore
from coach.store.records import SessionFactory, SessionWriter

log = logging.getLogger(__name__)

_STOP = object()
# Frames and events kept for a session not yet stored (it has not seen the patient): the last
# ones only, so a camera pointing at an empty room for an hour costs no memory.
MAX_UNSEEN = 5000


@dataclass
class _Unseen:
    """A session started whose patient has not been seen yet: not in the store."""

    exercise: Any
    patient_id: int | None
    before: deque[tuple[str, Any]] = field(default_factory=lambda: deque(maxlen=MAX_UNSEEN))


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
        self._unseen: dict[str, _Unseen] = {}
        self._tests: dict[str, int | None] = {}  # live clinical tests: session -> patient
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
        if kind == "SessionStarted" and event.get("protocol"):
            self._tests[sid] = event.get("patient_id")
            return
        if sid in self._tests:
            self._on_test_event(sid, event)
            return
        if kind == "SessionStarted":
            exercise = self._load(str(event.get("exercise")))
            self._unseen[sid] = _Unseen(exercise, event.get("patient_id"))
            return
        unseen = self._unseen.get(sid)
        if unseen is not None:
            if kind == "SessionEnded":
                del self._unseen[sid]  # never saw the patient: nothing to keep
            elif kind == "PatientDisconnected":
                unseen.before.clear()  # a session left unseen holds (almost) no memory
            elif kind != "PatientConnected":
                unseen.before.append(("event", event))
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

    def _on_test_event(self, sid: str, event: dict[str, Any]) -> None:
        """A live clinical test's event: its result is kept, nothing else."""
        kind = event.get("kind")
        patient_id = self._tests[sid]
        if kind == "SessionEnded":
            del self._tests[sid]
        elif kind == "ProtocolResult" and patient_id is not None:
            results = ProtocolResultStore()
            results.factory = self._factory
            results.add_protocol_result(patient_id, str(event["protocol"]), dict(event["result"]))

    def _on_frame(self, sid: str, frame: tuple[float, np.ndarray | None, FrameInfo]) -> None:
        unseen = self._unseen.get(sid)
        if unseen is not None:
            if frame[1] is None:
                unseen.before.append(("frame", frame))
                return
            self._store(sid, unseen)
        writer = self._writers.get(sid)
        if writer is None:
            return
        writer.frame(*frame)

    def _store(self, sid: str, unseen: _Unseen) -> None:
        """The patient is seen: the session goes into the store, with what came before."""
        del self._unseen[sid]
        writer = SessionWriter(
            self._factory,
            sid,
            exercise=unseen.exercise,
            patient_id=unseen.patient_id,
            source="live",
        )
        writer.start()
        self._writers[sid] = writer
        for kind, payload in unseen.before:
            if kind == "event":
                writer.event(payload)
            else:
                writer.frame(*payload)


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
