"""Live events between the instances of a cluster, over Redis pub/sub.

A therapist's follow socket may land on instance B while the patient's session runs on A.
B does not find the session in its registry, so it asks every instance on the channel
`live:want` ("who has session X?", repeated every few seconds while its followers watch).
The instance that has the session attaches one relay follower to it (an ordinary follower
outbox, `LiveSession.add_follower`: the session needs no change), answers with the session's
hello on `live:<session id>` and from then on publishes to that channel everything it would
send a follower: frame messages, events, status, summaries, shared video frames. B's follow
sockets subscribe to that channel and pass the messages on. Relays with no request for
`stale_s` seconds are detached. Messages that followers send (a therapist's note to the
patient) go back on `live-in:<session id>`.

On the wire: JSON messages as `J` + JSON, binary frames (shared video) as `B` + bytes, and the
relay's own hello as `H` + JSON with the patient id, which B checks with the store as for a
local session (never sent to the browser).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from coach.live import Closing, LiveSession, Outbox, SessionRegistry, echo_number
from web.live_ws import MESSAGE_INTERVAL_S, _refuse

log = logging.getLogger(__name__)

WANT = "live:want"
ASK_EVERY_S = 3.0
HELLO_WAIT_S = 2.0


def channel(session_id: str) -> str:
    return f"live:{session_id}"


def inbound(session_id: str) -> str:
    return f"live-in:{session_id}"


def _encode(item: Any) -> bytes:
    if isinstance(item, bytes):
        return b"B" + item
    return b"J" + json.dumps(item, separators=(",", ":"), allow_nan=False).encode()


class LiveRelay:
    """One per instance: serves the sessions it has to the others, follows theirs."""

    def __init__(self, url: str, registry: SessionRegistry, *, stale_s: float = 10.0) -> None:
        import redis.asyncio as aioredis

        self.redis = aioredis.Redis.from_url(url)
        self.registry = registry
        self.stale_s = stale_s
        self._relays: dict[str, tuple[Outbox, asyncio.Task[None], list[float]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._following: dict[str, int] = {}  # this instance's followers of remote sessions

    # ---- the instance that has the session --------------------------------------------------
    async def start(self) -> None:
        self._task = asyncio.create_task(self._serve())

    async def _serve(self) -> None:
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(WANT)
        try:
            while True:
                msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if msg is not None:
                    await self._wanted(msg["data"].decode("ascii", "replace")[:64])
                self._drop_stale()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("live relay: stopped serving other instances")
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _wanted(self, session_id: str) -> None:
        session = self.registry.get(session_id)
        if session is None:
            return  # not here (another instance may have it)
        relay = self._relays.get(session_id)
        if relay is None and not session.connected:
            return  # the patient left this instance: wherever they are now answers
        if relay is None:
            try:
                outbox = session.add_follower()
            except Exception as exc:  # too many followers
                log.warning("live relay: session %s refused a relay: %s", session_id, exc)
                return
            task = asyncio.create_task(self._publish(session, outbox))
            relay = self._relays[session_id] = (outbox, task, [time.monotonic()])
        relay[2][0] = time.monotonic()
        hello = {
            "type": "follow",
            **session.hello(),
            "summary": session.summary(),
            "last_frame": session.last_message,
            "recent_events": session.events[-50:],
        }
        envelope = {"patient_id": session.patient_id, "hello": hello}
        await self.redis.publish(channel(session_id), b"H" + json.dumps(envelope).encode())

    async def _publish(self, session: LiveSession, outbox: Outbox) -> None:
        """Everything a follower would get, onto the session's channel; notes come back."""
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(inbound(session.id))
        notes = asyncio.create_task(self._notes(session, pubsub))
        try:
            while True:
                item = await outbox.get()
                if isinstance(item, Closing):
                    await self.redis.publish(
                        channel(session.id),
                        _encode({"type": "_closing", "code": item.code, "reason": item.reason}),
                    )
                    return
                try:
                    await self.redis.publish(channel(session.id), _encode(item))
                except (TypeError, ValueError):
                    continue  # not JSON: a local follower would not get it either
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("live relay: session %s: publishing stopped", session.id)
        finally:
            notes.cancel()
            session.remove_follower(outbox)
            self._relays.pop(session.id, None)
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _notes(self, session: LiveSession, pubsub: Any) -> None:
        while True:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if msg is None:
                continue
            with contextlib.suppress(ValueError, TypeError):
                session.therapist_message(str(json.loads(msg["data"])["text"]))

    def _drop_stale(self) -> None:
        now = time.monotonic()
        for sid, (_outbox, task, last) in list(self._relays.items()):
            if now - last[0] > self.stale_s:
                task.cancel()
                self._relays.pop(sid, None)

    async def close(self) -> None:
        for _outbox, task, _last in list(self._relays.values()):
            task.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        with contextlib.suppress(Exception):
            await self.redis.aclose()

    # ---- an instance whose follower wants a session it does not have -------------------------
    async def follow(
        self,
        ws: WebSocket,
        session_id: str,
        may_follow: Callable[[Any], bool],
    ) -> None:
        """Follow a session of another instance on an accepted socket; `refuse` as for a local
        one when no instance has it (or this user may not see it)."""
        if self._following.get(session_id, 0) >= self.registry.limits.max_followers:
            await _refuse(ws, "too_many", "This session already has the most followers.")
            return
        self._following[session_id] = self._following.get(session_id, 0) + 1
        pubsub = self.redis.pubsub()
        try:
            await pubsub.subscribe(channel(session_id))
            await self.redis.publish(WANT, session_id)
            hello = await self._hello(pubsub)
            if hello is None or not may_follow(SimpleNamespace(patient_id=hello["patient_id"])):
                await _refuse(
                    ws,
                    "unknown_session",
                    "No live session with this id. It may not have started yet, or it has expired.",
                )
                return
            await ws.send_text(json.dumps(hello["hello"]))
            asking = asyncio.create_task(self._keep_asking(session_id))
            reading = asyncio.create_task(self._from_follower(ws, session_id))
            try:
                await self._to_follower(ws, pubsub, reading)
            finally:
                asking.cancel()
                reading.cancel()
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        finally:
            left = self._following.pop(session_id, 1) - 1
            if left > 0:
                self._following[session_id] = left
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _hello(self, pubsub: Any) -> dict[str, Any] | None:
        deadline = time.monotonic() + HELLO_WAIT_S
        while (left := deadline - time.monotonic()) > 0:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if msg is not None and msg["data"][:1] == b"H":
                return dict(json.loads(msg["data"][1:]))
        return None

    async def _keep_asking(self, session_id: str) -> None:
        while True:
            await asyncio.sleep(ASK_EVERY_S)
            await self.redis.publish(WANT, session_id)

    async def _to_follower(self, ws: WebSocket, pubsub: Any, reading: asyncio.Task[None]) -> None:
        while not reading.done():
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if msg is None:
                continue
            data: bytes = msg["data"]
            kind, body = data[:1], data[1:]
            if kind == b"B":
                await ws.send_bytes(body)
            elif kind == b"J":
                item = json.loads(body)
                if item.get("type") == "_closing":
                    await ws.close(int(item["code"]), str(item["reason"])[:120])
                    return
                await ws.send_text(body.decode())

    async def _from_follower(self, ws: WebSocket, session_id: str) -> None:
        """Pings are answered here; the therapist's notes go to the patient's instance (at most
        one per `MESSAGE_INTERVAL_S`); a closed socket ends the follow."""
        last = 0.0
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if not text or len(text) > 4096:
                continue
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                parsed = json.loads(text)
                kind = parsed.get("type")
                if kind == "ping":
                    await ws.send_text(
                        json.dumps({"type": "pong", "t": echo_number(parsed.get("t"))})
                    )
                elif kind == "message" and isinstance(parsed.get("text"), str):
                    if time.monotonic() - last < MESSAGE_INTERVAL_S:
                        continue
                    last = time.monotonic()
                    note = json.dumps({"text": parsed["text"][:1000]})
                    await self.redis.publish(inbound(session_id), note)
