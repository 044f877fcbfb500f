"""What one live socket, one address and the whole server may use: the knobs in one place.

The live socket faces the internet (docs/SECURITY.md, "Live WebSocket"): every number here
bounds what an anonymous client can make the server hold or do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


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
    outbox_backlog: int = 500
    """Messages (other than frames) waiting for one socket; beyond it the socket is closed."""
    allowed_origins: tuple[str, ...] = field(default=())
    """Origins (scheme://host[:port]) allowed to open the sockets besides the server's own."""


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
