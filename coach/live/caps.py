"""Live sessions per client address across the instances of a cluster.

`SessionRegistry` counts the live sessions of one address on its own server; behind a load
balancer one address could open `max_per_address` on every instance. `LiveCaps` adds what the
other instances hold: `LocalCaps` (one server, the default) nothing; `RedisLiveCaps` reads the
counts each instance publishes to Redis every few seconds (a hash per instance, expiring when
the instance stops publishing). The per-mode caps (`max_active`: pose models on this machine's
cores, `max_device`) stay per instance: they protect this machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Snapshot = Callable[[], Counter[str]]


class LiveCaps(Protocol):
    def watch(self, snapshot: Snapshot) -> None:
        """Start sharing this instance's live sessions per address (`snapshot()`)."""

    def elsewhere(self, address: str) -> int:
        """Live sessions of `address` on the other instances."""


class LocalCaps:
    """One server: there is nowhere else."""

    def watch(self, snapshot: Snapshot) -> None:
        pass

    def elsewhere(self, address: str) -> int:
        return 0


def _field(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()[:24]  # no address in clear in Redis


class RedisLiveCaps:
    """The instances' counts in Redis: `coach:live:inst:<instance>` = {address hash: n}.

    Published every `interval_s` by a daemon thread (and at once by `publish`), kept for
    `ttl_s`: a stopped instance's sessions stop counting within that. Redis unreachable: the
    other instances count as none (the per-instance caps still hold) and it is logged."""

    PREFIX = "coach:live:inst:"

    def __init__(self, client: Any, *, interval_s: float = 2.0, ttl_s: float = 10.0) -> None:
        self.redis = client
        self.instance = secrets.token_hex(6)
        self.interval_s = interval_s
        self.ttl_s = ttl_s
        self._snapshot: Snapshot | None = None
        self._stop = threading.Event()

    def watch(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        threading.Thread(target=self._loop, name="coach-live-caps", daemon=True).start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.publish()

    def publish(self) -> None:
        if self._snapshot is None:
            return
        counts = {_field(a): n for a, n in self._snapshot().items() if n > 0}
        name = self.PREFIX + self.instance
        try:
            with self.redis.pipeline() as pipe:
                pipe.delete(name)
                if counts:
                    pipe.hset(name, mapping=counts)
                pipe.pexpire(name, int(self.ttl_s * 1000))
                pipe.execute()
        except Exception as exc:  # redis.RedisError, OSError
            log.warning("live caps: Redis unreachable (%s)", exc)

    def elsewhere(self, address: str) -> int:
        field = _field(address)
        own = self.PREFIX + self.instance
        try:
            names = [n for n in self.redis.scan_iter(self.PREFIX + "*") if _text(n) != own]
            return sum(int(self.redis.hget(n, field) or 0) for n in names)
        except Exception as exc:
            log.warning("live caps: Redis unreachable (%s)", exc)
            return 0

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(Exception):  # expires anyway after ttl_s
            self.redis.delete(self.PREFIX + self.instance)


def _text(name: bytes | str) -> str:
    return name.decode() if isinstance(name, bytes) else name
