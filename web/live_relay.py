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

The link to Redis (web/relay_link.py, `RedisLink`): channels named after the cluster, the
`want` subscription taken again after Redis restarts and checked by a probe. A relay or a
follow that loses Redis ends: the follower gets `relay_unavailable` (close 1013, "try again
later") and its page reconnects, asking again; the instance that has the session attaches a
fresh relay.

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
from collections.abc import Callable, Coroutine
from types import SimpleNamespace
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from coach.live import (
    Closing,
    LiveSession,
    Outbox,
    SessionRegistry,
    echo_number,
    parse_message,
)
from web.live_ws import FOLLOWER_IDLE_WORDS, MAX_TEXT_CHARS, MESSAGE_INTERVAL_S, _refuse
from web.relay_link import LinkState, RedisLink

log = logging.getLogger(__name__)

ASK_EVERY_S = 3.0
HELLO_WAIT_S = 2.0
CLOSE_TRY_AGAIN = 1013  # WebSocket "try again later": a follow that lost Redis


def _encode(item: Any) -> bytes:
    if isinstance(item, bytes):
        return b"B" + item
    return b"J" + json.dumps(item, separators=(",", ":"), allow_nan=False).encode()


def health(relay: LiveRelay | None) -> dict[str, Any]:
    """The relay's part of /healthz: `{"relay": state}` in a cluster (`LiveRelay.state`),
    nothing on one machine."""
    return {} if relay is None else {"relay": relay.state}


class LiveRelay:
    """One per instance: serves the sessions it has to the others (`SessionRelays`) and
    follows theirs (`RemoteFollows`), over one `RedisLink`.

    `state`: "starting", "connected" (the `want` channel is subscribed: following across
    instances works), or "reconnecting" (Redis lost; subscribing again with back-off)."""

    def __init__(
        self,
        url: str,
        registry: SessionRegistry,
        *,
        cluster: str | None = None,
        stale_s: float = 10.0,
        probe_every_s: float = 15.0,
    ) -> None:
        from coach.store.cluster import cluster_name

        self.link = RedisLink(url, cluster=cluster or cluster_name(), probe_every_s=probe_every_s)
        self.sessions = SessionRelays(self.link, registry, stale_s)
        self.follows = RemoteFollows(self.link, registry)
        self._task: asyncio.Task[None] | None = None

    @property
    def state(self) -> LinkState:
        return self.link.state

    async def start(self) -> None:
        self._task = asyncio.create_task(
            self.link.serve(self.sessions.wanted, self.sessions.drop_stale)
        )

    async def follow(
        self, ws: WebSocket, session_id: str, may_follow: Callable[[Any], bool]
    ) -> None:
        """`RemoteFollows.follow`: a session of another instance, on an accepted socket."""
        await self.follows.follow(ws, session_id, may_follow)

    async def close(self) -> None:
        self.sessions.cancel_all()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.link.close()


class SessionRelays:
    """The instance that has a session: one relay follower per session another instance asks
    for, publishing on the session's channel; relays with no request for `stale_s` end."""

    def __init__(self, link: RedisLink, registry: SessionRegistry, stale_s: float) -> None:
        self.link = link
        self.registry = registry
        self.stale_s = stale_s
        self._relays: dict[str, tuple[Outbox, asyncio.Task[None], list[float]]] = {}

    async def wanted(self, session_id: str) -> None:
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
            task = asyncio.create_task(self._relay(session, outbox))
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
        await self.link.publish(self.link.channel(session_id), b"H" + json.dumps(envelope).encode())

    async def _relay(self, session: LiveSession, outbox: Outbox) -> None:
        """Everything a follower would get, onto the session's channel; notes come back. Ends
        when the session closes, when it goes stale, or when Redis is lost (the followers'
        instance asks again and gets a new relay)."""
        try:
            async with self.link.subscribed(self.link.inbound(session.id)) as pubsub:
                await _first_to_end(self._publish(session, outbox), self._notes(session, pubsub))
        except asyncio.CancelledError:
            raise
        except self.link.lost as exc:
            log.warning("live relay: session %s: relay ended, Redis lost (%s)", session.id, exc)
        except Exception:
            log.exception("live relay: session %s: publishing stopped", session.id)
        finally:
            session.remove_follower(outbox)
            if self._relays.get(session.id, (None,))[0] is outbox:  # not a newer relay
                self._relays.pop(session.id, None)

    async def _publish(self, session: LiveSession, outbox: Outbox) -> None:
        channel = self.link.channel(session.id)
        while True:
            item = await outbox.get()
            if isinstance(item, Closing):
                closing = {"type": "_closing", "code": item.code, "reason": item.reason}
                await self.link.publish(channel, _encode(closing))
                return
            try:
                data = _encode(item)
            except (TypeError, ValueError):
                continue  # not JSON: a local follower would not get it either
            await self.link.publish(channel, data)

    async def _notes(self, session: LiveSession, pubsub: Any) -> None:
        while True:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if msg is None:
                continue
            with contextlib.suppress(ValueError, TypeError):
                session.therapist_message(str(json.loads(msg["data"])["text"]))

    def drop_stale(self) -> None:
        now = time.monotonic()
        for sid, (_outbox, task, last) in list(self._relays.items()):
            if now - last[0] > self.stale_s:
                task.cancel()
                self._relays.pop(sid, None)

    def cancel_all(self) -> None:
        for _outbox, task, _last in list(self._relays.values()):
            task.cancel()


class RemoteFollows:
    """An instance whose follower wants a session it does not have: asks on `want` (again
    every `ASK_EVERY_S` while it follows), passes the session's channel on to the socket and
    the therapist's notes back."""

    def __init__(self, link: RedisLink, registry: SessionRegistry) -> None:
        self.link = link
        self.registry = registry
        self._following: dict[str, int] = {}  # this instance's followers of remote sessions

    async def follow(
        self,
        ws: WebSocket,
        session_id: str,
        may_follow: Callable[[Any], bool],
    ) -> None:
        """Follow a session of another instance on an accepted socket; `refuse` as for a local
        one when no instance has it (or this user may not see it), and with
        `relay_unavailable` when Redis is lost (the page reconnects)."""
        if self._following.get(session_id, 0) >= self.registry.limits.max_followers:
            await _refuse(ws, "too_many", "This session already has the most followers.")
            return
        self._following[session_id] = self._following.get(session_id, 0) + 1
        try:
            async with self.link.subscribed(self.link.channel(session_id)) as pubsub:
                await self.link.publish(self.link.want, session_id)
                hello = await self._hello(pubsub)
                if hello is None or not may_follow(SimpleNamespace(patient_id=hello["patient_id"])):
                    await _refuse(
                        ws,
                        "unknown_session",
                        "No live session with this id. It may not have started yet, or it has "
                        "expired.",
                    )
                    return
                await ws.send_text(json.dumps(hello["hello"]))
                await _first_to_end(
                    self._keep_asking(session_id),
                    self._to_follower(ws, pubsub),
                    self._from_follower(ws, session_id),
                )
        except self.link.lost as exc:
            log.warning(
                "live relay: a follow of session %s ended, Redis lost (%s)", session_id, exc
            )
            await _try_again_later(ws)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        finally:
            left = self._following.pop(session_id, 1) - 1
            if left > 0:
                self._following[session_id] = left

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
            await self.link.publish(self.link.want, session_id)

    async def _to_follower(self, ws: WebSocket, pubsub: Any) -> None:
        while True:
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
        one per `MESSAGE_INTERVAL_S`); a closed socket ends the follow, and so does a socket
        that sends nothing for `follower_idle_timeout_s`."""
        last = 0.0
        idle_s = self.registry.limits.follower_idle_timeout_s
        while True:
            try:
                message = await asyncio.wait_for(ws.receive(), idle_s)
            except asyncio.TimeoutError:  # as a local follower: the follow page pings
                await _refuse(ws, "idle_timeout", FOLLOWER_IDLE_WORDS)
                return
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if not text:
                continue
            parsed = parse_message(text, MAX_TEXT_CHARS)  # strict, as for a local follower
            if isinstance(parsed, str):
                continue
            with contextlib.suppress(ValueError, TypeError, AttributeError):
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
                    await self.link.publish(self.link.inbound(session_id), note)


async def _try_again_later(ws: WebSocket) -> None:
    """A follow through the relay lost Redis: say so (the page shows it) and close with 1013,
    after which the page reconnects as after any close but 4404."""
    error = {
        "type": "error",
        "code": "relay_unavailable",
        "message": "The servers lost their link to each other for a moment: reconnecting.",
        "fatal": True,
    }
    with contextlib.suppress(Exception):
        await ws.send_text(json.dumps(error))
        await ws.close(CLOSE_TRY_AGAIN, "relay_unavailable")


async def _first_to_end(*jobs: Coroutine[Any, Any, None]) -> None:
    """Run `jobs` together until one of them ends; the others are cancelled, and what the
    first raised is raised here."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        task.result()
