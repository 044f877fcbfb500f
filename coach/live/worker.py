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

Inside the worker the pipeline runs in stages (coach.live.stages): the model on a thread of
its own, the next JPEG decoded and the last frame scored meanwhile. A worker process sends
each frame's result back on a pipe of its own (read by a thread here) the moment it is
scored, not as the answer to the call that handed the frame in: the process takes the next
frame while the last is scored.

`isolation="thread"` keeps everything in-process (MediaPipe releases the GIL while it
infers, so threads do run in parallel), for embedding and for processor factories that
cannot be pickled.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import (
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import Any, Literal, TypeVar

from coach.live.readouts import json_safe
from coach.live.spec import PipelineSpec, Processor, ProcessorFactory, make_processor
from coach.live.stages import Deliver, FrameDecoder, Outcome, Processed, StagedPipeline
from coach.processes import die_with_parent as _die_with_parent
from scoring.events import Event, to_json

log = logging.getLogger(__name__)

Message = dict[str, Any]
T = TypeVar("T")
Isolation = Literal["process", "thread"]

__all__ = [
    "BrokenExecutor",
    "FrameDecoder",
    "Isolation",
    "PipelineWorker",
    "Processed",
    "Processor",
    "ProcessorFactory",
    "WorkerPool",
]


def event_dict(event: Event | dict[str, Any]) -> Message:
    """An engine event (or a processor's own dict event) as JSON."""
    return to_json(event) if isinstance(event, Event) else json_safe(dict(event))


# In a worker process: the one pipeline this process serves, and where its results go.
_HOST: StagedPipeline | None = None
_RESULTS: Connection | None = None


def _worker_init(parent_pid: int, results: Connection) -> None:
    """A worker process's start: it dies with the server, and sends results on `results`."""
    global _RESULTS
    _die_with_parent(parent_pid)
    _RESULTS = results


def _warm_up() -> int:
    """Import the heavy modules ahead of time, so a session's start only loads the model."""
    import coach.pipeline  # noqa: F401  (mediapipe, cv2, numpy, the engine)

    return os.getpid()


def _send(token: int, outcome: Outcome) -> None:
    """On the worker process's scoring thread: one frame's outcome to the server."""
    assert _RESULTS is not None
    try:
        _RESULTS.send((token, outcome))
    except (pickle.PicklingError, TypeError, AttributeError):  # an error that cannot cross
        _RESULTS.send((token, RuntimeError(str(outcome))))


def _host_start(factory: ProcessorFactory, decode: FrameDecoder, spec: PipelineSpec) -> int:
    global _HOST
    _HOST = _staged(factory, decode, spec, _send)
    return os.getpid()


def _staged(
    factory: ProcessorFactory, decode: FrameDecoder, spec: PipelineSpec, deliver: Deliver
) -> StagedPipeline:
    return StagedPipeline(make_processor(factory, spec), decode, deliver)


def _host_take(token: int, data: bytes, t: float) -> None:
    if _HOST is None:
        raise RuntimeError("this worker has no pipeline")
    _HOST.take(token, data, t)


def _host_finish() -> list[Message]:
    global _HOST
    host, _HOST = _HOST, None
    return _finished(host)


def _finished(host: StagedPipeline | None) -> list[Message]:
    """Close open holds/reps and free the model."""
    return [event_dict(e) for e in host.finish()] if host is not None else []


class PipelineWorker:
    """One session's pipeline on one worker (coach.live.stages: its model on a thread of its
    own); frames are processed and answered in the order handed (the model is not
    thread-safe).

    A worker process sends each frame's result back on a pipe of its own as soon as it is
    scored, while it works on the next; its end of the pipe closing is its death.
    `submit`'s results and `finish` raise `BrokenExecutor` if a worker process died.
    """

    def __init__(self, isolation: Isolation = "process", name: str = "live") -> None:
        if isolation not in ("process", "thread"):
            raise ValueError(f"isolation must be 'process' or 'thread', got {isolation!r}")
        self.isolation = isolation
        self._name = name
        self._executor: Executor
        self._results: Connection | None = None  # a worker process's results, read here
        self._child_end: Connection | None = None  # ours until the process has its own
        if isolation == "process":
            context = multiprocessing.get_context("spawn")
            self._results, self._child_end = context.Pipe(duplex=False)
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=context,
                initializer=_worker_init,
                initargs=(os.getpid(), self._child_end),
            )
        else:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._host: StagedPipeline | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[int, asyncio.Future[Processed]] = {}
        self._tokens = itertools.count()
        self.closed = False
        self.pid: int | None = None  # the worker process, once started

    def warm_up(self) -> None:
        """Start the worker process now and import the pipeline in it (fire and forget)."""
        if self.isolation == "process" and not self.closed:
            self._submit(_warm_up)

    def _submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        try:
            return self._executor.submit(fn, *args)
        finally:
            self._spawned()

    def _spawned(self) -> None:
        """The worker process started (at the first call) with its end of the results pipe:
        ours is closed, so the pipe ends when the process does, and the results are read."""
        child_end, self._child_end = self._child_end, None
        if child_end is None:
            return
        child_end.close()
        listener = threading.Thread(target=self._listen, name=f"{self._name}-results")
        listener.daemon = True
        listener.start()

    def _listen(self) -> None:
        """A thread of the server's: each frame's outcome as the worker process sends it,
        until the process ends; the frames it took with it fail as `BrokenProcessPool`."""
        assert self._results is not None
        try:
            while True:
                token, outcome = self._results.recv()
                self._settle(token, outcome)
        except (EOFError, OSError):
            pass
        except Exception:
            log.exception("reading a pose worker's results failed")
        self._results.close()
        self._settle(None, BrokenProcessPool("the pose worker process ended"))

    def _settle(self, token: int | None, outcome: Outcome | None) -> None:
        """From any thread: frame `token`'s outcome (None: every frame still awaited fails
        with `outcome`; None outcome: it was cancelled), on the event loop."""
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody awaits it
            loop.call_soon_threadsafe(self._resolve, token, outcome)

    def _resolve(self, token: int | None, outcome: Outcome | None) -> None:
        if token is None:
            futures = list(self._pending.values())
            self._pending.clear()
        else:
            futures = [f] if (f := self._pending.pop(token, None)) is not None else []
        for future in futures:
            if future.done():
                continue
            if outcome is None:
                future.cancel()
            elif isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        self._loop = asyncio.get_running_loop()
        return await asyncio.wrap_future(self._submit(fn, *args))

    async def start(
        self, factory: ProcessorFactory, decode: FrameDecoder, spec: PipelineSpec
    ) -> None:
        """Create the processor `spec` asks for (loads the model: about a second) in the
        worker; a targets session's schedule goes with it (it is drawn once, in the server)."""
        if self.isolation == "process":
            self.pid = await self._call(_host_start, factory, decode, spec)
        else:
            self._host = await self._call(_staged, factory, decode, spec, self._settle)

    def submit(self, data: bytes, t: float) -> asyncio.Future[Processed]:
        """Hand one frame to the worker now; its result, when awaited. Frames are processed
        in the order handed: the worker decodes one while its model works on the one before
        and the one before that is scored, so the model goes from frame to frame. A worker
        that is dead or shut down answers with the error (`BrokenExecutor`...)."""
        self._loop = loop = asyncio.get_running_loop()
        token = next(self._tokens)
        result: asyncio.Future[Processed] = loop.create_future()
        self._pending[token] = result
        take = self._host.take if self._host is not None else _host_take
        try:
            handed = self._submit(take, token, data, t)
        except Exception as exc:  # the executor refuses at once: said when awaited, as ever
            del self._pending[token]
            result.set_exception(exc)
            return result
        handed.add_done_callback(functools.partial(self._handed, token))
        return result

    def _handed(self, token: int, handed: Future[None]) -> None:
        """The frame could not be handed in (the worker died, was shut down): its error."""
        if handed.cancelled():
            self._settle(token, None)
        elif (exc := handed.exception()) is not None:
            self._settle(token, exc if isinstance(exc, Exception) else RuntimeError(str(exc)))

    async def finish(self) -> list[Message]:
        """End of the stream: the last events, then the worker is shut down."""
        try:
            if self.isolation == "thread":
                host, self._host = self._host, None
                return await self._call(_finished, host)
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
        if self._host is not None:
            self._host.stop()
            self._host = None
        if self._child_end is not None:  # no process ever started
            self._child_end.close()
            self._child_end = None
            if self._results is not None:
                self._results.close()
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
