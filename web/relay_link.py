"""An instance's link to Redis for the live relay (web/live_relay.py): the client, the channel
names under the cluster's name, and the `want` subscription held for as long as it runs.

Every channel name starts with the cluster's name (`<cluster>:live:want`; COACH_CLUSTER_NAME,
`coach.store.cluster.cluster_name`): Redis pub/sub ignores the database number, so two
clusters on one Redis would otherwise hear each other's sessions.

Redis may restart under a running cluster. The `want` subscription is then taken again with
growing waits (`BACKOFF_FIRST_S` doubling up to `BACKOFF_MAX_S`), each loss and each return
said once in the log, and `state` gives /healthz the state. A connection that goes silent
without closing (a firewall dropping it, a host lost) is noticed too: the instance sends itself
a probe on `want` every `probe_every_s`, and one that does not come back by the next is a
loss.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

log = logging.getLogger(__name__)

BACKOFF_FIRST_S = 0.5  # the first wait before subscribing again after Redis was lost
BACKOFF_MAX_S = 10.0  # the longest: an instance is following again within this of Redis's return
PROBE = "~probe:"  # `want` messages that are no session id (ids never start with "~")

# "starting", "connected" (the `want` channel is subscribed: following across instances works),
# or "reconnecting" (Redis lost; subscribing again with back-off).
LinkState = Literal["starting", "connected", "reconnecting"]


class RedisLink:
    """One per instance: the relay's Redis client and channels, and `serve`, which hears
    `want` for as long as the instance runs, through Redis restarts and silent connections."""

    def __init__(self, url: str, *, cluster: str, probe_every_s: float = 15.0) -> None:
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        # Time-outs: an unreachable or silent Redis fails a command instead of hanging it.
        self.redis = aioredis.Redis.from_url(
            url, socket_connect_timeout=5.0, socket_timeout=10.0, socket_keepalive=True
        )
        self.cluster = cluster
        self.probe_every_s = probe_every_s
        self.state: LinkState = "starting"
        self.lost: type[Exception] = RedisError  # what a lost (or restarting) Redis raises here
        self._lost_at = 0.0

    # ---- channel names ---------------------------------------------------------------------
    @property
    def want(self) -> str:
        return f"{self.cluster}:live:want"

    def channel(self, session_id: str) -> str:
        return f"{self.cluster}:live:{session_id}"

    def inbound(self, session_id: str) -> str:
        return f"{self.cluster}:live-in:{session_id}"

    async def publish(self, channel: str, data: bytes | str) -> None:
        await self.redis.publish(channel, data)

    @contextlib.asynccontextmanager
    async def subscribed(self, name: str) -> AsyncIterator[Any]:
        pubsub = self.redis.pubsub()
        try:
            await pubsub.subscribe(name)
            yield pubsub
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    # ---- the `want` subscription -------------------------------------------------------------
    async def serve(
        self, wanted: Callable[[str], Awaitable[None]], tick: Callable[[], None]
    ) -> None:
        """Hear `want` for as long as the instance runs, subscribing again after a loss:
        `wanted(session id)` for each request, `tick()` about once a second."""
        wait = BACKOFF_FIRST_S
        while True:
            try:
                async with self.subscribed(self.want) as pubsub:
                    await self._confirmed(pubsub)
                    self._connected()
                    wait = BACKOFF_FIRST_S
                    await self._hear(pubsub, wanted, tick)
            except asyncio.CancelledError:
                raise
            except self.lost as exc:
                self._reconnecting(exc, wait)
            except Exception:  # a fault of ours: logged in full, and serving goes on
                log.exception("live relay: serving other instances failed; starting again")
                self.state, self._lost_at = "reconnecting", time.monotonic()
            await asyncio.sleep(wait)
            wait = min(wait * 2, BACKOFF_MAX_S)

    async def _confirmed(self, pubsub: Any) -> None:
        """Redis's answer to the subscription: until it comes, nothing is connected."""
        deadline = time.monotonic() + BACKOFF_MAX_S
        while (left := deadline - time.monotonic()) > 0:
            msg = await pubsub.get_message(timeout=left)
            if msg is not None and msg["type"] == "subscribe":
                return
        raise self.lost("Redis did not confirm the subscription")

    async def _hear(
        self, pubsub: Any, wanted: Callable[[str], Awaitable[None]], tick: Callable[[], None]
    ) -> None:
        """Pass on the sessions asked for, tick, and check that the subscription still
        hears: a probe of this instance's own must come back."""
        probe = PROBE + secrets.token_hex(6)
        sent = heard = next_probe = time.monotonic()
        while True:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if msg is not None:
                asked = msg["data"].decode("ascii", "replace")[:64]
                if asked == probe:
                    heard = time.monotonic()
                elif not asked.startswith(PROBE):
                    await wanted(asked)
            if time.monotonic() >= next_probe:
                if heard < sent:
                    raise self.lost(f"the subscription heard nothing in {self.probe_every_s:g} s")
                try:
                    await asyncio.wait_for(self.redis.publish(self.want, probe), self.probe_every_s)
                except asyncio.TimeoutError:
                    raise self.lost(f"no answer in {self.probe_every_s:g} s") from None
                sent, next_probe = time.monotonic(), time.monotonic() + self.probe_every_s
            tick()

    def _connected(self) -> None:
        if self.state == "reconnecting":
            log.warning(
                "live relay: Redis is back after %.0f s; following across instances works again",
                time.monotonic() - self._lost_at,
            )
        elif self.state == "starting":
            log.info("live relay: on Redis, channels %s:live:*", self.cluster)
        self.state = "connected"

    def _reconnecting(self, exc: Exception, wait: float) -> None:
        if self.state != "reconnecting":  # said once per loss, not at every attempt
            self._lost_at = time.monotonic()
            log.warning(
                "live relay: lost Redis (%s); following across instances stops until it is "
                "back (trying again in %.1f s, then up to every %.0f s)",
                exc,
                wait,
                BACKOFF_MAX_S,
            )
        self.state = "reconnecting"

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.redis.aclose()
