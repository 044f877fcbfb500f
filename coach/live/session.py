"""One patient's live set: frames in, coaching out, counts kept, therapists following."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from coach.live.landmarks import LandmarkMessage
from coach.live.outbox import Outbox
from coach.live.readouts import exercise_info, json_safe, percentile, set_progress
from coach.live.sets import SetFlow
from coach.live.targets import LiveTargets
from coach.live.worker import (
    BrokenExecutor,
    FrameDecoder,
    PipelineWorker,
    ProcessorFactory,
    event_dict,
    make_processor,
)
from coach.prescription import Prescription
from coach.sinks import EventLog, EventSink, FrameInfo, Sinks, frame_landmarks
from pose.landmarks import SKELETON_EDGES
from pose.types import Pose
from scoring.events import FAULT_REPORT, HOLD_REPORT, REP_REPORT, report_item
from scoring.modes.reps import RANGE_LIMIT_ID

if TYPE_CHECKING:
    from exercises import Exercise
    from scoring.reference import PersonalReference
    from scoring.targets import TargetSpec

log = logging.getLogger(__name__)

Message = dict[str, Any]


class Recorder(Protocol):
    """Records live sessions (e.g. coach.store.live_recorder.LiveRecorder)."""

    def sink(self, session_id: str) -> EventSink:
        """One session's sink: fed every event the session logs and every processed frame
        (per-frame poses for plots and replay), on the event loop: keep it quick (a store
        should hand slow writes to its own thread). Its errors are logged, never raised into
        the session."""
        ...

    def close(self) -> None:
        """The server stops: write out what is queued."""
        ...


MAX_MESSAGE_CHARS = 200
MAX_CLIENT_PROBLEMS = 20
END_AFTER_DONE_S = 4.0  # a targets schedule done: the page ends it first (it says well done)


class LandmarkProcessor(Protocol):
    """What a `pose=device` session needs: coach.pipeline.FrameProcessor without a model."""

    def process_pose(self, t: float, raw: Pose | None, image_size: tuple[int, int]) -> Any: ...

    def finish(self) -> list[Any]: ...


LandmarkProcessorFactory = Callable[
    ["Exercise", "PersonalReference | None", "float | None"], LandmarkProcessor
]
"""factory(exercise, reference, limit_deg), as `ProcessorFactory` (coach.live.worker)."""


class SessionError(Exception):
    """A request the server refuses; `code` is the protocol's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _PendingFrame:
    data: bytes
    seq: int
    received: float  # monotonic


class LiveSession:
    """One patient's live set. All methods run on the event loop; the model never does.

    - Frames: at most one is processed at a time (on the session's `PipelineWorker`); one
      that arrives meanwhile waits in a single slot and is replaced, with a "dropped" reply,
      by the next; one that waited longer than `max_frame_age_s` is dropped as stale.
    - Stages: "setup" until the engine's setup check (body in view, distance, camera view)
      has passed for `setup_hold_s`, then "active": reps count from then on.
    - The prescription (`prescription`, default the definition's dose; coach.prescription)
      sets the sets, reps (or holds), hold target, rest and range limit. A set's last rep (or
      the hold that reaches its target) starts the rest (coach.live.sets): nothing counts
      until it is over, then the next set; after the last set nothing counts. The pages see
      the stage "rest" (with the seconds left) and "done".
    - Counts survive a new pipeline (reconnect, worker crash, server restart via
      `carry_reps`): the engine's count is added to an offset of earlier reps.
    - Events and frames go to the session's sinks (coach.sinks): its in-memory log, the
      `recorder`'s sink for the session, the patient's and the followers' outboxes (frames
      only: events travel inside the frame messages); the summary is built from the log.

    `new_worker(fallback)` makes the worker for each pipeline (default: a worker process;
    with fallback=True, after a worker process failed to start: a thread).
    `reference`: the patient's own good reps for this exercise (scoring.reference); every
    pipeline's engine judges the reps against them too.

    `pose="device"` (per connection, `attach_patient`): the page runs the pose model and
    sends landmarks (`offer_landmarks`); no worker starts, the filter and engine run here on
    the event loop (well under a millisecond a frame), made by `landmark_processor`.

    `targets` (coach.live.targets): a hand-eye task's schedule instead of sets and reps; the
    engine runs it, the session passes its events on (with the page's latency and plain
    words), and once every target has its result the session is done ("AllSetsDone") and
    ends by itself `end_after_done_s` later if the page has not ended it.
    """

    def __init__(
        self,
        session_id: str,
        exercise: Exercise,
        *,
        decode: FrameDecoder,
        processor_factory: ProcessorFactory,
        new_worker: Callable[[bool], PipelineWorker] | None = None,
        recorder: Recorder | None = None,
        patient_id: int | None = None,
        reference: PersonalReference | None = None,
        prescription: Prescription | None = None,
        carry_reps: int = 0,
        carry_holds: int = 0,
        restored: bool = False,
        setup_hold_s: float = 0.5,
        max_frame_age_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        landmark_processor: LandmarkProcessorFactory | None = None,
        max_client_problems: int = MAX_CLIENT_PROBLEMS,
        max_followers: int = 10,
        targets: LiveTargets | None = None,
        end_after_done_s: float = END_AFTER_DONE_S,
    ) -> None:
        self.id = session_id
        self.targets = targets
        self._end_after_done_s = end_after_done_s
        self._end_task: asyncio.Task[None] | None = None
        self.exercise = exercise
        self.prescription = prescription or Prescription.defaults(exercise)
        rx = self.prescription.to_message()
        # The pages' exercise facts, with the dose this patient was prescribed.
        self.info = {**exercise_info(exercise), **rx, "prescription": rx}
        self._flow = SetFlow(self.prescription, exercise.kind)
        self._flow.resume(max(0, carry_holds if exercise.kind == "hold" else carry_reps))
        self._hold_counted = False  # the current hold reached its target and was counted
        self._announce: list[Message] = []  # session events for the next frame message
        self._setup_message = ""  # why the setup check last failed
        self.restored = restored
        self._decode = decode
        self._factory = processor_factory
        self._new_worker = new_worker or _default_worker
        self._record: EventSink | None = recorder.sink(session_id) if recorder is not None else None
        self.patient_id = patient_id  # None: an anonymous session, reachable by its id only
        self.reference = reference
        self._setup_hold_s = setup_hold_s
        self._max_age = max_frame_age_s
        self._clock = clock
        self._t0 = clock()
        self.created_at = datetime.now(timezone.utc)
        self.detached_at: float | None = clock()  # no patient yet
        self.ended = False
        self.attaching = False  # a pipeline is being started for this session

        self._log_sink = EventLog()
        self.events: list[Message] = self._log_sink.events
        self.stage = "setup"
        self._setup_ok_since: float | None = None
        self._rep_offset = max(0, carry_reps)  # reps from earlier pipelines / a lost server
        self._hold_offset = max(0, carry_holds)
        self._engine_base = 0  # engine count when counting started (reps before are setup)
        self._engine_reps = 0
        self._holds_done = 0
        self.last_message: Message | None = None

        self._pipeline: PipelineWorker | None = None
        self._device_factory = landmark_processor or _default_landmark_processor
        self._device: LandmarkProcessor | None = None  # pose=device: the filter + engine
        self._device_t0: tuple[float, float] | None = None  # (page t, session t) at the start
        self._last_result: Any = None  # pose=device: the last frame's FrameResult
        self.last_landmark_t: float | None = None
        self.pose = "server"  # where the current (or last) connection runs the pose model
        self.address: str | None = None  # the patient's client address, while connected
        self._max_client_problems = max_client_problems
        self._client_problems = 0
        self._max_followers = max_followers
        self._loop_task: asyncio.Task[None] | None = None
        self._pending: _PendingFrame | None = None
        self._wake = asyncio.Event()
        self._patient: Outbox | None = None
        self._followers: set[Outbox] = set()
        self._share_video = False
        self._video_sent_at = 0.0
        self._undelivered: list[Message] = []  # therapist messages sent while disconnected
        self._seq = 0

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
    def counting(self) -> bool:
        """Reps and holds count now: set up, and in a set (not resting, not done)."""
        return self.stage == "active" and self._flow.counting

    @property
    def shown_stage(self) -> str:
        """The stage the pages see: "setup", "active", "rest" or "done"."""
        return self._flow.phase if self._flow.phase != "set" else self.stage

    @property
    def rep_count(self) -> int:
        """Reps completed in this session, across reconnects."""
        if not self.counting:
            return self._rep_offset
        return self._rep_offset + max(0, self._engine_reps - self._engine_base)

    @property
    def holds_done(self) -> int:
        return self._hold_offset + self._holds_done

    @property
    def connected(self) -> bool:
        return self._patient is not None

    @property
    def pipeline_alive(self) -> bool:
        """A pose model and engine are allocated (only while the patient is connected)."""
        return self._pipeline is not None or self._device is not None

    @property
    def worker_pid(self) -> int | None:
        """The process running this session's model (None: none, or a thread)."""
        return self._pipeline.pid if self._pipeline is not None else None

    def progress(self) -> Message:
        if self.targets is not None:  # one set of targets, counted by their results
            done, count = len(self.targets.results), self.targets.count
            return {
                "set": 1,
                "sets": 1,
                "done": done,
                "per_set": count,
                "unit": "target",
                "complete": done >= count,
            }
        return set_progress(
            self.info["kind"],
            self.rep_count,
            self.holds_done,
            self.prescription.sets,
            self.prescription.reps,
        )

    def _advance(self, event: Message | None, before: int) -> Message | None:
        """The set flow moved (a set finished, a rest ended): counting stops or starts
        afresh here, from `before` (the count just before the move)."""
        if event is not None:
            self._rep_offset = before
            self._engine_base = self._engine_reps
            self._log(event)
        return event

    def next_set(self) -> None:
        """The patient is ready before the rest is over: the next set starts now."""
        before = self.rep_count  # before the flow moves: counting may start
        event = self._advance(self._flow.tick(self.now(), ready=True), before)
        if event is not None:
            self._announce.append(event)

    def _carry_counts(self) -> None:
        """The pipeline is going away: its count becomes the offset for the next one."""
        self._rep_offset = self.rep_count
        self._hold_offset += self._holds_done
        self._holds_done = 0
        self._engine_base = self._engine_reps = 0
        self.stage = "setup"
        self._setup_ok_since = None

    # ---- event log and sinks ---------------------------------------------------------------
    def _sinks(self) -> Sinks:
        """Where events and frames go, in this order: the log, the recorder, the patient's
        page, the followers' pages. A failing sink (a broken store) must not end the set."""
        return Sinks(
            [self._log_sink, self._record, self._patient, *self._followers],
            on_error=self._sink_failed,
        )

    def _sink_failed(self, sink: EventSink, exc: Exception) -> None:
        log.error("session %s: %s failed", self.id, type(sink).__name__, exc_info=exc)

    def _log(self, event: Message) -> None:
        self._sinks().event(json_safe(event))

    def log_event(self, kind: str, **fields: Any) -> Message:
        """Log a session-level event (connections, messages, problems) at the current time."""
        event = {"kind": kind, "t": round(self.now(), 3), **fields}
        self._log(event)
        return event

    # ---- the pipeline --------------------------------------------------------------------
    def _schedule(self) -> Any:
        """A targets session's targets still to do (a new pipeline runs those), else None."""
        return self.targets.remaining() if self.targets is not None else None

    async def _start_pipeline(self) -> PipelineWorker:
        limit = self.prescription.limit_deg
        args = (self._factory, self.exercise, self._decode, self.reference, limit)
        worker = self._new_worker(False)
        try:
            await worker.start(*args, self._schedule())
        except BrokenExecutor:
            # The worker process could not even start: run in a thread rather than not at all.
            worker.shutdown(kill=True)
            worker = self._new_worker(True)
            try:
                await worker.start(*args, self._schedule())
            except Exception as exc:
                raise self._start_failed(worker, exc) from exc
        except Exception as exc:
            raise self._start_failed(worker, exc) from exc
        return worker

    def _start_failed(self, worker: PipelineWorker, exc: Exception) -> SessionError:
        worker.shutdown(kill=True)
        log.error("session %s: cannot start the pose pipeline", self.id, exc_info=exc)
        return SessionError("pipeline_failed", f"The coach could not start its pose model: {exc}")

    async def _stop_pipeline(self) -> None:
        """Finish (closing open holds), count what it decided, free it."""
        worker, self._pipeline = self._pipeline, None
        device, self._device = self._device, None
        if worker is None and device is None:
            return
        counting = self.counting
        events: list[Message] = []
        try:
            if worker is not None:
                events = await worker.finish()
            elif device is not None:
                events = [event_dict(e) for e in device.finish()]
        except Exception:
            log.exception("session %s: finishing the pipeline failed", self.id)
            if worker is not None:
                worker.shutdown(kill=True)
            events = []
        for event in events:
            kept = self._handle_event(event, counting=counting)
            if kept is not None and kept["kind"] == "RepCompleted":
                self._engine_reps = max(self._engine_reps, int(event.get("index", 0)))
        self._targets_finished([])  # the last target closed as the pipeline went
        self._carry_counts()

    async def _restart_pipeline(self) -> bool:
        """The worker died (native crash, killed): start a new one, keep the count."""
        old, self._pipeline = self._pipeline, None
        if old is not None:
            old.shutdown(kill=True)
        self._carry_counts()
        self.log_event("PipelineRestarted", rep_count=self.rep_count)
        try:
            self._pipeline = await self._start_pipeline()
        except SessionError as exc:
            if self._patient is not None:
                self._patient.put({**_error(exc.code, exc.message), "fatal": True})
                self._patient.close(1011, "pipeline failed")
            return False
        return True

    # ---- patient connection --------------------------------------------------------------
    async def attach_patient(
        self, pose: str = "server", *, address: str | None = None, max_backlog: int = 500
    ) -> Outbox:
        """Connect the patient: start a fresh pipeline (the model loads off the loop), or with
        `pose="device"` a filter and engine for the page's landmarks (no model, no worker).

        A second patient connection (another tab) takes over: the first is told and closed.
        """
        if pose not in ("server", "device"):
            raise SessionError("bad_request", "pose must be 'server' or 'device'.")
        if self.targets is not None and self.targets.done and not self.ended:
            self.end()  # every target done: nothing to come back for
        if self.ended:
            raise SessionError("session_ended", "This session has ended; start a new one.")
        if self.attaching:
            raise SessionError(
                "session_starting", "This session is starting in another window; use that one."
            )
        if self._patient is not None:
            old = self._patient
            old.put(
                {
                    **_error("taken_over", "This session was opened in another window."),
                    "fatal": True,
                }
            )
            old.close(4409, "taken over")
            await self.detach_patient(old)
        self.attaching = True
        self.pose, self.address = pose, address
        try:
            if pose == "device":
                self._device = make_processor(
                    self._device_factory,
                    self.exercise,
                    self.reference,
                    self.prescription.limit_deg,
                    self._schedule(),
                )
                self._device_t0 = self.last_landmark_t = None
            else:
                self._pipeline = await self._start_pipeline()
        finally:
            self.attaching = False
        # A device page draws its own landmarks: its replies go without them (followers' not).
        outbox = Outbox(max_frames=4, max_backlog=max_backlog, landmarks=pose != "device")
        self._patient = outbox
        self.detached_at = None
        self._carry_counts()
        if pose == "server":
            self._loop_task = asyncio.create_task(self._frame_loop(), name=f"live-{self.id}")
        first = not any(e["kind"] == "PatientConnected" for e in self.events)
        self.log_event("PatientConnected", reconnect=not first, restored=self.restored)
        self._broadcast({"type": "status", "patient": "connected", "message": "Patient connected"})
        for msg in self._undelivered:
            outbox.put(msg)
        self._undelivered.clear()
        return outbox

    async def detach_patient(self, outbox: Outbox) -> None:
        """The patient's socket is gone: free the pipeline; the session and its log stay."""
        if outbox is not self._patient:
            return
        self._patient = None
        self.address = None
        if self._pending is not None:
            self._pending = None
            self.frames_dropped += 1
        task, self._loop_task = self._loop_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._stop_pipeline()
        self.detached_at = self._clock()
        self.log_event("PatientDisconnected", rep_count=self.rep_count, **self._targets_stored())
        self._broadcast(
            {
                "type": "status",
                "patient": "disconnected",
                "message": "The patient's page disconnected; the session waits for them.",
                "rep_count": self.rep_count,
            }
        )

    def end(self) -> None:
        """The patient ended the set on purpose (after detaching), or a targets schedule is
        done: no reconnects, tell followers. A targets session's SessionEnded carries what
        the store keeps of it (`targets`)."""
        if self.ended:
            return
        self.ended = True
        if self._end_task is not None and self._end_task is not asyncio.current_task():
            self._end_task.cancel()
        self.log_event("SessionEnded", rep_count=self.rep_count, **self._targets_stored())
        self._broadcast({"type": "status", "patient": "ended", "message": "The session has ended."})
        self._broadcast({"type": "summary", "summary": self.summary()})

    # ---- frames ------------------------------------------------------------------------
    def offer_frame(self, data: bytes) -> int:
        """Take one encoded frame from the patient; returns its sequence number.

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

    def offer_landmarks(self, msg: LandmarkMessage) -> None:
        """One checked landmark message from a `pose=device` page: filter + engine, here and
        now (no queue: it costs well under a millisecond), then the same `frame` reply and
        sinks as a JPEG's. Replies carry the page's own `seq`."""
        self.frames_received += 1
        device = self._device
        if self._patient is None or device is None:
            self._reply_error(msg.seq, "bad_landmarks", "This session expects JPEG frames.")
            return
        started = self._clock()
        if self._device_t0 is None:
            self._device_t0 = (msg.t, self.now())
        self.last_landmark_t = msg.t
        page_t0, session_t0 = self._device_t0
        t = session_t0 + (msg.t - page_t0)  # the page's capture clock, in session time
        pose = None if msg.landmarks is None else Pose(msg.landmarks, t, msg.image)
        try:
            result = device.process_pose(t, pose, msg.image)
            message = json_safe(result.to_message(landmarks=False))
            # The page has its landmarks; only followers need them as rows (those who
            # follow later get the last frame's in `add_follower`).
            self._last_result = result
            if self._followers:
                message["landmarks"] = _rows(result)
            pose_out = result.pose
        except Exception as exc:  # the engine failed on this frame only
            log.exception("session %s: landmark message %d failed", self.id, msg.seq)
            self._reply_error(msg.seq, "processing_failed", f"This frame failed: {exc}")
            return
        server_ms = (self._clock() - started) * 1000.0
        self._latency_ms.append(server_ms)
        self.frames_processed += 1
        landmarks = None if pose_out is None else pose_out.landmarks
        self._publish(message, msg.seq, server_ms, [msg.image[0], msg.image[1]], landmarks)

    def refuse_landmarks(self, seq: int | None, reason: str) -> None:
        """A landmark message that failed its checks (coach.live.landmarks)."""
        self.frames_received += 1
        self.frames_rejected += 1
        if self._patient is not None:
            self._patient.put({**_error("bad_landmarks", reason), "seq": seq})

    def drop_landmarks(self, seq: int, reason: str = "rate") -> None:
        """A landmark message not processed (over the rate limit)."""
        self.frames_received += 1
        self._reply_dropped(seq, reason)

    def _reply_dropped(self, seq: int, reason: str) -> None:
        self.frames_dropped += 1
        if self._patient is not None:
            self._patient.put({"type": "dropped", "seq": seq, "reason": reason})

    def _reply_error(self, seq: int, code: str, text: str) -> None:
        if self._patient is not None:
            self._patient.put({**_error(code, text), "seq": seq})

    async def _frame_loop(self) -> None:
        while True:
            while self._pending is None:
                self._wake.clear()
                await self._wake.wait()
            item, self._pending = self._pending, None
            if self._clock() - item.received > self._max_age:
                self._reply_dropped(item.seq, "stale")
                continue
            worker = self._pipeline
            if worker is None:
                return
            try:
                result = await worker.process(item.data, self.now())
            except asyncio.CancelledError:
                raise
            except BrokenExecutor:
                log.error("session %s: the pose worker died; starting a new one", self.id)
                if not await self._restart_pipeline():
                    return
                # Answered once the new model is ready, so the page's next frame is fresh.
                self._reply_error(
                    item.seq,
                    "pipeline_restarted",
                    "The coach's pose model stopped unexpectedly and was restarted; "
                    "your count is kept. Stand still for a moment.",
                )
                continue
            except Exception as exc:  # the model or engine failed on this frame only
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

    # ---- engine output -> session messages --------------------------------------------
    def _publish(
        self,
        message: Message,
        seq: int,
        server_ms: float,
        size: list[int],
        landmarks: np.ndarray | None | bool = True,
    ) -> None:
        """Count, log and send one processed frame. `landmarks`: the frame's (33, 4) array for
        the sinks when the caller has it (None: no person); True: read from the message."""
        setup = message.get("setup") or {}
        t = float(message.get("t", self.now()))
        now = self.now()
        events: list[Message] = self._announce
        self._announce = []
        before = self.rep_count  # before the flow moves: counting may start
        rested = self._advance(self._flow.tick(now), before)  # the rest is over
        if rested is not None:
            events.append(rested)
        engine_reps = int(message.get("rep_count") or 0)
        was_active = self.stage == "active"
        counting = self.counting
        if not was_active:
            if not setup.get("ok") and setup.get("message"):
                self._setup_message = str(setup["message"])[:MAX_MESSAGE_CHARS]
            if setup.get("ok"):
                if self._setup_ok_since is None:
                    self._setup_ok_since = t
                if t - self._setup_ok_since >= self._setup_hold_s:
                    self.stage = "active"
                    self._engine_base = engine_reps
                    self.log_event("SetupPassed", rep_count=self.rep_count)
            else:
                self._setup_ok_since = None
        self._engine_reps = engine_reps
        if self.targets is not None:
            self.targets.frame(t)
        for event in message.get("events") or []:
            kept = self._handle_event(event, counting=counting)
            if kept is not None:
                events.append(kept)
        self._targets_finished(events)
        if counting:
            before = self.rep_count
            done = self.holds_done if self.info["kind"] == "hold" else before
            moved = self._advance(self._flow.after_count(done, now), before)
            if moved is not None:
                events.append(moved)
        message.update(
            {
                "events": events,
                "rep_count": self.rep_count,
                "holds_completed": self.holds_done,
                "stage": self.shown_stage,
                "rest": self._flow.rest(now),
                "set": self.progress(),
                "seq": seq,
                "server_ms": round(server_ms, 1),
                "image": size,
            }
        )
        self.last_message = message
        image_size = (int(size[0]), int(size[1])) if size and len(size) == 2 else None
        info = FrameInfo(image_size=image_size, message=message)
        if landmarks is True:
            landmarks = frame_landmarks(message)
        self._sinks().frame(t, landmarks, info)

    def _handle_event(self, event: Message, *, counting: bool) -> Message | None:
        """Renumber an engine event into session terms and log it; None drops it.

        Reps and faults decided while not counting belong to the setup (or the rest), not
        the set. A hold counts the moment it reaches the prescribed target: that frame's
        HoldProgress becomes a "HoldReached" event (the patient hears they made it, and the
        set can end); its later HoldEnded does not count it again.
        """
        kind = event.get("kind")
        if kind in ("TargetShown", "TargetResult") and self.targets is not None:
            event = self.targets.on_event(event)
            self._log(event)
            return event
        safety = kind == "FaultDetected" and event.get("id") == RANGE_LIMIT_ID
        if kind in ("RepCompleted", "FaultDetected") and not counting:
            if not safety:
                return None
            # Past the range limit is always recorded (and shown), even before counting.
            event = {**event, "rep": None}
            self._log(event)
            return event
        event = dict(event)
        if kind == "RepCompleted":
            event["index"] = self._rep_offset + int(event.get("index", 0)) - self._engine_base
        elif kind == "FaultDetected" and event.get("rep") is not None:
            event["rep"] = self._rep_offset + int(event["rep"]) - self._engine_base
        elif kind == "HoldProgress":
            target = self.prescription.hold_s
            held = float(event.get("elapsed_s", 0.0))
            if counting and target > 0 and not self._hold_counted and held >= target - 0.05:
                self._hold_counted = True
                self._holds_done += 1
                event = {
                    "kind": "HoldReached",
                    "t": event.get("t"),
                    "target_s": target,
                    "hold": self.holds_done,
                }
                self._log(event)
            return event
        elif kind == "HoldEnded":
            target = self.prescription.hold_s
            if self._hold_counted:
                self._hold_counted = False  # counted when it reached its target
            elif counting and (target <= 0 or float(event.get("duration_s", 0.0)) >= target - 0.05):
                self._holds_done += 1
        if kind != "HoldProgress":  # progress ticks are in every frame message already
            self._log(event)
        return event

    # ---- a targets session ------------------------------------------------------------------
    def offer_latency(self, ms: Any) -> str | None:
        """The page's measured camera-to-screen latency (ms): None when taken (or dropped,
        more than two a second; ignored by sessions of other exercises), else why not."""
        if self.targets is None:
            return None
        return self.targets.offer_latency(ms, self._clock())

    def _targets_stored(self) -> Message:
        """What the store keeps of a targets session ({"targets": ...}), else {}."""
        return {} if self.targets is None else {"targets": self.targets.stored()}

    def _targets_finished(self, events: list[Message]) -> None:
        """Every target has its result: the session is done (an "AllSetsDone" in this frame's
        `events`, so the page says well done and ends it), and ends by itself soon after."""
        targets = self.targets
        if targets is None or not targets.done or self._flow.phase == "done":
            return
        self._flow.phase = "done"
        event = {
            "kind": "AllSetsDone",
            "t": round(self.now(), 3),
            "sets": 1,
            "done": len(targets.results),
            "targets": targets.block(),
        }
        self._log(event)
        events.append(event)
        if self._end_task is None and not self.ended:
            self._end_task = asyncio.create_task(self._end_when_done(), name=f"end-{self.id}")

    async def _end_when_done(self) -> None:
        """End a finished targets session the page did not end: the summary to the page (and
        followers), then the patient socket closes normally."""
        await asyncio.sleep(self._end_after_done_s)
        if self.ended:
            return
        outbox = self._patient
        if outbox is not None:
            await self.detach_patient(outbox)
        if self.ended:  # the page sent `end` meanwhile: it has its summary
            return
        self.end()
        if outbox is not None:
            outbox.put({"type": "summary", "summary": self.summary()})
            outbox.close(1000, "session ended")

    # ---- followers and messages ----------------------------------------------------------
    def add_follower(self, max_backlog: int = 500) -> Outbox:
        if len(self._followers) >= self._max_followers:
            raise SessionError(
                "too_many", f"This session already has {self._max_followers} followers."
            )
        last = self.last_message
        if last is not None and "landmarks" not in last and self._last_result is not None:
            # A device session's last frame went out without rows (no one was following).
            self.last_message = {**last, "landmarks": _rows(self._last_result)}
        outbox = Outbox(max_frames=8, max_backlog=max_backlog)
        self._followers.add(outbox)
        self._notify_patient_followers()
        return outbox

    def remove_follower(self, outbox: Outbox) -> None:
        if outbox in self._followers:
            self._followers.discard(outbox)
            self._notify_patient_followers()

    def close_followers(self, code: int, reason: str) -> None:
        for outbox in list(self._followers):
            outbox.close(code, reason)

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
            self.log_event("VideoSharing", enabled=enabled)
            self._broadcast({"type": "status", "video": enabled})

    def forward_video(self, data: bytes, max_fps: float = 10.0) -> None:
        """Pass a patient frame on to followers, if the patient shares video (rate-limited)."""
        if not (self._share_video and self._followers):
            return
        now = self._clock()
        if now - self._video_sent_at >= 1.0 / max_fps:
            self._video_sent_at = now
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
        event = self.log_event("TherapistMessage", text=clean)
        message = {"type": "therapist_message", "text": clean, "t": event["t"]}
        if self._patient is not None:
            self._patient.put(message)
        else:
            self._undelivered.append(message)
        self._broadcast({**message, "delivered": self._patient is not None})
        return event

    def client_problem(self, code: str, text: str) -> None:
        """The patient's page hit a problem the server cannot see (camera blocked, ...)."""
        self._client_problems += 1
        if self._client_problems > self._max_client_problems:
            return  # counted (stats), not logged: a page cannot fill the log
        code = re.sub(r"[^a-z0-9_]", "", code[:200].lower())[:40] or "client_error"
        text = " ".join(text[: MAX_MESSAGE_CHARS * 4].split())[:MAX_MESSAGE_CHARS]
        self.log_event("ClientProblem", code=code, message=text)
        self._broadcast({"type": "status", "patient": "problem", "code": code, "message": text})

    # ---- read-outs -----------------------------------------------------------------------
    def hello(self) -> Message:
        """What a page needs to draw and label the session (first message on any socket)."""
        return {
            "session_id": self.id,
            "follow_path": f"/follow/{self.id}",
            "exercise": self.info,
            "prescription": self.info["prescription"],
            "skeleton_edges": [[int(a), int(b)] for a, b in SKELETON_EDGES],
            "stage": self.shown_stage,
            "rest": self._flow.rest(self.now()),
            "rep_count": self.rep_count,
            "holds_completed": self.holds_done,
            "set": self.progress(),
            "connected": self.connected,
            "ended": self.ended,
            "followers": len(self._followers),
            "video": self._share_video,  # a follower who joins later must know it is on
            "restored": self.restored,
            "pose": self.pose,
            "signed_in": self.patient_id is not None,  # the page offers "Back to my program"
            **({} if self.targets is None else {"targets": self.targets.hello()}),
        }

    def _no_count_reason(self) -> str | None:
        """Why nothing was counted, for a session that counted nothing (else None). A targets
        session counts no reps: its summary's "targets" says what was done."""
        if self.rep_count or self.holds_done or self.targets is not None:
            return None
        if not any(e["kind"] == "SetupPassed" for e in self.events):
            why = self._setup_message or "I could not see you well enough"
            return f"Counting never started: {why.rstrip('.')}."
        what = "hold reached its target" if self.info["kind"] == "hold" else "rep was completed"
        return f"No {what} while I was counting."

    def stats(self) -> Message:
        latencies = list(self._latency_ms)
        p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
        return {
            "frames_received": self.frames_received,
            "frames_processed": self.frames_processed,
            "frames_dropped": self.frames_dropped,
            "frames_rejected": self.frames_rejected,
            "client_problems": self._client_problems,
            "server_ms_p50": None if p50 is None else round(p50, 1),
            "server_ms_p95": None if p95 is None else round(p95, 1),
        }

    def summary(self) -> Message:
        """The session so far, in the shape of `coach analyze --json` plus live fields."""
        of = self.events
        # The report's items (scoring.events) as logged: the first fields, not rounded.
        rep_fields = (*REP_REPORT[:8], "over_limit")  # past the range limit: said and kept
        reps = [report_item(e, rep_fields) for e in of if e["kind"] == "RepCompleted"]
        holds = [report_item(e, HOLD_REPORT) for e in of if e["kind"] == "HoldEnded"]
        faults = [report_item(e, FAULT_REPORT[:4]) for e in of if e["kind"] == "FaultDetected"]
        warnings = list(
            dict.fromkeys(
                e.get("message") or ""
                for e in of
                if e["kind"] in ("ViewWarning", "PersonWarning", "ClientProblem")
            )
        )
        if self.restored:
            warnings.append(
                "The server restarted during this session; reps before the restart are counted "
                "but their details were lost."
            )
        state = "ended" if self.ended else (self.shown_stage if self.connected else "disconnected")
        return json_safe(
            {
                "id": self.id,
                "exercise": self.info["id"],
                "exercise_name": self.info["name"],
                "state": state,
                "created_at": self.created_at.isoformat(timespec="seconds"),
                "duration_s": round(
                    (
                        self.now()
                        if self.connected or self.detached_at is None
                        else self.detached_at - self._t0
                    ),
                    2,
                ),
                "rep_count": self.rep_count,
                "holds_completed": self.holds_done,
                "set": self.progress(),
                "prescription": self.info["prescription"],
                "no_count_reason": self._no_count_reason(),
                "reps": reps,
                "holds": holds,
                "faults": faults,
                "warnings": [w for w in warnings if w],
                "messages": [
                    {"t_s": e["t"], "text": e["text"]}
                    for e in of
                    if e["kind"] == "TherapistMessage"
                ],
                "followers": len(self._followers),
                "events": len(of),
                "stats": self.stats(),
                **({} if self.targets is None else {"targets": self.targets.block()}),
            }
        )


def _rows(result: Any) -> Any:
    """A FrameResult's landmarks as the frame message's rows, JSON-safe."""
    rows = result.landmark_rows()
    finite = result.pose is None or bool(np.isfinite(result.pose.landmarks).all())
    return rows if finite else json_safe(rows)


def _default_landmark_processor(
    exercise: Exercise,
    reference: PersonalReference | None = None,
    limit_deg: float | None = None,
    schedule: list[TargetSpec] | None = None,
) -> LandmarkProcessor:
    from coach.pipeline import FrameProcessor, LandmarksOnly

    return FrameProcessor(
        exercise,
        LandmarksOnly(),
        require_setup=True,
        reference=reference,
        limit_deg=limit_deg,
        schedule=schedule,
    )


def _default_worker(fallback: bool) -> PipelineWorker:
    return PipelineWorker("thread" if fallback else "process")


def _error(code: str, message: str) -> Message:
    return {"type": "error", "code": code, "message": message, "fatal": False}
