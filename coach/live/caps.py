"""Live sessions per client address across the instances of a cluster, or the worker
processes of one machine.

`SessionRegistry` counts the live sessions of one address on its own server; behind a load
balancer one address could open `max_per_address` on every instance. `LiveCaps` adds what the
other instances hold: `LocalCaps` (one server, the default) nothing; `RedisLiveCaps` reads the
counts each instance publishes to Redis every few seconds (a hash per instance, expiring when
the instance stops publishing); `web.machine.SharedCaps` (the workers of `coach serve
--workers N`) asks the supervisor, which also keeps every worker's live sessions as
`SessionView`s for the therapist's dashboard and the erasure check (`others`). The per-mode
caps (`max_active`: pose models on this machine's cores, `max_device`) stay per instance:
they protect this machine (or, for workers, are divided between them).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from coach.live.limits import LiveLimits
from coach.live.protocol import DEVICE, PoseMode

if TYPE_CHECKING:
    from coach.live.session import LiveSession

log = logging.getLogger(__name__)


class SessionView(NamedTuple):
    """What other processes may know of a live session whose patient is connected."""

    id: str
    patient_id: int | None
    name: str  # the exercise's
    created_at: datetime
    stage: str  # "setup" or "active"
    pose: str  # "server" or "device"
    address: str  # the patient's client address ("" unknown)
    connected: bool  # False while its pipeline starts (counted by the caps all the same)

    def counted_under(self) -> tuple[str, ...]:
        """What the session counts under (`Want` keys): its pose mode, its address."""
        return (
            (pose_key(self.pose), address_key(self.address))
            if self.address
            else (pose_key(self.pose),)
        )


def pose_key(pose: str) -> str:
    return f"pose:{pose}"


def address_key(address: str) -> str:
    return f"address:{address}"


Want = tuple[str, int, int]
"""(key, sessions with it here, its limit) for `LiveCaps.admit`."""


class LiveSource(Protocol):
    """What an instance shares (its `SessionRegistry`)."""

    def address_counts(self) -> Counter[str]: ...

    def views(self) -> list[SessionView]: ...


class LiveCaps(Protocol):
    def watch(self, source: LiveSource) -> None:
        """Start sharing this instance's live sessions (`source`)."""

    def admit(self, wants: list[Want]) -> list[int]:
        """For each (key, here, limit): the live sessions with that key on the other
        instances. When every `here + that < limit`, the session being opened here counts
        under every key from now on (until this instance next shares its sessions, which
        then include it)."""

    def changed(self) -> None:
        """This instance's live sessions changed (a patient came or left): share them now."""

    def others(self) -> list[SessionView]:
        """The live sessions of the other instances, where they are known (else none)."""

    def close(self) -> None:
        """The instance stops: its sessions stop counting."""


def session_views(sessions: list[LiveSession]) -> list[SessionView]:
    """The sessions whose patient is connected (or connecting), for other processes."""
    return [
        SessionView(
            s.id,
            s.patient_id,
            str(s.info["name"]),
            s.created_at,
            s.stage,
            s.pose,
            s.patient.address or "",
            s.connected,
        )
        for s in sessions
        if (s.connected or s.patient.attaching) and not s.ended
    ]


def check_room(
    live: list[LiveSession],
    pose: PoseMode,
    address: str | None,
    limits: LiveLimits,
    max_active: int,
    caps: LiveCaps,
) -> tuple[str, int] | None:
    """Whether one more connection fits the caps, counting the `live` sessions here and what
    `caps` knows elsewhere: None, else the refusal's code and number: per mode
    (`server_busy`, the limit: `limits.max_device` on-device sessions, `max_active` pose
    models), per address (`too_many`, the address's sessions)."""
    limit = limits.max_device if pose == DEVICE else max_active
    wants: list[Want] = [(pose_key(pose), sum(s.pose == pose for s in live), limit)]
    if address is not None and limits.max_per_address > 0:
        here = sum(s.patient.address == address for s in live)
        wants.append((address_key(address), here, limits.max_per_address))
    elsewhere = caps.admit(wants)
    if wants[0][1] + elsewhere[0] >= limit:
        return "server_busy", limit
    if len(wants) > 1 and (mine := wants[1][1] + elsewhere[1]) >= wants[1][2]:
        return "too_many", mine
    return None


class LocalCaps:
    """One server: there is nowhere else."""

    def watch(self, source: LiveSource) -> None:
        pass

    def admit(self, wants: list[Want]) -> list[int]:
        return [0] * len(wants)

    def changed(self) -> None:
        pass

    def others(self) -> list[SessionView]:
        return []

    def close(self) -> None:
        pass


def _field(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()[:24]  # no address in clear in Redis


class RedisLiveCaps:
    """The instances' counts in Redis: `coach:live:inst:<instance>` = {address hash: n}.

    Published every `interval_s` by a daemon thread (and at once by `publish`), kept for
    `ttl_s`: a stopped instance's sessions stop counting within that. Redis unreachable: the
    other instances count as none (the per-instance caps still hold) and it is logged. The
    other instances' sessions themselves are not shared (`others`: none): a cluster's
    dashboards show their own instance's."""

    PREFIX = "coach:live:inst:"

    def __init__(self, client: Any, *, interval_s: float = 2.0, ttl_s: float = 10.0) -> None:
        self.redis = client
        self.instance = secrets.token_hex(6)
        self.interval_s = interval_s
        self.ttl_s = ttl_s
        self._snapshot: Callable[[], Counter[str]] | None = None
        self._stop = threading.Event()

    def watch(self, source: LiveSource) -> None:
        self._snapshot = source.address_counts
        threading.Thread(target=self._loop, name="coach-live-caps", daemon=True).start()

    def admit(self, wants: list[Want]) -> list[int]:
        """Addresses only (the per-mode caps protect each instance's own cores); the session
        opened here counts from the next publication, within `interval_s`."""
        prefix = address_key("")
        return [
            self.elsewhere(key[len(prefix) :]) if key.startswith(prefix) else 0
            for key, _, _ in wants
        ]

    def changed(self) -> None:
        pass  # published every `interval_s` by the thread

    def others(self) -> list[SessionView]:
        return []

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
