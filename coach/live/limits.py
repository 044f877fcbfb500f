"""What one live socket, one address and the whole server may use: the knobs in one place.

The live socket faces the internet (docs/SECURITY.md, "Live WebSocket"): every number here
bounds what an anonymous client can make the server hold or do.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class LiveLimits:
    """Limits of the live sockets (`SessionRegistry(limits=...)`, `create_app(live_limits=)`)."""

    max_device: int = 100
    """Live sessions whose page runs the pose model (`pose=device`; no model on the server)."""
    max_per_address: int = 2
    """Live sessions connected from one client address at a time (`too_many`)."""
    first_frame_timeout_s: float = 20.0
    """A patient socket that sends no frame (JPEG or landmarks) within this is closed."""
    idle_timeout_s: float = 60.0
    """A patient socket that sends no frame for this long is closed (pings do not count)."""
    max_messages_per_s: float = 120.0
    """Every message of one socket (frames included); beyond it messages are discarded
    unread, and after `flood_close_after` discarded ones the socket is closed."""
    message_burst: int = 240
    flood_close_after: int = 200
    max_control_per_s: float = 10.0
    """Control messages (ping, share_video, client_error, ...) of one socket."""
    control_burst: int = 20
    max_landmarks_per_s: float = 60.0
    """Landmark messages of one socket; beyond it: `dropped` with reason `rate`."""
    landmark_burst: int = 15
    max_client_problems: int = 20
    """`client_error` reports logged per session; later ones are counted, not logged."""
    max_followers: int = 10
    """Therapist sockets following one session."""
    max_followers_per_address: int = 16
    """Follower sockets from one client address at a time, over all sessions (`too_many`)."""
    max_follower_sockets: int = 1000
    """Follower sockets in all (`server_busy`); `coach serve` lowers it to fit the open-file
    limit (web/connections.py)."""
    follower_idle_timeout_s: float = 90.0
    """A follower socket that sends nothing (the follow page pings every 25 s) is closed."""
    outbox_backlog: int = 500
    """Messages (other than frames) waiting for one socket; beyond it the socket is closed."""
    allowed_origins: tuple[str, ...] = field(default=())
    """Origins (scheme://host[:port]) allowed to open the sockets besides the server's own."""


class Slots(Protocol):
    """Sockets of one kind per client address and in all (`SocketSlots`, or counted over the
    worker processes of one machine: web.machine.SharedSlots)."""

    def take(self, address: str | None, per_address: int, total: int) -> str | None: ...

    def give_back(self, address: str | None) -> None: ...

    def held(self, address: str | None) -> int: ...


class SocketSlots:
    """Sockets of one kind (followers) held per client address and in all: `take` before a
    socket is served, `give_back` when it ends (in a `finally`)."""

    def __init__(self) -> None:
        self._by_address: Counter[str] = Counter()
        self.total = 0

    def take(self, address: str | None, per_address: int, total: int) -> str | None:
        """None when the socket may go on (it is counted), else the refusal's code:
        `too_many` (this address holds `per_address`), `server_busy` (`total` in all)."""
        key = address or "?"
        if self.total >= total:
            return "server_busy"
        if self._by_address[key] >= per_address:
            return "too_many"
        self._by_address[key] += 1
        self.total += 1
        return None

    def give_back(self, address: str | None) -> None:
        key = address or "?"
        if self._by_address[key] > 0:
            self._by_address[key] -= 1
            self.total -= 1
        if self._by_address[key] == 0:
            del self._by_address[key]

    def held(self, address: str | None) -> int:
        return self._by_address.get(address or "?", 0)


class TokenBucket:
    """`rate` a second on average, up to `burst` at once. O(1) a call."""

    __slots__ = ("_clock", "_last", "_tokens", "burst", "rate")

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = float(rate)
        self.burst = float(max(1.0, burst))
        self._clock = clock
        self._tokens = self.burst
        self._last = clock()

    def allow(self) -> bool:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
