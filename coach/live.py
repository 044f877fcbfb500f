"""Live coaching sessions: one pose pipeline per patient connection, followed by therapists.

The web layer (web/live_ws.py) only moves bytes and JSON between WebSockets and the objects
here; everything a live session *means* lives in this module:

- A `LiveSession` owns one `FrameProcessor` (estimator + filter + engine) and one worker
  thread. The model costs 20-40 ms a frame, so it never runs on the event loop, and a session
  processes at most one frame at a time: a frame that arrives while one is being processed
  waits in a single slot and is replaced (dropped, with a reply) by the next one. A frame that
  waited too long is dropped too: coaching on a stale image is worse than skipping it.
- The session keeps the patient's count across processor restarts: a patient who reconnects
  (network blip, reload) gets a fresh processor but the count continues, and the event log
  (reps, holds, faults, cues, therapist messages) is kept in memory and handed to an optional
  `recorder` callback per event, the seam for the session store.
- Before the set, the engine's setup check (whole body in view, right distance, right camera
  view) must pass for `setup_hold_s`; counting starts then ("setup" -> "active").
- Followers (the therapist's page) get the same frame messages (landmarks, never video unless
  the patient opts in) through bounded outboxes that drop old frames, never events, so a slow
  follower cannot hold up the patient.
- Processors are freed when the patient disconnects; the session's summary stays readable for
  `retain_s` afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from pose.landmarks import SKELETON_EDGES
from pose.types import Frame

if TYPE_CHECKING:
    from exercises import Exercise

log = logging.getLogger(__name__)

Message = dict[str, Any]
Recorder = Callable[[str, Message], None]
"""Called as recorder(session_id, event) for every event the session logs, on the event loop:
keep it quick (a store should hand slow writes to its own thread). Errors are logged, never
raised into the session."""
FrameDecoder = Callable[[bytes], np.ndarray]
"""Turns one client message into a BGR image, raising ValueError with a patient-readable
reason for anything that is not a usable image (see web/frames.py)."""

SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
MAX_MESSAGE_CHARS = 200


class Processor(Protocol):
    """What a session needs from coach.pipeline.FrameProcessor."""

    def process(self, frame: Frame) -> Any: ...

    def finish(self) -> list[Any]: ...

    def close(self) -> None: ...


ProcessorFactory = Callable[["Exercise"], Processor]
ExerciseLoader = Callable[[str], "Exercise"]


class SessionError(Exception):
    """A request the registry refuses; `code` is the protocol's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _default_processor(exercise: Exercise) -> Processor:
    from coach.pipeline import FrameProcessor

    # require_setup: the engine holds counting until the setup check passes (live use).
    return FrameProcessor(exercise, require_setup=True)


def _default_loader(exercise_id: str) -> Exercise:
    from exercises import load_exercise

    return load_exercise(exercise_id)


def exercise_info(exercise: Exercise) -> Message:
    """The fields of an exercise the pages show (JSON-ready)."""
    defaults = getattr(exercise, "defaults", None)
    rep = getattr(exercise, "rep", None)
    hold = getattr(exercise, "hold", None)
    hold_s = getattr(defaults, "hold_s", 0.0) or getattr(hold, "target_s", 0.0) or 0.0
    return {
        "id": exercise.id,
        "name": exercise.name,
        "kind": exercise.kind,
        "instructions": exercise.instructions,
        "view": exercise.view,
        "body": getattr(exercise, "body", "full"),
        "sets": getattr(defaults, "sets", 1),
        "reps": getattr(defaults, "reps", 0),
        "hold_s": float(hold_s),
        "rest_s": float(getattr(defaults, "rest_s", 0.0)),
        "measure": getattr(rep, "measure", None),
        "target": getattr(rep, "target", None),
    }


def set_progress(kind: str, reps: int, holds: int, sets: int, per_set: int) -> Message:
    """Which set the patient is in and how far along, from the completed reps (or holds).

    Counting continues past the prescription (extra reps are the patient's choice); the set
    number stops at the last set and `complete` says the prescription is met. A prescription
    of 0 reps means open-ended: one set, never complete.
    """
    unit = "hold" if kind == "hold" else "rep"
    done = holds if kind == "hold" else reps
    sets = max(1, sets)
    per = per_set if per_set > 0 else (1 if kind == "hold" else 0)
    if per == 0:
        return {"set": 1, "sets": 1, "done": done, "per_set": 0, "unit": unit, "complete": False}
    complete = done >= sets * per
    current = min(done // per + 1, sets)
    in_set = per if complete else done - (current - 1) * per
    return {
        "set": current,
        "sets": sets,
        "done": in_set,
        "per_set": per,
        "unit": unit,
        "complete": complete,
    }


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) of `values`, None when empty."""
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def _json_safe(value: Any) -> Any:
    """NaN and infinities are not JSON; send null instead."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return value


@dataclass(frozen=True)
class Closing:
    """Sentinel in an outbox: close the socket with this code and reason."""

    code: int
    reason: str


class Outbox:
    """Messages waiting to go out on one WebSocket.

    Frames (and shared video) are perishable: beyond `max_frames` the oldest is dropped, and
    the events it carried move to the next frame, so a slow reader loses animation, never a
    rep or a fault. Other messages (status, therapist messages, errors) are never dropped.
    """

    def __init__(self, max_frames: int = 30) -> None:
        self.max_frames = max_frames
        self._items: deque[Message | bytes | Closing] = deque()
        self._ready = asyncio.Event()
        self._carry: list[Message] = []
        self.dropped = 0
        self.closed: Closing | None = None

    @staticmethod
    def _perishable(item: Message | bytes | Closing) -> bool:
        return isinstance(item, bytes) or (isinstance(item, dict) and item.get("type") == "frame")

    def put(self, item: Message | bytes) -> None:
        if self.closed is not None:
            return
        if isinstance(item, dict) and item.get("type") == "frame" and self._carry:
            item = {**item, "events": self._carry + list(item.get("events") or [])}
            self._carry = []
        self._items.append(item)
        while sum(self._perishable(i) for i in self._items) > self.max_frames:
            oldest = next(i for i in self._items if self._perishable(i))
            self._items.remove(oldest)
            self.dropped += 1
            if isinstance(oldest, dict) and oldest.get("events"):
                self._carry.extend(oldest["events"])
        self._ready.set()

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Send what is queued, then close the socket."""
        if self.closed is None:
            self.closed = Closing(code, reason)
            self._items.append(self.closed)
            self._ready.set()

    async def get(self) -> Message | bytes | Closing:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()


@dataclass
class _PendingFrame:
    data: bytes
    seq: int
    received: float  # monotonic


class LiveSession:
    """One patient's live set: processor, counts, event log, followers. Use on the event loop."""

    def __init__(
        self,
        session_id: str,
        exercise: Exercise,
        *,
        decode: FrameDecoder,
        processor_factory: ProcessorFactory,
        recorder: Recorder | None = None,
        carry_reps: int = 0,
        carry_holds: int = 0,
        restored: bool = False,
        setup_hold_s: float = 0.5,
        max_frame_age_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = session_id
        self.exercise = exercise
        self.info = exercise_info(exercise)
        self.restored = restored
        self._decode = decode
        self._factory = processor_factory
        self._recorder = recorder
        self._setup_hold_s = setup_hold_s
        self._max_age = max_frame_age_s
        self._clock = clock
        self._t0 = clock()
        self.created_at = datetime.now(timezone.utc)
        self.detached_at: float | None = clock()  # no patient yet
        self.ended = False
        self.attaching = False  # a processor is being created for this session

        self.events: list[Message] = []
        self.stage = "setup"  # "setup" until the setup check passes, then "active"
        self._setup_ok_since: float | None = None
        self._rep_offset = max(0, carry_reps)  # reps from earlier processors / a lost server
        self._hold_offset = max(0, carry_holds)
        self._engine_base = 0  # engine count when counting started (reps before are setup)
        self._engine_reps = 0
        self._holds_done = 0
        self.last_message: Message | None = None

        self._processor: Processor | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._worker: asyncio.Task[None] | None = None
        self._pending: _PendingFrame | None = None
        self._wake = asyncio.Event()
        self._patient: Outbox | None = None
        self._followers: set[Outbox] = set()
        self._share_video = False
        self._undelivered: list[Message] = []  # therapist messages sent while disconnected
        self._seq = 0
        self._frame_index = 0

        self.frames_received = 0
        self.frames_processed = 0
        self.frames_dropped = 0
        self.frames_rejected = 0
        self._latency_ms: deque[float] = deque(maxlen=2000)

    # ---- time and counts -------------------------------------------------------------
    def now(self) -> float:
        """Session time in seconds (the stream time the engine sees)."""
        return self._clock() - self._t0

    @property
    def rep_count(self) -> int:
        """Reps completed in this session, across reconnects."""
        if self.stage != "active":
            return self._rep_offset
        return self._rep_offset + max(0, self._engine_reps - self._engine_base)

    @property
    def holds_done(self) -> int:
        return self._hold_offset + self._holds_done

    @property
    def connected(self) -> bool:
        return self._patient is not None

    def progress(self) -> Message:
        return set_progress(
            self.info["kind"], self.rep_count, self.holds_done, self.info["sets"], self.info["reps"]
        )

    # ---- event log ---------------------------------------------------------------------
    def _log(self, event: Message) -> None:
        event = _json_safe(event)
        self.events.append(event)
        if self._recorder is not None:
            try:
                self._recorder(self.id, event)
            except Exception:  # a broken store must not end the patient's set
                log.exception("session %s: recorder failed on %s", self.id, event.get("kind"))

    def _log_session_event(self, kind: str, **fields: Any) -> Message:
        event = {"kind": kind, "t": round(self.now(), 3), **fields}
        self._log(event)
        return event

    # ---- patient connection --------------------------------------------------------------
    async def attach_patient(self) -> Outbox:
        """Connect the patient: start a fresh processor (model load runs off the loop).

        A second patient connection (another tab) takes over: the first is told and closed.
        """
        if self.ended:
            raise SessionError("session_ended", "This session has ended; start a new one.")
        if self._patient is not None:
            old = self._patient
            old.put(
                {
                    "type": "error",
                    "code": "taken_over",
                    "message": "This session was opened in another window; this one stopped.",
                    "fatal": True,
                }
            )
            old.close(4409, "taken over")
            await self.detach_patient(old)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"live-{self.id}")
        loop = asyncio.get_running_loop()
        self.attaching = True
        try:
            self._processor = await loop.run_in_executor(
                self._executor, self._factory, self.exercise
            )
        except Exception as exc:
            self._executor.shutdown(wait=False)
            self._executor = None
            log.exception("session %s: cannot start the pose pipeline", self.id)
            raise SessionError(
                "pipeline_failed", f"The coach could not start its pose model: {exc}"
            ) from exc
        finally:
            self.attaching = False
        outbox = Outbox(max_frames=4)
        self._patient = outbox
        self.detached_at = None
        self.stage = "setup"
        self._setup_ok_since = None
        self._engine_base = 0
        self._engine_reps = 0
        self._worker = asyncio.create_task(self._run_worker(), name=f"live-{self.id}")
        first = not any(e["kind"] == "PatientConnected" for e in self.events)
        self._log_session_event("PatientConnected", reconnect=not first, restored=self.restored)
        self._broadcast({"type": "status", "patient": "connected", "message": "Patient connected"})
        for msg in self._undelivered:
            outbox.put(msg)
        self._undelivered.clear()
        return outbox

    async def detach_patient(self, outbox: Outbox) -> None:
        """The patient's socket is gone: finish the processor (closing open holds), free it.

        The session and its log stay; a reconnect continues the count.
        """
        if outbox is not self._patient:
            return
        self._patient = None
        if self._pending is not None:
            self._pending = None
            self.frames_dropped += 1
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        processor, self._processor = self._processor, None
        executor, self._executor = self._executor, None
        # The count so far becomes the offset for the next processor.
        self._rep_offset = self.rep_count
        self._hold_offset += self._holds_done
        self._holds_done = 0
        self._engine_base = self._engine_reps = 0
        if processor is not None and executor is not None:
            loop = asyncio.get_running_loop()
            try:
                events = await loop.run_in_executor(executor, _finish_and_close, processor)
            except Exception:
                log.exception("session %s: finishing the processor failed", self.id)
                events = []
            for event in events:
                self._handle_event(_event_dict(event), counting=self.stage == "active")
            executor.shutdown(wait=False)
        self.stage = "setup"
        self.detached_at = self._clock()
        self._log_session_event("PatientDisconnected", rep_count=self.rep_count)
        self._broadcast(
            {
                "type": "status",
                "patient": "disconnected",
                "message": "The patient's page disconnected; the session waits for them.",
                "rep_count": self.rep_count,
            }
        )

    def end(self) -> None:
        """The patient ended the set on purpose (after detaching): no reconnects, tell followers."""
        self.ended = True
        self._log_session_event("SessionEnded", rep_count=self.rep_count)
        self._broadcast({"type": "status", "patient": "ended", "message": "The session has ended."})
        self._broadcast({"type": "summary", "summary": self.summary()})

    # ---- frames ------------------------------------------------------------------------
    def offer_frame(self, data: bytes) -> int:
        """Queue one encoded frame from the patient; returns its sequence number.

        Never queues more than one: a waiting frame is replaced by a newer one and answered
        with a "dropped" reply, so the client's one-in-flight loop never stalls.
        """
        self._seq += 1
        self.frames_received += 1
        if self._patient is None:
            return self._seq
        if self._pending is not None:
            self._reply_dropped(self._pending.seq, "superseded")
        self._pending = _PendingFrame(data, self._seq, self._clock())
        self._wake.set()
        return self._seq

    def _reply_dropped(self, seq: int, reason: str) -> None:
        self.frames_dropped += 1
        if self._patient is not None:
            self._patient.put({"type": "dropped", "seq": seq, "reason": reason})

    async def _run_worker(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while self._pending is None:
                self._wake.clear()
                await self._wake.wait()
            item, self._pending = self._pending, None
            if self._clock() - item.received > self._max_age:
                self._reply_dropped(item.seq, "stale")
                continue
            assert self._executor is not None
            t = self.now()
            try:
                result = await loop.run_in_executor(
                    self._executor, self._process_sync, self._processor, item, t
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the model or engine failed on this frame
                log.exception("session %s: processing frame %d failed", self.id, item.seq)
                self._reply_error(item.seq, "processing_failed", f"This frame failed: {exc}")
                continue
            if isinstance(result, str):
                self.frames_rejected += 1
                self._reply_error(item.seq, "bad_frame", result)
                continue
            message, size = result
            server_ms = (self._clock() - item.received) * 1000.0
            self._latency_ms.append(server_ms)
            self.frames_processed += 1
            self._publish(message, item.seq, server_ms, size)

    def _reply_error(self, seq: int, code: str, text: str) -> None:
        if self._patient is not None:
            self._patient.put(
                {"type": "error", "code": code, "message": text, "seq": seq, "fatal": False}
            )

    def _process_sync(
        self, processor: Processor | None, item: _PendingFrame, t: float
    ) -> tuple[Message, list[int]] | str:
        """Runs in the session's thread: decode, process, serialise. A str is a rejection."""
        try:
            image = self._decode(item.data)
        except ValueError as exc:
            return str(exc)
        if processor is None:
            raise RuntimeError("session is not attached")
        frame = Frame(image=image, t=t, index=self._frame_index)
        self._frame_index += 1
        result = processor.process(frame)
        h, w = image.shape[:2]
        return _json_safe(result.to_message()), [w, h]

    # ---- turning engine output into session messages --------------------------------------
    def _publish(self, message: Message, seq: int, server_ms: float, size: list[int]) -> None:
        setup = message.get("setup") or {}
        t = float(message.get("t", self.now()))
        engine_reps = int(message.get("rep_count") or 0)
        was_active = self.stage == "active"
        if not was_active:
            if setup.get("ok"):
                if self._setup_ok_since is None:
                    self._setup_ok_since = t
                if t - self._setup_ok_since >= self._setup_hold_s:
                    self.stage = "active"
                    self._engine_base = engine_reps
                    self._log_session_event("SetupPassed", rep_count=self.rep_count)
            else:
                self._setup_ok_since = None
        self._engine_reps = engine_reps
        events = []
        for event in message.get("events") or []:
            kept = self._handle_event(event, counting=was_active)
            if kept is not None:
                events.append(kept)
        message.update(
            {
                "events": events,
                "rep_count": self.rep_count,
                "holds_completed": self.holds_done,
                "stage": self.stage,
                "set": self.progress(),
                "seq": seq,
                "server_ms": round(server_ms, 1),
                "image": size,
            }
        )
        self.last_message = message
        if self._patient is not None:
            self._patient.put(message)
        self._broadcast(message)

    def _handle_event(self, event: Message, *, counting: bool) -> Message | None:
        """Renumber an engine event into session terms and log it; None drops it.

        Reps and faults decided before counting started belong to the setup, not the set.
        """
        kind = event.get("kind")
        if kind in ("RepCompleted", "FaultDetected") and not counting:
            return None
        event = dict(event)
        if kind == "RepCompleted":
            event["index"] = self._rep_offset + int(event.get("index", 0)) - self._engine_base
        elif kind == "FaultDetected" and event.get("rep") is not None:
            event["rep"] = self._rep_offset + int(event["rep"]) - self._engine_base
        elif kind == "HoldEnded":
            target = self.info["hold_s"]
            if counting and (target <= 0 or float(event.get("duration_s", 0.0)) >= target - 0.05):
                self._holds_done += 1
        if kind != "HoldProgress":  # progress ticks are in every frame message already
            self._log(event)
        return event

    # ---- followers and messages ----------------------------------------------------------
    def add_follower(self) -> Outbox:
        outbox = Outbox(max_frames=8)
        self._followers.add(outbox)
        self._notify_patient_followers()
        return outbox

    def remove_follower(self, outbox: Outbox) -> None:
        if outbox in self._followers:
            self._followers.discard(outbox)
            self._notify_patient_followers()

    @property
    def follower_count(self) -> int:
        return len(self._followers)

    def _notify_patient_followers(self) -> None:
        if self._patient is not None:
            self._patient.put({"type": "followers", "count": len(self._followers)})

    def _broadcast(self, message: Message | bytes) -> None:
        for outbox in self._followers:
            outbox.put(message)

    def share_video(self, enabled: bool) -> None:
        """The patient chose whether their (downscaled) frames go to followers."""
        if enabled != self._share_video:
            self._share_video = enabled
            self._log_session_event("VideoSharing", enabled=enabled)
            self._broadcast({"type": "status", "video": enabled})

    def forward_video(self, data: bytes) -> None:
        if self._share_video and self._followers:
            self._broadcast(data)

    def therapist_message(self, text: str) -> Message:
        """A short message from a follower to the patient; returns the logged event.

        Raises ValueError when the text is empty. Messages sent while the patient is away
        are delivered when they reconnect.
        """
        clean = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
        if not clean:
            raise ValueError("The message is empty.")
        clean = clean[:MAX_MESSAGE_CHARS]
        event = self._log_session_event("TherapistMessage", text=clean)
        message = {"type": "therapist_message", "text": clean, "t": event["t"]}
        if self._patient is not None:
            self._patient.put(message)
        else:
            self._undelivered.append(message)
        self._broadcast({**message, "delivered": self._patient is not None})
        return event

    def client_problem(self, code: str, text: str) -> None:
        """The patient's page hit a problem the server cannot see (camera blocked, ...)."""
        code = re.sub(r"[^a-z0-9_]", "", code.lower())[:40] or "client_error"
        text = " ".join(text.split())[:MAX_MESSAGE_CHARS]
        self._log_session_event("ClientProblem", code=code, message=text)
        self._broadcast({"type": "status", "patient": "problem", "code": code, "message": text})

    # ---- read-outs -----------------------------------------------------------------------
    def hello(self) -> Message:
        """What a page needs to draw and label the session (first message on any socket)."""
        return {
            "session_id": self.id,
            "follow_path": f"/follow/{self.id}",
            "exercise": self.info,
            "skeleton_edges": [[int(a), int(b)] for a, b in SKELETON_EDGES],
            "stage": self.stage,
            "rep_count": self.rep_count,
            "set": self.progress(),
            "connected": self.connected,
            "ended": self.ended,
            "followers": len(self._followers),
            "restored": self.restored,
        }

    def stats(self) -> Message:
        latencies = list(self._latency_ms)
        p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
        return {
            "frames_received": self.frames_received,
            "frames_processed": self.frames_processed,
            "frames_dropped": self.frames_dropped,
            "frames_rejected": self.frames_rejected,
            "server_ms_p50": None if p50 is None else round(p50, 1),
            "server_ms_p95": None if p95 is None else round(p95, 1),
        }

    def summary(self) -> Message:
        """The session so far, in the shape of `coach analyze --json` plus live fields."""
        reps = [
            {
                k: e.get(k)
                for k in ("index", "start_s", "end_s", "rom_deg", "peak_deg", "score", "side")
            }
            | {"faults": list(e.get("faults") or [])}
            for e in self.events
            if e["kind"] == "RepCompleted"
        ]
        holds = [
            {k: e.get(k) for k in ("start_s", "end_s", "duration_s", "sway", "touch_downs")}
            for e in self.events
            if e["kind"] == "HoldEnded"
        ]
        faults = [
            {"id": e.get("id"), "t_s": e.get("t"), "rep": e.get("rep"), "message": e.get("message")}
            for e in self.events
            if e["kind"] == "FaultDetected"
        ]
        warnings = list(
            dict.fromkeys(
                e.get("message") or e.get("reason") or ""
                for e in self.events
                if e["kind"] in ("ViewWarning", "ClientProblem")
            )
        )
        if self.restored:
            warnings.append(
                "The server restarted during this session; reps before the restart are counted "
                "but their details were lost."
            )
        state = "ended" if self.ended else (self.stage if self.connected else "disconnected")
        return _json_safe(
            {
                "id": self.id,
                "exercise": self.info["id"],
                "exercise_name": self.info["name"],
                "state": state,
                "created_at": self.created_at.isoformat(timespec="seconds"),
                "duration_s": round(self.now(), 2),
                "rep_count": self.rep_count,
                "holds_completed": self.holds_done,
                "set": self.progress(),
                "reps": reps,
                "holds": holds,
                "faults": faults,
                "warnings": [w for w in warnings if w],
                "messages": [
                    {"t_s": e["t"], "text": e["text"]}
                    for e in self.events
                    if e["kind"] == "TherapistMessage"
                ],
                "followers": len(self._followers),
                "events": len(self.events),
                "stats": self.stats(),
            }
        )


def _finish_and_close(processor: Processor) -> list[Any]:
    try:
        return list(processor.finish())
    finally:
        processor.close()


def _event_dict(event: Any) -> Message:
    return _json_safe(event.to_dict() if hasattr(event, "to_dict") else dict(event))


class SessionRegistry:
    """All live sessions of one server, by id; frees them and forgets them when they expire.

    `max_active` bounds the sessions with a running pose model (each costs a model instance
    and a core's worth of CPU); finished sessions stay readable for `retain_s`.
    """

    def __init__(
        self,
        *,
        decode: FrameDecoder,
        exercise_loader: ExerciseLoader | None = None,
        processor_factory: ProcessorFactory | None = None,
        recorder: Recorder | None = None,
        max_active: int = 4,
        retain_s: float = 1800.0,
        max_retained: int = 200,
        setup_hold_s: float = 0.5,
        max_frame_age_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_active < 1:
            raise ValueError(f"max_active must be >= 1, got {max_active}")
        self._decode = decode
        self._load = exercise_loader or _default_loader
        self._factory = processor_factory or _default_processor
        self.recorder = recorder
        self.max_active = max_active
        self.retain_s = retain_s
        self.max_retained = max_retained
        self.setup_hold_s = setup_hold_s
        self.max_frame_age_s = max_frame_age_s
        self._clock = clock
        self._sessions: dict[str, LiveSession] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, session_id: str) -> LiveSession | None:
        self.sweep()
        return self._sessions.get(session_id)

    def active_count(self) -> int:
        return sum(s.connected or s.attaching for s in self._sessions.values())

    def discard(self, session_id: str) -> None:
        """Forget a session that never got going (its pipeline could not start)."""
        session = self._sessions.get(session_id)
        if session is not None and not session.connected:
            del self._sessions[session_id]

    def load_exercise(self, exercise_id: str) -> Exercise:
        """The exercise, or SessionError("unknown_exercise") listing the known ids."""
        try:
            return self._load(exercise_id)
        except KeyError as exc:
            # exercises.UnknownExercise lists the known ids in its str(); a bare KeyError quotes.
            text = str(exc) if type(exc).__str__ is not KeyError.__str__ else ""
            text = text or f"unknown exercise {exercise_id!r}"
            raise SessionError("unknown_exercise", text[:1].upper() + text[1:]) from exc

    def open(
        self,
        exercise_id: str,
        *,
        session_id: str | None = None,
        carry_reps: int = 0,
        carry_holds: int = 0,
    ) -> tuple[LiveSession, str]:
        """The session a patient's page should attach to, and how it was found.

        Without `session_id`: a new session ("new"). With the id of a known session: that
        session ("resumed"; the carried counts are ignored, the server's are right). With an
        unknown but well-formed id (the server restarted): a new session under the same id,
        so the therapist's follow link keeps working, counting on from the page's own count
        ("restored").
        """
        self.sweep()
        if session_id is not None:
            if not SESSION_ID_RE.match(session_id):
                raise SessionError("bad_session_id", "That session id is not valid.")
            known = self._sessions.get(session_id)
            if known is not None:
                if known.info["id"] != exercise_id:
                    raise SessionError(
                        "exercise_mismatch",
                        f"Session {session_id} is for {known.info['name']}, not {exercise_id}.",
                    )
                if known.ended:
                    raise SessionError("session_ended", "This session has ended; start a new one.")
                if not known.connected and self.active_count() >= self.max_active:
                    raise self._full()
                return known, "resumed"
        if self.active_count() >= self.max_active:
            raise self._full()
        exercise = self.load_exercise(exercise_id)
        restored = session_id is not None
        new_id = session_id if restored else self._new_id()
        session = LiveSession(
            new_id,
            exercise,
            decode=self._decode,
            processor_factory=self._factory,
            recorder=self.recorder,
            carry_reps=carry_reps if restored else 0,
            carry_holds=carry_holds if restored else 0,
            restored=restored,
            setup_hold_s=self.setup_hold_s,
            max_frame_age_s=self.max_frame_age_s,
            clock=self._clock,
        )
        self._sessions[new_id] = session
        session._log_session_event(
            "SessionStarted", exercise=exercise_id, restored=restored, carried_reps=carry_reps
        )
        return session, "restored" if restored else "new"

    def _full(self) -> SessionError:
        return SessionError(
            "server_busy",
            f"The coach is already running {self.max_active} live sessions; try again shortly.",
        )

    def _new_id(self) -> str:
        while True:
            candidate = secrets.token_urlsafe(9)
            if candidate not in self._sessions:
                return candidate

    def sweep(self) -> None:
        """Forget sessions whose patient left more than `retain_s` ago (oldest first beyond
        `max_retained`)."""
        now = self._clock()
        idle = [s for s in self._sessions.values() if not s.connected and s.detached_at is not None]
        expired = {s.id for s in idle if now - s.detached_at > self.retain_s}  # type: ignore[operator]
        keep = sorted((s for s in idle if s.id not in expired), key=lambda s: s.detached_at or 0)
        excess = len(keep) - self.max_retained
        if excess > 0:
            expired.update(s.id for s in keep[:excess])
        for sid in expired:
            session = self._sessions.pop(sid)
            session._broadcast(
                {"type": "status", "patient": "expired", "message": "Session closed."}
            )

    async def close_all(self) -> None:
        """Server shutdown: free every processor (each session's log stays with the recorder)."""
        for session in list(self._sessions.values()):
            if session._patient is not None:
                patient = session._patient
                patient.put(
                    {
                        "type": "error",
                        "code": "server_stopping",
                        "message": "The coach server is stopping; your count so far is kept.",
                        "fatal": False,
                    }
                )
                patient.close(1012, "server restart")
                await session.detach_patient(patient)
            for follower in list(session._followers):
                follower.close(1012, "server restart")
