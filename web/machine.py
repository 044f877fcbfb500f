"""What the worker processes of one `coach serve --workers N` share, kept by their supervisor.

One process keeps its limits in memory (web/access.py, coach/live/limits.py, the
dashboard's streams). Several processes behind one port must count together, or one address
would get every limit once per process. Without a Redis to share them (a cluster's,
docs/DEPLOY.md), the supervisor (web/workers.py) keeps them for its workers, as plain
objects served over a Unix socket by `multiprocessing.managers` (one call, one round trip
of a few tens of microseconds; made when a socket opens or closes, never per message):

- `LoginLimiter`: the sign-in limiter itself (web/access.py), so a guesser's failures count
  whichever process checks the password; the workers' `SharedLoginLimiter` forwards its five
  primitives to it, as web/shared_limits.py does to Redis.
- `Tally`: sockets of a kind (connections, web/connections.py; follower sockets; the
  dashboard's event streams) per client address and in all, taken and given back atomically
  (`SharedSlots` in the workers). The connections are counted so even with a cluster's Redis.
- `Board`: every worker's live sessions (`coach.live.caps.SessionView`), published when a
  patient comes or leaves (and every second), for the per-address cap of live sessions (a
  session being opened is counted at once, `admit`), the therapist's dashboard and the
  erasure check (`SharedCaps` in the workers).

A worker that dies has its counts dropped by the supervisor (`drop`). The supervisor
unreachable (it is stopping): the limits fall back to the worker's own, and it is logged.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from multiprocessing.managers import BaseManager
from pathlib import Path
from typing import Any

from coach.live.caps import LiveSource, SessionView, Want
from web.access import LoginLimiter, _Failures
from web.routing import Handoff

log = logging.getLogger(__name__)

LIMITER_PRIMITIVES = ("_entry", "_reserve", "_add_failure", "_take_back", "_clear")


class Tally:
    """Sockets of each kind per (kind, worker, client address)."""

    def __init__(self) -> None:
        self._held: defaultdict[tuple[str, int], Counter[str]] = defaultdict(Counter)
        self._lock = threading.Lock()

    def take(self, kind: str, worker: int, key: str, per_key: int, total: int) -> str | None:
        """None when one more socket of `kind` from `key` is allowed (it is counted), else
        `too_many` (`key` holds `per_key` over all workers) or `server_busy` (`total`)."""
        with self._lock:
            counts = [c for (k, _), c in self._held.items() if k == kind]
            if sum(sum(c.values()) for c in counts) >= total:
                return "server_busy"
            if sum(c[key] for c in counts) >= per_key:
                return "too_many"
            self._held[(kind, worker)][key] += 1
            return None

    def give_back(self, kind: str, worker: int, key: str) -> None:
        with self._lock:
            counts = self._held[(kind, worker)]
            if counts[key] > 0:
                counts[key] -= 1
            if counts[key] <= 0:
                del counts[key]

    def held(self, kind: str, key: str | None = None) -> int:
        with self._lock:
            counts = [c for (k, _), c in self._held.items() if k == kind]
            return sum(c[key] if key is not None else sum(c.values()) for c in counts)

    def drop(self, worker: int) -> None:
        with self._lock:
            for name in [n for n in self._held if n[1] == worker]:
                del self._held[name]


class Board:
    """Each worker's live sessions, and the sessions it is opening (`admit`) until it next
    publishes (which then shows them, or not if they failed to start)."""

    def __init__(self) -> None:
        self._views: dict[int, list[SessionView]] = {}
        self._opening: defaultdict[int, Counter[str]] = defaultdict(Counter)
        self._lock = threading.Lock()

    def publish(self, worker: int, views: list[SessionView]) -> None:
        with self._lock:
            self._views[worker] = list(views)
            self._opening.pop(worker, None)

    def admit(self, worker: int, wants: list[Want]) -> list[int]:
        """For each (key, here, limit) the sessions with `key` on the other workers; when
        each `here + that < limit`, one more session under every key counts for `worker`.
        Atomic: two workers opening sessions for one address at the same moment cannot both
        pass a check that saw neither."""
        with self._lock:
            counts: Counter[str] = Counter()
            for w, views in self._views.items():
                if w != worker:
                    counts.update(key for v in views for key in v.counted_under())
            for w, opening in self._opening.items():
                if w != worker:
                    counts.update(opening)
            others = [counts[key] for key, _, _ in wants]
            if all(here + n < limit for (_, here, limit), n in zip(wants, others, strict=True)):
                self._opening[worker].update(key for key, _, _ in wants)
            return others

    def others(self, worker: int) -> list[SessionView]:
        with self._lock:
            return [v for w, views in self._views.items() if w != worker for v in views]

    def drop(self, worker: int) -> None:
        with self._lock:
            self._views.pop(worker, None)
            self._opening.pop(worker, None)


@dataclass
class WorkerPlace:
    """Where one worker stands: its index of `workers`, and the supervisor's private folder
    (the hand-over sockets, the shared state's socket) with the key to the shared state."""

    index: int
    workers: int
    folder: str
    authkey: bytes
    loads: Any = None  # each worker's live sessions: a shared `multiprocessing.Array`
    _handoff: Handoff | None = field(default=None, repr=False, compare=False)

    def handoff(self) -> Handoff:
        """This worker's end of the connection hand-over (one per process)."""
        if self._handoff is None:
            self._handoff = Handoff(Path(self.folder), self.index, self.workers, self.loads)
        return self._handoff

    def link(self) -> MachineLink:
        return MachineLink(machine_address(self.folder), self.authkey, self.index)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_handoff": None}


def machine_address(folder: str) -> str:
    return str(Path(folder) / "machine.sock")


class MachineManager(BaseManager):
    """The supervisor's shared objects, served over a Unix socket (`serve_machine_state`)."""


EXPOSED = {
    "limiter": LIMITER_PRIMITIVES,
    "tally": ("take", "give_back", "held", "drop"),
    "board": ("publish", "admit", "others", "drop"),
}
for _name, _methods in EXPOSED.items():
    MachineManager.register(_name, exposed=_methods)


class MachineState:
    """The supervisor's side: the shared objects, and the thread serving them."""

    def __init__(self, address: str, authkey: bytes) -> None:
        self.limiter = LoginLimiter()
        self.tally = Tally()
        self.board = Board()
        self.address = address
        self.authkey = authkey
        served = {"limiter": self.limiter, "tally": self.tally, "board": self.board}

        class Served(MachineManager):
            """This supervisor's objects (the callables never leave this process)."""

        for name, obj in served.items():
            Served.register(name, callable=lambda o=obj: o, exposed=EXPOSED[name])
        # multiprocessing.managers.Server (untyped: its stop_event, listener).
        self._server: Any = Served(address=address, authkey=authkey).get_server()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="coach-machine-state", daemon=True
        )

    def start(self) -> MachineState:
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving (the socket's file goes too)."""
        self._server.stop_event.set()
        self._server.listener.close()

    def drop(self, worker: int) -> None:
        """A worker died: what it counted goes with it."""
        self.tally.drop(worker)
        self.board.drop(worker)


class MachineLink:
    """A worker's side: proxies to the supervisor's shared objects."""

    def __init__(self, address: str, authkey: bytes, worker: int) -> None:
        self.worker = worker
        self._manager = MachineManager(address=address, authkey=authkey)
        self._manager.connect()
        self.limiter: Any = self._manager.limiter()  # type: ignore[attr-defined]
        self.tally: Any = self._manager.tally()  # type: ignore[attr-defined]
        self.board: Any = self._manager.board()  # type: ignore[attr-defined]


def _unreachable(what: str, exc: Exception) -> None:
    log.warning("%s: the supervisor is unreachable (%s); this worker counts alone", what, exc)


class SharedLoginLimiter(LoginLimiter):
    """The sign-in limiter of a worker: the supervisor's counts (`LoginLimiter` there), the
    same rules and the same atomic reservation; unreachable, this worker's own counts."""

    def __init__(self, link: MachineLink) -> None:
        super().__init__()
        self._remote = link.limiter

    def _entry(self, key: tuple[str, ...]) -> _Failures | None:
        try:
            return self._remote._entry(key)
        except Exception as exc:  # OSError, EOFError: the supervisor is stopping
            _unreachable("sign-in limiter", exc)
            return super()._entry(key)

    def _add_failure(self, key: tuple[str, ...], now: float) -> None:
        try:
            self._remote._add_failure(key, now)
        except Exception as exc:
            _unreachable("sign-in limiter", exc)
            super()._add_failure(key, now)

    def _reserve(self, keys: list[tuple[tuple[str, ...], int]], now: float) -> float:
        try:
            return float(self._remote._reserve(keys, now))
        except Exception as exc:
            _unreachable("sign-in limiter", exc)
            return super()._reserve(keys, now)

    def _take_back(self, key: tuple[str, ...]) -> None:
        try:
            self._remote._take_back(key)
        except Exception as exc:
            _unreachable("sign-in limiter", exc)
            super()._take_back(key)

    def _clear(self, key: tuple[str, ...]) -> None:
        try:
            self._remote._clear(key)
        except Exception as exc:
            _unreachable("sign-in limiter", exc)
            super()._clear(key)


class SharedSlots:
    """Sockets of one `kind` per client address and in all, counted over every worker (the
    interface of `coach.live.limits.SocketSlots`)."""

    def __init__(self, link: MachineLink, kind: str) -> None:
        self._tally = link.tally
        self._worker = link.worker
        self.kind = kind

    def take(self, address: str | None, per_address: int, total: int) -> str | None:
        try:
            refusal = self._tally.take(self.kind, self._worker, address or "?", per_address, total)
        except Exception as exc:
            _unreachable(f"{self.kind} sockets", exc)
            return None
        return None if refusal is None else str(refusal)

    def give_back(self, address: str | None) -> None:
        try:
            self._tally.give_back(self.kind, self._worker, address or "?")
        except Exception as exc:
            _unreachable(f"{self.kind} sockets", exc)

    def held(self, address: str | None = None) -> int:
        try:
            return int(self._tally.held(self.kind, address))
        except Exception as exc:
            _unreachable(f"{self.kind} sockets", exc)
            return 0


class SharedCaps:
    """`coach.live.caps.LiveCaps` over the supervisor's `Board`: exact across the workers."""

    def __init__(self, link: MachineLink) -> None:
        self._board = link.board
        self._worker = link.worker
        self._source: LiveSource | None = None
        self._shared: list[SessionView] | None = None
        self._opening = False  # `admit` counted a session the board has not seen yet

    def watch(self, source: LiveSource) -> None:
        self._source = source

    def admit(self, wants: list[Want]) -> list[int]:
        try:
            others = [int(n) for n in self._board.admit(self._worker, wants)]
        except Exception as exc:
            _unreachable("live caps", exc)
            return [0] * len(wants)
        fits = all(here + n < limit for (_, here, limit), n in zip(wants, others, strict=True))
        self._opening = self._opening or fits
        return others

    def changed(self) -> None:
        """Publish this worker's sessions when they differ from what it published last, or
        a session was admitted since (called when a patient comes or leaves, and every second
        by the app)."""
        if self._source is None:
            return
        views = self._source.views()
        if views == self._shared and not self._opening:
            return
        try:
            self._board.publish(self._worker, views)
            self._shared, self._opening = views, False
        except Exception as exc:
            _unreachable("live caps", exc)

    def others(self) -> list[SessionView]:
        try:
            return list(self._board.others(self._worker))
        except Exception as exc:
            _unreachable("live sessions", exc)
            return []

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the supervisor is stopping too
            self._board.publish(self._worker, [])
