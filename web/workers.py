"""`coach serve --workers N`: N server processes behind one port, and their supervisor.

One server process runs its event loop on one core; on-device live sessions (the page runs
the pose model, the server counts) are CPU-bound at about 50 a core (docs/BENCHMARKS.md).
The supervisor (this process) binds the port, prepares the store once (migrations, sessions
and jobs a crash left), and starts N worker processes that all accept on the inherited
socket: the kernel gives each new connection to one of them. Each worker is a whole server
(`create_app`, real uvicorn) with three differences:

- requests about a live session go to the worker that has it (web/routing.py: the session
  id names its worker; a connection that lands elsewhere is handed over with its socket),
  so resuming, following and the session's JSON work as with one process;
- its limits are counted with the others' (web/machine.py: the supervisor keeps the
  connections per client address, the sign-in limiter, the live sessions per address and in
  all, the follower sockets and the dashboards' streams; with `COACH_REDIS_URL` the
  cluster's Redis keeps those it keeps for a cluster, docs/DEPLOY.md); the connections in all
  stay per worker (each has its own open files);
- its start-up leaves the store to the supervisor.

A worker that dies is started again (after 0.5 s, longer if it keeps dying); what it had is
treated as after a crash of one server: its sessions still recording become "interrupted"
(the page restores them from its count when it reconnects), its upload jobs fail, and its
counts in the supervisor are dropped. Workers watch the supervisor and stop if it is gone.
Ctrl+C (SIGINT) or SIGTERM to the supervisor stops the workers gracefully, then itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

import uvicorn

from web.machine import WorkerPlace

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from coach.store import Store
    from web.routing import Handoff

log = logging.getLogger(__name__)

RESTART_FIRST_S = 0.5
RESTART_MAX_S = 10.0
QUICK_DEATH_S = 10.0  # a worker that dies sooner after starting waits longer before the next
GIVE_UP_AFTER = 5  # quick deaths in a row: the workers cannot start; the server stops


@dataclass(frozen=True)
class WorkerApp:
    """How a worker makes its app: `factory` ("module:function") called as
    `factory(place, **kwargs)`; picklable, for the worker processes."""

    factory: str
    kwargs: dict[str, Any]

    def make(self, place: WorkerPlace) -> Any:
        module, _, name = self.factory.partition(":")
        return getattr(importlib.import_module(module), name)(place, **self.kwargs)


def serve_app(place: WorkerPlace, database_url: str, redis_url: str | None, **kwargs: Any) -> Any:
    """`coach serve`'s app in a worker: the supervisor has migrated the store. With a
    cluster's Redis the per-mode caps protect this machine's cores: divided between the
    workers (without, the supervisor counts them over all workers)."""
    from coach.store import open_store
    from web.app import create_app

    if redis_url and kwargs.get("live_limits") is not None:
        from dataclasses import replace

        limits = kwargs["live_limits"]
        kwargs["live_limits"] = replace(limits, max_device=_share(limits.max_device, place))
        kwargs["max_active"] = _share(kwargs.get("max_active", 4), place)
    store = open_store(database_url, upgrade=False)
    return create_app(store=store, redis_url=redis_url, worker=place, **kwargs)


def _share(total: int, place: WorkerPlace) -> int:
    return max(1, -(-total // place.workers))


# ---- the supervisor ------------------------------------------------------------------------
def serve_workers(
    database_url: str,
    settings: dict[str, Any],
    sock: socket.socket,
    workers: int,
    store: Store,
    log_level: str = "warning",
    *,
    stopping: threading.Event | None = None,
) -> int:
    """`coach serve --workers N` after the port is bound and the store migrated: one
    machine's start-up (what a crash left: sessions "interrupted", jobs failed, orphaned
    uploads), then the supervisor of workers serving `create_app(**settings)` until Ctrl+C.
    In a cluster (`redis_url`) the other instances' sessions and jobs are not this machine's
    to end, and Redis shares the limits."""
    from coach.live import LiveLimits
    from web.connections import Capacity

    app = WorkerApp("web.workers:serve_app", {"database_url": database_url, **settings})
    clustered = bool(app.kwargs.get("redis_url"))
    if not clustered:
        store.mark_interrupted()
        _clean_uploads(store, stale_only=False)
    capacity = Capacity.of_this_process()
    limits = capacity.live_limits(app.kwargs.get("live_limits") or LiveLimits())
    print(f"{workers} worker processes. Each: {capacity.words(limits)}")
    supervisor = Supervisor(
        app,
        sock,
        workers,
        log_level=log_level,
        store=None if clustered else store,
        stopping=stopping,
    )
    try:
        status = supervisor.run()
    finally:
        sock.close()
        store.close()
    print("Coach stopped.")
    return status


class Supervisor:
    """Starts `workers` processes serving `app` on `sock`, starts again those that die, and
    stops them all on SIGINT or SIGTERM. `store` (one machine's; None in a cluster or without
    a store) is what a dead worker's sessions and jobs are marked in."""

    def __init__(
        self,
        app: WorkerApp,
        sock: socket.socket,
        workers: int,
        *,
        log_level: str = "warning",
        store: Store | None = None,
        stopping: threading.Event | None = None,
    ) -> None:
        from web.machine import MachineState, machine_address

        self.app = app
        self.sock = sock
        self.workers = workers
        self.log_level = log_level
        self.store = store
        self.folder = tempfile.mkdtemp(prefix="coach-workers-")  # mode 0700: this user only
        self.authkey = os.urandom(32)
        # The limits the workers share (web/machine.py): the connections per address always;
        # the rest too unless a cluster's Redis keeps them.
        self.machine = MachineState(machine_address(self.folder), self.authkey).start()
        self._context = multiprocessing.get_context("spawn")
        # Each worker's live sessions, where all can read them (web/routing.py, `lighter`).
        self.loads = self._context.Array("i", workers, lock=False)
        self.procs: list[BaseProcess | None] = [None] * workers
        self._started = [0.0] * workers
        self._quick_deaths = [0] * workers
        self._due: dict[int, float] = {}  # workers to start again, and when
        # Set by Ctrl+C or SIGTERM, also one that came while `coach serve` was starting.
        self.stopping = stopping or threading.Event()
        self.failed = False

    def place(self, index: int) -> WorkerPlace:
        return WorkerPlace(index, self.workers, self.folder, self.authkey, self.loads)

    def start_worker(self, index: int) -> None:
        proc = self._context.Process(
            target=worker_main,
            args=(self.place(index), self.app, self.sock, self.log_level),
            name=f"coach-worker-{index}",
        )
        proc.start()
        self.procs[index] = proc
        self._started[index] = time.monotonic()

    def run(self) -> int:
        """Serve until SIGINT or SIGTERM (or `stop()`); the exit status."""
        previous = {
            sig: signal.signal(sig, lambda *_: self.stopping.set())
            for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            for index in range(self.workers):
                self.start_worker(index)
            while not self.stopping.is_set() and not self.failed:
                self._watch()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._stop_workers()
        return 1 if self.failed else 0

    def stop(self) -> None:
        self.stopping.set()

    def _watch(self) -> None:
        """Wait for a worker to die (or a restart to come due), about every 0.5 s."""
        alive = [p for p in self.procs if p is not None]
        with contextlib.suppress(InterruptedError):
            wait([p.sentinel for p in alive], timeout=0.5)
        for index, proc in enumerate(self.procs):
            if proc is not None and not proc.is_alive() and not self.stopping.is_set():
                self._died(index, proc)
        now = time.monotonic()
        for index, due in list(self._due.items()):
            if now >= due and not self.stopping.is_set():
                del self._due[index]
                self.start_worker(index)

    def _died(self, index: int, proc: BaseProcess) -> None:
        self.procs[index] = None
        quick = time.monotonic() - self._started[index] < QUICK_DEATH_S
        self._quick_deaths[index] = self._quick_deaths[index] + 1 if quick else 0
        if self._quick_deaths[index] >= GIVE_UP_AFTER:
            log.error("worker %d keeps dying at start (exit %s); stopping", index, proc.exitcode)
            print(f"coach serve: worker {index} cannot start; see the messages above")
            self.failed = True
            return
        wait_s = min(RESTART_MAX_S, RESTART_FIRST_S * 2 ** self._quick_deaths[index])
        log.warning(
            "worker %d ended (exit %s); starting it again in %.1f s", index, proc.exitcode, wait_s
        )
        self._forget(index)
        self._due[index] = time.monotonic() + wait_s

    def _forget(self, index: int) -> None:
        """What a dead worker had, as after one server's crash (see the module)."""
        self.machine.drop(index)
        self.loads[index] = 0
        if self.store is None:
            return
        from web.routing import owner

        try:
            n = self.store.mark_interrupted(keep=lambda i: owner(i, self.workers) != index)
            if n:
                log.warning("worker %d: %d live sessions marked interrupted", index, n)
            _clean_uploads(self.store)
        except Exception:  # the store is unreachable: the next start marks them
            log.exception("worker %d: marking its sessions and jobs failed", index)

    def _stop_workers(self, timeout_s: float = 15.0) -> None:
        """SIGTERM to every worker (graceful: sockets told, sessions recorded), then wait;
        killed when they do not stop in time."""
        running = [p for p in self.procs if p is not None and p.is_alive()]
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)  # type: ignore[arg-type]
        deadline = time.monotonic() + timeout_s
        for proc in running:
            proc.join(max(0.1, deadline - time.monotonic()))
            if proc.is_alive():
                log.warning("worker %s did not stop in time; killed", proc.name)
                proc.kill()
                proc.join(5)
        self.machine.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _clean_uploads(store: Store, stale_only: bool = True) -> None:
    """The uploads of jobs no longer running (a crash's, or a dead worker's); partial uploads
    at start-up, or, while other workers may be receiving one, only once stale."""
    from web.uploads.jobs import AnalysisJobs
    from web.uploads.receiving import upload_total_timeout_s

    jobs = AnalysisJobs(store)
    try:
        jobs.clean_up_orphans(upload_total_timeout_s() if stale_only else 0.0)
    finally:
        jobs.close()


# ---- a worker process ------------------------------------------------------------------------
def worker_main(place: WorkerPlace, app: WorkerApp, sock: socket.socket, log_level: str) -> None:
    """A worker process: its own process group (Ctrl+C reaches the supervisor, which stops the
    workers once, gracefully), its app, real uvicorn on the shared socket."""
    os.setpgid(0, 0)
    from pose.native_logs import quiet_native_logs
    from web.server_config import uvicorn_config

    quiet_native_logs()
    logging.basicConfig(level=logging.WARNING, format=f"worker {place.index}: %(message)s")
    from web.machine import SharedSlots

    handoff = place.handoff()
    connections = SharedSlots(place.link(), "connections")  # per address, over all workers
    config = uvicorn_config(
        app.make(place), log_level=log_level, handoff=handoff, shared=connections
    )
    server = WorkerServer(config, handoff)
    _stop_with_parent(server)
    server.run(sockets=[sock])


def _stop_with_parent(server: Any) -> None:
    """Stop gracefully when the supervisor is gone (killed without stopping its workers)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        server.should_exit = True

    threading.Thread(target=watch, name="coach-parent-watch", daemon=True).start()


class WorkerServer(uvicorn.Server):
    """uvicorn's server that also takes the connections other workers hand over
    (web/routing.py) as if it had accepted them."""

    def __init__(self, config: Any, handoff: Handoff) -> None:
        super().__init__(config)
        self.handoff = handoff
        self._adopting: set[asyncio.Task[Any]] = set()

    def handle_exit(self, sig: int, frame: Any) -> None:
        """Stop gracefully on SIGTERM, then end normally: uvicorn would raise the signal again
        once stopped, killing the worker before its clean-up (its pose pool's semaphores)."""
        super().handle_exit(sig, frame)
        self._captured_signals.clear()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.handoff.listen(asyncio.get_running_loop(), self._adopt)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.handoff.close(asyncio.get_running_loop())
        await super().shutdown(sockets)

    def _adopt(self, sock: socket.socket, data: bytes) -> None:
        """A connection another worker read `data` from: served here from that point."""
        loop = asyncio.get_running_loop()
        config = self.config
        http: Any = config.http_protocol_class  # web.connections.GuardedHttp's subclass

        def protocol() -> Any:
            made = http(
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )
            made.pending = data  # parsed first, before anything read from now on
            return made

        task = loop.create_task(loop.connect_accepted_socket(protocol, sock))
        self._adopting.add(task)
        task.add_done_callback(self._adopted)

    def _adopted(self, task: asyncio.Task[Any]) -> None:
        self._adopting.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("a handed connection could not be taken: %s", task.exception())
