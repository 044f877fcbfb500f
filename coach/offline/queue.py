"""The upload task queue of a cluster: Dramatiq with Redis as its broker.

The web process sends one message per upload (`UploadQueue.send`); any `coach worker`
(coach/cli/worker.py) takes it and runs `coach.offline.jobs.run_job`. Delivery is at least
once: a worker acknowledges a message only after the job's status is stored, and the messages
of a worker that stops sending heartbeats for `COACH_WORKER_LEASE_S` seconds (killed, machine
lost) are handed to another worker, which runs the job again; `run_job`'s writes are
idempotent, so the job still stores one session. Progress is in the database, so every
instance shows it.

Why Dramatiq (docs/DEPLOY.md): messages are acknowledged after the work by default and a dead
worker's unacknowledged messages are re-queued by the others (Celery needs acks_late,
reject_on_worker_lost and a visibility timeout set right; arq runs async code, and the
analysis is blocking CPU work); it is small, maintained, and its Redis broker needs nothing
else.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from coach.processes import die_with_parent

log = logging.getLogger(__name__)

QUEUE = "coach-uploads"
ACTOR = "analyse_upload"
NAMESPACE = "coach"


def lease_s() -> float:
    """`COACH_WORKER_LEASE_S`: a worker silent this long is taken for dead and its job given
    to another (60 s). Shorter re-runs a killed worker's job sooner; it must stay well above a
    heartbeat's interval (about a second)."""
    try:
        return max(2.0, float(os.environ.get("COACH_WORKER_LEASE_S", "60")))
    except ValueError:
        return 60.0


def make_broker(url: str) -> Any:
    """A Dramatiq Redis broker: 2 h per job at most, up to 3 retries of a job that raised."""
    from coach.store.cluster import require

    RedisBroker = require("dramatiq.brokers.redis").RedisBroker  # noqa: N806
    from dramatiq.middleware import Retries, TimeLimit

    middleware = [
        TimeLimit(time_limit=2 * 3600 * 1000),
        Retries(max_retries=3, min_backoff=5000, max_backoff=60000),
    ]
    return RedisBroker(
        url=url,
        namespace=NAMESPACE,
        middleware=middleware,
        heartbeat_timeout=int(lease_s() * 1000),
        # Re-queueing a dead worker's messages happens in this share of broker calls
        # (out of a million): idle workers poll about once a second, so within ~10 s.
        maintenance_chance=100_000,
    )


def declare(broker: Any, handler: Callable[[str], object]) -> Any:
    """The upload actor on `broker`, running `handler(job_id)`."""
    import dramatiq

    def analyse_upload(job_id: str) -> None:
        handler(job_id)

    return dramatiq.actor(broker=broker, actor_name=ACTOR, queue_name=QUEUE)(analyse_upload)


class UploadQueue:
    """The web process's side: sends a job to the workers (nothing runs here)."""

    def __init__(self, url: str) -> None:
        self.broker = make_broker(url)
        self._actor = declare(self.broker, lambda _job_id: None)

    def send(self, job_id: str) -> None:
        self._actor.send(job_id)

    def close(self) -> None:
        self.broker.close()


class Stop(Protocol):
    """A threading or multiprocessing Event: set, the worker stops taking jobs."""

    def wait(self, timeout: float | None = None) -> bool: ...

    def set(self) -> None: ...


def run_worker(
    url: str,
    handler: Callable[[str], object],
    *,
    stop: Stop | None = None,
) -> None:
    """Take jobs from the queue one at a time (one pose model per process: `run_workers`
    runs one process per core) until `stop` is set."""
    from dramatiq import Worker

    broker = make_broker(url)
    declare(broker, handler)
    worker = Worker(broker, worker_threads=1, worker_timeout=1000)
    worker.queue_prefetch = 1  # never hold a second job while this one runs
    worker.start()
    try:
        (stop or threading.Event()).wait()
    finally:
        worker.stop(timeout=10_000)
        broker.close()


def job_handler(
    store: Any, upload_dir: Path, video_dir: Path, pose_model: str = "full"
) -> Callable[[str], object]:
    from coach.offline.jobs import run_job

    def handle(job_id: str) -> object:
        status = run_job(store, job_id, upload_dir, video_dir, pose_model)
        log.info("job %s: %s", job_id, status or "already finished")
        return status

    return handle


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker process needs to take jobs (plain data: it goes to child processes)."""

    redis_url: str
    database_url: str
    upload_dir: Path
    video_dir: Path
    pose_model: str = "full"


def work(settings: WorkerSettings, stop: Stop) -> None:
    """One worker process's life: its own database connections and broker, one job at a
    time, until `stop` is set."""
    from coach.store import open_store

    store = open_store(settings.database_url)
    try:
        handler = job_handler(store, settings.upload_dir, settings.video_dir, settings.pose_model)
        run_worker(settings.redis_url, handler, stop=stop)
    finally:
        store.close()


def _child(settings: WorkerSettings, stop: Stop, parent_pid: int, log_format: str) -> None:
    """A child worker process: gone with its parent; SIGTERM or Ctrl+C stops all of them
    after the job at hand, as for the parent."""
    die_with_parent(parent_pid)
    logging.basicConfig(level=logging.INFO, format=log_format)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _sig, _frame: stop.set())
    work(settings, stop)


RESTART_CHECK_S = 1.0


def run_workers(
    settings: WorkerSettings, processes: int, stop: threading.Event, log_format: str
) -> None:
    """Jobs on `processes` child processes at once, one job each (the analysis of one video
    keeps about one core busy), watched from here until `stop` is set: one that dies is
    replaced, each dies with this process, and at the end each finishes the job at hand.
    A child told to stop (SIGTERM, Ctrl+C) stops them all, and this."""
    context = multiprocessing.get_context("spawn")
    children_stop = context.Event()

    def start() -> Any:
        child = context.Process(
            target=_child,
            args=(settings, children_stop, os.getpid(), log_format),
            name="coach-worker",
        )
        child.start()
        return child

    children = [start() for _ in range(processes)]
    try:
        while not (stop.wait(RESTART_CHECK_S) or children_stop.is_set()):
            for i, child in enumerate(children):
                if not child.is_alive():
                    log.warning(
                        "process %s ended (%s): starting another", child.pid, child.exitcode
                    )
                    children[i] = start()
    finally:
        children_stop.set()
        for child in children:
            child.join(15)
            if child.is_alive():
                child.terminate()
