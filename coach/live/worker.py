"""Where a session's pose pipeline runs: its own process (default) or its own thread.

A frame costs the model 20-50 ms of CPU, so it must never run on the event loop. By default
each session gets a worker process: a crash in native code (MediaPipe, OpenCV) ends one
worker, not the server and every other patient's session; all of the model's memory goes
back when the patient leaves; and the pipeline's pure-Python parts (filter, engine: ~2 ms a
frame) never compete with the event loop for the GIL (on the benchmark, p95 server latency
52 ms with processes vs 65 ms with threads, one session). The process starts with the
`spawn` method (forking a server that runs threads is unsafe); the registry keeps one spare
warmed up so a patient waits only for the model to load.

A worker process must not outlive the server (a `kill -9`, an OOM kill): each one asks Linux
to SIGKILL it when its parent goes (`prctl(PR_SET_PDEATHSIG)`), and a watchdog thread ends it
within a second once the parent is gone on any platform, which also covers a parent that died
before the `prctl` call (see `_die_with_parent`).

`isolation="thread"` keeps everything in-process (MediaPipe releases the GIL while it
infers, so threads do run in parallel), for embedding and for processor factories that
cannot be pickled.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from coach.live.readouts import json_safe
from pose.types import Frame
from scoring.events import Event, to_json

if TYPE_CHECKING:
    from exercises import Exercise
    from scoring.reference import PersonalReference
    from scoring.targets import TargetSpec

Message = dict[str, Any]
Isolation = Literal["process", "thread"]
FrameDecoder = Callable[[bytes], np.ndarray]
"""Turns one client message into a BGR image, raising ValueError with a patient-readable
reason for anything that is not a usable image (see web/frames.py)."""

__all__ = ["BrokenExecutor", "FrameDecoder", "Isolation", "PipelineWorker", "Processor"]


class Processor(Protocol):
    """What a session needs from coach.pipeline.FrameProcessor."""

    def process(self, frame: Frame) -> Any: ...

    def finish(self) -> list[Any]: ...

    def close(self) -> None: ...


ProcessorFactory = Callable[["Exercise", "PersonalReference | None", "float | None"], Processor]
"""Makes a session's processor: factory(exercise, reference, limit_deg), the reference being the
session's patient's personal reference for the exercise (scoring.reference), or None, and
limit_deg their prescribed range limit in degrees (coach.prescription), or None. A hand-eye
targets session also passes `schedule=` (its targets, scoring.targets.make_schedule): only
factories that make processors for targets tasks need to take it."""


def make_processor(
    factory: Callable[..., Any],
    exercise: Exercise,
    reference: PersonalReference | None,
    limit_deg: float | None,
    schedule: list[TargetSpec] | None,
) -> Any:
    """factory(exercise, reference, limit_deg), with `schedule=` only for a targets session
    (so the factories of exercises keep their three arguments)."""
    if schedule is None:
        return factory(exercise, reference, limit_deg)
    return factory(exercise, reference, limit_deg, schedule=schedule)


def event_dict(event: Any) -> Message:
    """An engine event (or a processor's own dict event) as JSON."""
    return to_json(event) if isinstance(event, Event) else json_safe(dict(event))


class _PipelineHost:
    """Decoder + processor for one session, living inside that session's worker."""

    def __init__(
        self,
        factory: ProcessorFactory,
        exercise: Exercise,
        decode: FrameDecoder,
        reference: PersonalReference | None = None,
        limit_deg: float | None = None,
        schedule: list[TargetSpec] | None = None,
    ):
        self._processor = make_processor(factory, exercise, reference, limit_deg, schedule)
        self._decode = decode
        self._index = 0

    def process(self, data: bytes, t: float) -> tuple[Message, list[int]] | str:
        """The frame message and image size, or a str saying why the bytes were refused."""
        try:
            image = self._decode(data)
        except ValueError as exc:
            return str(exc)
        frame = Frame(image=image, t=t, index=self._index)
        self._index += 1
        result = self._processor.process(frame)
        h, w = image.shape[:2]
        return json_safe(result.to_message()), [w, h]

    def finish(self) -> list[Message]:
        """Close open holds/reps and free the model."""
        try:
            return [event_dict(e) for e in self._processor.finish()]
        finally:
            self._processor.close()


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_CHECK_S = 1.0


def _parent_gone(parent_pid: int) -> bool:
    """True once the process that started this worker has died. POSIX re-parents an orphan
    (its parent pid changes); Windows does not, so there the parent's handle is asked."""
    if os.getppid() != parent_pid:
        return True
    parent = multiprocessing.parent_process()
    return sys.platform == "win32" and parent is not None and not parent.is_alive()


def _watch_parent(parent_pid: int) -> None:
    while not _parent_gone(parent_pid):
        time.sleep(PARENT_CHECK_S)
    os._exit(1)  # the server is gone: nobody will ever send this worker another frame


def _die_with_parent(parent_pid: int) -> None:
    """Worker initializer: end this process when the server dies, however it dies.

    On Linux the kernel SIGKILLs the worker when the thread that started it ends (the
    server's event loop thread, which lives as long as the server). Everywhere, a daemon
    thread polls for the parent; checking once right after `prctl` closes the race of a
    parent killed before the call.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)  # this process: libc is loaded
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no usable libc: the watchdog below still ends the worker
    if _parent_gone(parent_pid):
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="coach-parent-watch", daemon=True
    ).start()


# In a worker process: the one pipeline this process serves.
_HOST: _PipelineHost | None = None


def _warm_up() -> int:
    """Import the heavy modules ahead of time, so a session's start only loads the model."""
    import coach.pipeline  # noqa: F401  (mediapipe, cv2, numpy, the engine)

    return os.getpid()


def _host_start(
    factory: ProcessorFactory,
    exercise: Exercise,
    decode: FrameDecoder,
    reference: PersonalReference | None = None,
    limit_deg: float | None = None,
    schedule: list[TargetSpec] | None = None,
) -> int:
    global _HOST
    _HOST = _PipelineHost(factory, exercise, decode, reference, limit_deg, schedule)
    return os.getpid()


def _host_process(data: bytes, t: float) -> tuple[Message, list[int]] | str:
    if _HOST is None:
        raise RuntimeError("this worker has no pipeline")
    return _HOST.process(data, t)


def _host_finish() -> list[Message]:
    global _HOST
    host, _HOST = _HOST, None
    return host.finish() if host is not None else []


class PipelineWorker:
    """One session's pipeline on one worker; calls are serial (the model is not thread-safe).

    `process` and `finish` raise `BrokenExecutor` if a worker process died.
    """

    def __init__(self, isolation: Isolation = "process", name: str = "live") -> None:
        if isolation not in ("process", "thread"):
            raise ValueError(f"isolation must be 'process' or 'thread', got {isolation!r}")
        self.isolation = isolation
        self._executor: Executor
        if isolation == "process":
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=context,
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
            )
        else:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._host: _PipelineHost | None = None
        self.closed = False
        self.pid: int | None = None  # the worker process, once started

    def warm_up(self) -> None:
        """Start the worker process now and import the pipeline in it (fire and forget)."""
        if self.isolation == "process" and not self.closed:
            self._executor.submit(_warm_up)

    async def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def start(
        self,
        factory: ProcessorFactory,
        exercise: Exercise,
        decode: FrameDecoder,
        reference: PersonalReference | None = None,
        limit_deg: float | None = None,
        schedule: list[TargetSpec] | None = None,
    ) -> None:
        """Create the processor (loads the model: about a second) in the worker; a targets
        session's `schedule` goes with it (it is drawn once, in the server)."""
        args = (factory, exercise, decode, reference, limit_deg, schedule)
        if self.isolation == "process":
            self.pid = await self._call(_host_start, *args)
        else:
            self._host = await self._call(_PipelineHost, *args)

    async def process(self, data: bytes, t: float) -> tuple[Message, list[int]] | str:
        if self._host is not None:
            return await self._call(self._host.process, data, t)
        return await self._call(_host_process, data, t)

    async def finish(self) -> list[Message]:
        """End of the stream: the last events, then the worker is shut down."""
        try:
            if self._host is not None:
                return await self._call(self._host.finish)
            return await self._call(_host_finish)
        finally:
            self.shutdown()

    def shutdown(self, *, kill: bool = False) -> None:
        """Stop the worker without waiting; `kill` also terminates a stuck worker process."""
        if self.closed:
            return
        self.closed = True
        processes = list(getattr(self._executor, "_processes", {}).values()) if kill else []
        self._executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
