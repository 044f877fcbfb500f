"""A live connection's frame path: how the patient's frames become frame messages.

- `ServerFrames` (`pose=server`): JPEGs go to the session's worker (coach.live.worker) as
  they come, in order, at most two at once: the model works on one while the next is decoded
  and waits for it (coach.live.stages), so it never idles while a result is scored and sent
  and the page's next frame comes in (one frame of latency more, only when the camera
  outruns the model). One that arrives while the worker holds two waits here in a single
  slot and is replaced, with a "dropped" reply, by the next; one that waited there longer
  than `max_age_s` is dropped as stale. A worker that dies is replaced and the count kept.
- `DeviceFrames` (`pose=device`): the page runs the model and sends landmarks; the filter and
  engine run here on the event loop (well under a millisecond a frame), with no queue.

Both are a `FramePath`: started when the patient connects, stopped when they leave. Each
processed frame goes to the `FrameOwner` (the session) to be counted and sent out; a frame
that cannot be processed gets its reply (`dropped`, `error`) from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from coach.live.landmarks import LandmarkMessage
from coach.live.protocol import (
    DEVICE,
    SERVER,
    Dropped,
    ErrorReply,
    Message,
    PoseMode,
    SessionError,
    Stats,
    error_reply,
)
from coach.live.readouts import json_safe, percentile
from coach.live.spec import (
    FrameOutput,
    LandmarkProcessor,
    LandmarkProcessorFactory,
    PipelineSpec,
    ProcessorFactory,
    make_processor,
)
from coach.live.worker import (
    BrokenExecutor,
    FrameDecoder,
    PipelineWorker,
    Processed,
    event_dict,
)
from coach.sinks import frame_landmarks
from pose.types import Pose
from scoring.words import say

log = logging.getLogger(__name__)

Rows = Sequence[Sequence[float | None]] | None
"""A frame message's `landmarks`: 33 [x, y, visibility, z] rows (null: not finite), or None."""


class FrameStats:
    """A session's frame counts and server latency, across its connections."""

    def __init__(self) -> None:
        self.received = 0
        self.processed = 0
        self.dropped = 0
        self.rejected = 0
        self.latency_ms: deque[float] = deque(maxlen=2000)
        self.last_seq = 0  # the session's numbering of the JPEGs it receives

    def took(self, server_ms: float) -> None:
        """A frame was processed in `server_ms`."""
        self.latency_ms.append(server_ms)
        self.processed += 1

    def as_stats(self, client_problems: int) -> Stats:
        latencies = list(self.latency_ms)
        p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
        return {
            "frames_received": self.received,
            "frames_processed": self.processed,
            "frames_dropped": self.dropped,
            "frames_rejected": self.rejected,
            "client_problems": client_problems,
            "server_ms_p50": None if p50 is None else round(p50, 1),
            "server_ms_p95": None if p95 is None else round(p95, 1),
        }


@dataclass
class ProcessedFrame:
    """One frame through the pipeline, before the session completes its message."""

    message: Message  # the engine's frame message (coach.pipeline.FrameResult.to_message)
    seq: int
    server_ms: float
    image: list[int]  # [width, height]
    landmarks: np.ndarray | None  # (33, 4) x, y, z, visibility for the sinks; None: no person
    rows: Callable[[], Rows] | None = None  # a device frame's rows, for followers who join later
    raw: np.ndarray | None = None  # a device frame's pose as the page's model gave it (unfiltered)


class FrameOwner(Protocol):
    """What a frame path needs of its session."""

    @property
    def id(self) -> str: ...

    @property
    def followed(self) -> bool:
        """Someone follows the session (a device frame's message then carries its rows)."""
        ...

    def now(self) -> float: ...

    def reply(self, message: ErrorReply | Dropped) -> None:
        """To the patient's page, while it is connected."""
        ...

    def publish(self, frame: ProcessedFrame) -> None:
        """Count, log and send one processed frame."""
        ...

    def pipeline_spec(self) -> PipelineSpec:
        """What a new pipeline is made for, now."""
        ...

    def pipeline_lost(self) -> None:
        """The worker died: the count carries over to the new one about to start."""
        ...

    def pipeline_failed(self, error: SessionError) -> None:
        """No pipeline could start again: the patient is told, and their socket closed."""
        ...


class FramePath(Protocol):
    """One connection's frames: `start` (before the patient is connected), `run` (once they
    are), the offers, then `halt` (take no more) and `finish` (the pipeline's last events)."""

    @property
    def mode(self) -> PoseMode: ...

    @property
    def alive(self) -> bool:
        """A pose pipeline is allocated."""
        ...

    @property
    def pid(self) -> int | None:
        """The worker process running the model (None: none, or a thread)."""
        ...

    @property
    def last_landmark_t(self) -> float | None:
        """The page's `t` of the last landmark message (for the next one's check)."""
        ...

    async def start(self) -> None: ...

    def run(self) -> None: ...

    def offer_frame(self, seq: int, data: bytes) -> None: ...

    def offer_landmarks(self, msg: LandmarkMessage) -> None: ...

    async def halt(self) -> None: ...

    async def finish(self) -> list[Message] | None:
        """The pipeline's last events (open holds closed), and it is freed; None: there was
        no pipeline any more."""
        ...


def dropped(seq: int, reason: str) -> Dropped:
    return {"type": "dropped", "seq": seq, "reason": reason}


def frame_error(seq: int | None, code: str, text: str) -> ErrorReply:
    reply = error_reply(code, text)
    reply["seq"] = seq
    return reply


def processing_failed(seq: int, exc: Exception) -> ErrorReply:
    """The model or engine failed on this frame only."""
    return frame_error(seq, "processing_failed", say("This frame failed: {error}", error=str(exc)))


IN_WORKER = 2
"""Frames handed to a session's worker at once: the one the model is on and the next, decoded
behind it, so the model goes straight on while a result is scored, sent and answered by the
page's next frame (the page keeps two frames on their way; docs/LIVE-PROTOCOL.md)."""


@dataclass
class _PendingFrame:
    data: bytes
    seq: int
    received: float  # monotonic


@dataclass
class _Handed:
    """A frame in the worker's hands, and its result to come."""

    item: _PendingFrame
    result: asyncio.Future[Processed]


class ServerFrames:
    """JPEGs through the session's worker, in order, at most `IN_WORKER` at once (see the
    module)."""

    def __init__(
        self,
        owner: FrameOwner,
        stats: FrameStats,
        *,
        factory: ProcessorFactory,
        decode: FrameDecoder,
        new_worker: Callable[[bool], PipelineWorker],
        clock: Callable[[], float],
        max_age_s: float,
    ) -> None:
        self._owner = owner
        self._stats = stats
        self._factory = factory
        self._decode = decode
        self._new_worker = new_worker
        self._clock = clock
        self._max_age = max_age_s
        self._worker: PipelineWorker | None = None
        self._waiting: deque[_PendingFrame] = deque()  # not handed yet: one, the newest
        self._handed: deque[_Handed] = deque()  # in the worker's hands, oldest first
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def mode(self) -> PoseMode:
        return SERVER

    @property
    def alive(self) -> bool:
        return self._worker is not None

    @property
    def pid(self) -> int | None:
        return self._worker.pid if self._worker is not None else None

    @property
    def last_landmark_t(self) -> float | None:
        return None

    async def start(self) -> None:
        """Start a worker and load the model in it (off the event loop)."""
        self._worker = await self._start_worker()

    def run(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"live-{self._owner.id}")

    def offer_frame(self, seq: int, data: bytes) -> None:
        """To the worker at once while it holds fewer than `IN_WORKER`; else it waits, and
        never more than one waits: a waiting frame is replaced by a newer one and answered
        with a "dropped" reply, so the page's loop never stalls."""
        while self._waiting:
            self._drop(self._waiting.popleft().seq, "superseded")
        self._waiting.append(_PendingFrame(data, seq, self._clock()))
        self._hand_over()
        self._wake.set()

    def offer_landmarks(self, msg: LandmarkMessage) -> None:
        self._owner.reply(expects_jpegs(msg.seq))

    async def halt(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # The frame the model is on is lost with the connection, as ever; those behind it and
        # the one waiting were never begun: dropped.
        self._stats.dropped += len(self._waiting) + max(0, len(self._handed) - 1)
        self._waiting.clear()
        while self._handed:
            _forget(self._handed.popleft().result)

    async def finish(self) -> list[Message] | None:
        worker, self._worker = self._worker, None
        if worker is None:
            return None
        try:
            return await worker.finish()
        except Exception:
            log.exception("session %s: finishing the pipeline failed", self._owner.id)
            worker.shutdown(kill=True)
            return []

    def _drop(self, seq: int, reason: str) -> None:
        self._stats.dropped += 1
        self._owner.reply(dropped(seq, reason))

    def _hand_over(self) -> None:
        """Waiting frames to the worker, oldest first, while it holds fewer than `IN_WORKER`
        (not while it is being replaced, nor before `run` or after `halt`); one that waited
        longer than `max_age_s` is dropped as stale."""
        worker = self._worker
        if worker is None or self._task is None:
            return
        while self._waiting and len(self._handed) < IN_WORKER:
            item = self._waiting.popleft()
            if self._clock() - item.received > self._max_age:
                self._drop(item.seq, "stale")
                continue
            self._handed.append(_Handed(item, worker.submit(item.data, self._owner.now())))

    async def _start_worker(self) -> PipelineWorker:
        spec = self._owner.pipeline_spec()
        worker = self._new_worker(False)
        try:
            await worker.start(self._factory, self._decode, spec)
        except BrokenExecutor:
            # The worker process could not even start: run in a thread rather than not at all.
            worker.shutdown(kill=True)
            worker = self._new_worker(True)
            try:
                await worker.start(self._factory, self._decode, spec)
            except Exception as exc:
                raise self._start_failed(worker, exc) from exc
        except Exception as exc:
            raise self._start_failed(worker, exc) from exc
        return worker

    def _start_failed(self, worker: PipelineWorker, exc: Exception) -> SessionError:
        worker.shutdown(kill=True)
        log.error("session %s: cannot start the pose pipeline", self._owner.id, exc_info=exc)
        return SessionError(
            "pipeline_failed",
            say("The coach could not start its pose model: {error}", error=str(exc)),
        )

    async def _restart(self) -> bool:
        """The worker died (native crash, killed): start a new one, keep the count."""
        old, self._worker = self._worker, None
        if old is not None:
            old.shutdown(kill=True)
        self._owner.pipeline_lost()
        try:
            self._worker = await self._start_worker()
        except SessionError as exc:
            self._owner.pipeline_failed(exc)
            return False
        return True

    async def _loop(self) -> None:
        """The results in the order the frames were handed over, each answered in turn."""
        while True:
            self._hand_over()
            if not self._handed:
                self._wake.clear()
                await self._wake.wait()
                continue
            head = self._handed[0]
            try:
                # Shielded: a frame handed over is processed even if the page leaves meanwhile.
                result: Processed | Exception = await asyncio.shield(head.result)
            except asyncio.CancelledError:
                raise
            except BrokenExecutor:
                self._handed.popleft()
                if not await self._replace_worker(head.item.seq):
                    return
                continue
            except Exception as exc:  # the model or engine failed on this frame only
                result = exc
            self._handed.popleft()
            self._hand_over()  # the worker has the next frame before this one is sent
            self._answer(head.item, result)

    async def _replace_worker(self, seq: int) -> bool:
        """The worker died on frame `seq`: a new one (False: none could start). The frames
        handed after `seq` died with it: they go to the new one (unless stale by then)."""
        log.error("session %s: the pose worker died; starting a new one", self._owner.id)
        while self._handed:
            lost = self._handed.pop()
            _forget(lost.result)
            self._waiting.appendleft(lost.item)
        if not await self._restart():
            return False
        # Answered once the new model is ready, so the page's next frame is fresh.
        self._owner.reply(frame_error(seq, "pipeline_restarted", RESTARTED))
        return True

    def _answer(self, item: _PendingFrame, result: Processed | Exception) -> None:
        """One frame's result to the session (or its error to the page)."""
        seq = item.seq
        if isinstance(result, Exception):
            log.error(
                "session %s: processing frame %d failed", self._owner.id, seq, exc_info=result
            )
            self._owner.reply(processing_failed(seq, result))
            return
        if isinstance(result, str):
            self._stats.rejected += 1
            self._owner.reply(frame_error(seq, "bad_frame", result))
            return
        message, size = result
        server_ms = (self._clock() - item.received) * 1000.0
        self._stats.took(server_ms)
        self._owner.publish(ProcessedFrame(message, seq, server_ms, size, frame_landmarks(message)))


def _forget(result: asyncio.Future[Processed]) -> None:
    """A handed frame's result that no one will read: its error, if any, is taken when it
    comes (no "exception was never retrieved" in the log)."""
    result.add_done_callback(lambda done: done.cancelled() or done.exception())


RESTARTED = say(
    "The coach's pose model stopped unexpectedly and was restarted; your count is kept."
    " Stand still for a moment."
)


def expects_jpegs(seq: int | None) -> ErrorReply:
    """The reply to a landmark message on a connection that takes none."""
    return frame_error(seq, "bad_landmarks", say("This session expects JPEG frames."))


class DeviceFrames:
    """Landmark messages from a page that runs the pose model (see the module)."""

    def __init__(
        self,
        owner: FrameOwner,
        stats: FrameStats,
        *,
        factory: LandmarkProcessorFactory,
        clock: Callable[[], float],
    ) -> None:
        self._owner = owner
        self._stats = stats
        self._factory = factory
        self._clock = clock
        self._processor: LandmarkProcessor | None = None
        self._t0: tuple[float, float] | None = None  # (page t, session t) at the start
        self._last_t: float | None = None

    @property
    def mode(self) -> PoseMode:
        return DEVICE

    @property
    def alive(self) -> bool:
        return self._processor is not None

    @property
    def pid(self) -> int | None:
        return None

    @property
    def last_landmark_t(self) -> float | None:
        return self._last_t

    async def start(self) -> None:
        """The filter and engine for the page's landmarks (no model, no worker)."""
        self._processor = make_processor(self._factory, self._owner.pipeline_spec())

    def run(self) -> None:
        pass  # nothing to wait for: each message is processed as it comes

    def offer_frame(self, seq: int, data: bytes) -> None:
        self._stats.dropped += 1  # a page that runs the model sends no images (never sent)

    def offer_landmarks(self, msg: LandmarkMessage) -> None:
        """Filter + engine, here and now (no queue: it costs well under a millisecond), then
        the same `frame` reply and sinks as a JPEG's. Replies carry the page's own `seq`."""
        processor = self._processor
        if processor is None:
            self._owner.reply(expects_jpegs(msg.seq))
            return
        started = self._clock()
        if self._t0 is None:
            self._t0 = (msg.t, self._owner.now())
        self._last_t = msg.t
        page_t0, session_t0 = self._t0
        t = session_t0 + (msg.t - page_t0)  # the page's capture clock, in session time
        pose = None if msg.landmarks is None else Pose(msg.landmarks, t, msg.image)
        try:
            result = processor.process_pose(t, pose, msg.image)
            message = json_safe(result.to_message(landmarks=False))
            # The page has its landmarks; only followers need them as rows (those who
            # follow later get the last frame's from the session).
            if self._owner.followed:
                message["landmarks"] = _rows(result)
            pose_out = result.pose
        except Exception as exc:  # the engine failed on this frame only
            log.exception("session %s: landmark message %d failed", self._owner.id, msg.seq)
            self._owner.reply(processing_failed(msg.seq, exc))
            return
        server_ms = (self._clock() - started) * 1000.0
        self._stats.took(server_ms)
        landmarks = None if pose_out is None else pose_out.landmarks
        size = [msg.image[0], msg.image[1]]
        self._owner.publish(
            ProcessedFrame(
                message, msg.seq, server_ms, size, landmarks, lambda: _rows(result), msg.landmarks
            )
        )

    async def halt(self) -> None:
        pass  # no queue, no loop

    async def finish(self) -> list[Message] | None:
        processor, self._processor = self._processor, None
        if processor is None:
            return None
        try:
            return [event_dict(e) for e in processor.finish()]
        except Exception:
            log.exception("session %s: finishing the pipeline failed", self._owner.id)
            return []


def _rows(result: FrameOutput) -> Rows:
    """A processed frame's landmarks as the frame message's rows, JSON-safe."""
    rows = result.landmark_rows()
    finite = result.pose is None or bool(np.isfinite(result.pose.landmarks).all())
    return rows if finite else json_safe(rows)
