"""Per-socket outgoing queues that protect the patient's stream from slow readers."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from coach.sinks import NO_INFO, FrameInfo

Message = dict[str, Any]


@dataclass(frozen=True)
class Closing:
    """Sentinel in an outbox: close the socket with this code and reason."""

    code: int
    reason: str


class Outbox:
    """Messages waiting to go out on one WebSocket (one writer task drains it).

    Frames (and shared video) are perishable: beyond `max_frames` the oldest is dropped, and
    the events it carried move to the next frame, so a slow reader loses animation, never a
    rep or a fault. Other messages (status, therapist messages, errors) are never dropped.

    As a session's event sink (coach.sinks) it takes each frame's message; events need no
    message of their own, they travel inside the frame messages.
    """

    def __init__(self, max_frames: int = 30) -> None:
        self.max_frames = max_frames
        self._items: deque[Message | bytes | Closing] = deque()
        self._ready = asyncio.Event()
        self._carry: list[Message] = []
        self.dropped = 0
        self.closed: Closing | None = None

    @staticmethod
    def _perishable(item: Message | bytes | Closing) -> bool:
        return isinstance(item, bytes) or (isinstance(item, dict) and item.get("type") == "frame")

    def put(self, item: Message | bytes) -> None:
        if self.closed is not None:
            return
        if isinstance(item, dict) and item.get("type") == "frame" and self._carry:
            item = {**item, "events": self._carry + list(item.get("events") or [])}
            self._carry = []
        self._items.append(item)
        while sum(self._perishable(i) for i in self._items) > self.max_frames:
            oldest = next(i for i in self._items if self._perishable(i))
            self._items.remove(oldest)
            self.dropped += 1
            if isinstance(oldest, dict) and oldest.get("events"):
                self._carry.extend(oldest["events"])
        self._ready.set()

    def frame(self, t: float, landmarks: np.ndarray | None, info: FrameInfo = NO_INFO) -> None:
        if info.message is not None:
            self.put(info.message)

    def event(self, event: Message) -> None:
        pass

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Send what is queued, then close the socket."""
        if self.closed is None:
            self.closed = Closing(code, reason)
            self._items.append(self.closed)
            self._ready.set()

    async def get(self) -> Message | bytes | Closing:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()
