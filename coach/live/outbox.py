"""Per-socket outgoing queues that protect the patient's stream from slow readers."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from coach.sinks import NO_INFO, FrameInfo
from scoring.words import said, say

Message = dict[str, Any]
Outgoing = Mapping[str, Any]
"""A message as the session builds it (coach.live.protocol): a dict or a TypedDict."""


TOO_SLOW = say("Too many messages are waiting for this connection; it is closed.")


@dataclass(frozen=True)
class Closing:
    """Sentinel in an outbox: close the socket with this code and reason."""

    code: int
    reason: str


class _Slot:
    """A perishable item in the queue; emptied (item=None) when dropped, skipped by `get`."""

    __slots__ = ("item",)

    def __init__(self, item: Outgoing | bytes | None) -> None:
        self.item = item


class Outbox:
    """Messages waiting to go out on one WebSocket (one writer task drains it).

    Frames (and shared video) are perishable: beyond `max_frames` the oldest is dropped, and
    the events it carried move to the next frame, so a slow reader loses animation, never a
    rep or a fault. Other messages (status, therapist messages, errors) are never dropped,
    but at most `max_backlog` of them wait: a socket that stops reading while they pile up
    is closed (1008, `too_slow`) rather than filling the server's memory. Every `put` and
    `get` is O(1).

    As a session's event sink (coach.sinks) it takes each frame's message; events need no
    message of their own, they travel inside the frame messages. With `landmarks=False` (a
    `pose=device` page, which has its own) the frame messages go without their `landmarks`.
    """

    def __init__(
        self, max_frames: int = 30, max_backlog: int = 500, landmarks: bool = True
    ) -> None:
        self.max_frames = max_frames
        self.max_backlog = max_backlog
        self.landmarks = landmarks
        self._items: deque[Outgoing | Closing | _Slot] = deque()
        self._frames: deque[_Slot] = deque()  # the live perishable slots, oldest first
        self._others = 0  # non-perishable messages queued
        self._ready = asyncio.Event()
        self._carry: list[Message] = []
        self.dropped = 0
        self.closed: Closing | None = None

    def __len__(self) -> int:
        return len(self._frames) + self._others + (self.closed is not None)

    def put(self, item: Outgoing | bytes) -> None:
        if self.closed is not None:
            return
        # Frames (and shared video) are perishable; everything else must get through.
        if not (isinstance(item, bytes) or item.get("type") == "frame"):
            if self._others >= self.max_backlog:
                self._overflow()
                return
            self._others += 1
            self._items.append(item)
            self._ready.set()
            return
        if not isinstance(item, bytes) and self._carry:
            item = {**item, "events": self._carry + list(item.get("events") or [])}
            self._carry = []
        slot = _Slot(item)
        self._items.append(slot)
        self._frames.append(slot)
        if len(self._frames) > self.max_frames:
            oldest = self._frames.popleft()
            dropped, oldest.item = oldest.item, None
            self.dropped += 1
            if isinstance(dropped, dict) and dropped.get("events"):
                self._carry.extend(dropped["events"])
        self._ready.set()

    def _overflow(self) -> None:
        """The reader stopped reading: forget the queue, say why, close."""
        self._items.clear()
        self._frames.clear()
        self._others = 1
        self._items.append(
            {
                "type": "error",
                "code": "too_slow",
                "message": TOO_SLOW,
                "fatal": True,
                **said(message=TOO_SLOW),
            }
        )
        self.close(1008, "too slow")

    def frame(self, t: float, landmarks: np.ndarray | None, info: FrameInfo = NO_INFO) -> None:
        message = info.message
        if message is None:
            return
        if not self.landmarks and "landmarks" in message:
            message = {k: v for k, v in message.items() if k != "landmarks"}
        self.put(message)

    def event(self, event: Message) -> None:
        pass

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Send what is queued, then close the socket."""
        if self.closed is None:
            self.closed = Closing(code, reason)
            self._items.append(self.closed)
            self._ready.set()

    async def get(self) -> Outgoing | bytes | Closing:
        while True:
            while not self._items:
                self._ready.clear()
                await self._ready.wait()
            head = self._items.popleft()
            if isinstance(head, _Slot):
                if head.item is None:
                    continue  # dropped while it waited
                self._frames.popleft()  # the oldest live slot is this one
                return head.item
            if not isinstance(head, Closing):
                self._others -= 1
            return head
