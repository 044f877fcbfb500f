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
before the `prctl` call (`coach.processes.die_with_parent`).

`isolation="thread"` keeps everything in-process (MediaPipe releases the GIL while it
infers, so threads do run in parallel), for embedding and for processor factories that
cannot be pickled.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Literal, TypeVar

import numpy as np

from coach.live.readouts import json_safe
from coach.live.spec import PipelineSpec, Processor, ProcessorFactory, make_processor
from coach.processes import die_with_parent as _die_with_parent
from pose.types import Frame
from scoring.events import Event, to_json

log = logging.getLogger(__name__)

Message = dict[str, Any]
T = TypeVar("T")
Isolation = Literal["process", "thread"]
FrameDecoder = Callable[[bytes], np.ndarray]
"""Turns one client message into a BGR image, raising ValueError with a patient-readable
reason for anything that is not a usable image (see web/frames.py)."""
Processed = tuple[Message, list[int]] | str
"""A frame's message and image size [w, h], or why its bytes were refused (for the page)."""

__all__ = [
    "BrokenExecutor",
    "FrameDecoder",
    "Isolation",
    "PipelineWorker",
    "Processor",
    "ProcessorFactory",
    "WorkerPool",
]


def event_dict(event: Event | dict[str, Any]) -> Message:
    """An engine event (or a processor's own dict event) as JSON."""
    return to_json(event) if isinstance(event, Event) else json_safe(dict(event))


class _PipelineHost:
    """Decoder + processor for one session, living inside that session's worker."""

    def __init__(self, factory: ProcessorFactory, decode: FrameDecoder, spec: PipelineSpec):
        self._processor = make_processor(factory, spec)
        self._decode = decode
        self._index = 0

    def process(self, data: bytes, t: float) -> Processed:
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


# In a worker process: the one pipeline this process serves.
_HOST: _PipelineHost | None = None


def _warm_up() -> int:
    """Import the heavy modules ahead of time, so a session's start only loads the model."""
    import coach.pipeline  # noqa: F401  (mediapipe, cv2, numpy, the engine)

    return os.getpid()


def _host_start(factory: ProcessorFactory, decode: FrameDecoder, spec: PipelineSpec) -> int:
    global _HOST
    _HOST = _PipelineHost(factory, decode, spec)
    return os.getpid()


def _host_process(data: bytes, t: float) -> Processed:
    if _HOST is None:
        raise RuntimeError("this worker has no pipeline")
    return _HOST.process(data, t)


def _host_finish() -> list[Message]:
    global _HOST
    host, _HOST = _HOST, None
    return host.finish() if host is not None else []


class PipelineWorker:
    """One session's pipeline on one worker; calls are serial, in order (the model is not
    thread-safe).

    `submit`'s results and `finish` raise `BrokenExecutor` if a worker process died.
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

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def start(
        self, factory: ProcessorFactory, decode: FrameDecoder, spec: PipelineSpec
    ) -> None:
        """Create the processor `spec` asks for (loads the model: about a second) in the
        worker; a targets session's schedule goes with it (it is drawn once, in the server)."""
        if self.isolation == "process":
            self.pid = await self._call(_host_start, factory, decode, spec)
        else:
            self._host = await self._call(_PipelineHost, factory, decode, spec)

    def submit(self, data: bytes, t: float) -> asyncio.Future[Processed]:
        """Hand one frame to the worker now; its result, when awaited. Frames are processed
        in the order handed: one handed while the worker is busy waits in its queue, already
        sent across, so the model goes on to it the moment it is done with the one before.
        A worker that is dead or shut down answers with the error (`BrokenExecutor`...)."""
        loop = asyncio.get_running_loop()
        process = self._host.process if self._host is not None else _host_process
        try:
            return loop.run_in_executor(self._executor, process, data, t)
        except Exception as exc:  # the executor refuses at once: said when awaited, as ever
            refused: asyncio.Future[Processed] = loop.create_future()
            refused.set_exception(exc)
            return refused

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


class WorkerPool:
    """Workers for the sessions' pipelines. With processes it keeps one spare warmed up, so
    a patient waits for the model to load, not for Python and MediaPipe to import."""

    def __init__(self, isolation: Isolation = "process") -> None:
        self.isolation = isolation
        self._spare: PipelineWorker | None = None

    def take(self, fallback: bool = False) -> PipelineWorker:
        """A worker for one pipeline (and a new spare behind it).

        `fallback`: a worker process failed to start (typically a script embedding the server
        without an `if __name__ == "__main__":` guard, which the spawn start method needs):
        from then on sessions run in threads.
        """
        if fallback and self.isolation == "process":
            log.warning(
                "live sessions: worker processes cannot start; running pose models in threads "
                "(a script that starts the server needs an `if __name__ == '__main__':` guard)"
            )
            self.isolation = "thread"
            self.close()
        worker, self._spare = self._spare, None
        if worker is None or worker.closed or worker.isolation != self.isolation:
            worker = PipelineWorker(self.isolation)
        if self.isolation == "process":
            self._spare = PipelineWorker(self.isolation)
            self._spare.warm_up()
        return worker

    def warm_up(self) -> None:
        """Prepare the first worker at server start, so the first patient does not wait."""
        if self.isolation == "process" and self._spare is None:
            self._spare = PipelineWorker(self.isolation)
            self._spare.warm_up()

    def close(self) -> None:
        """Stop the spare (server shutdown)."""
        if self._spare is not None:
            self._spare.shutdown(kill=True)
            self._spare = None
