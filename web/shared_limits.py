"""The sign-in limiter of a cluster: the same rules as `access.LoginLimiter`, its failure
counts in Redis so that every instance behind the load balancer slows the same guesser.

Each count is a Redis hash (`coach:login:<kind>:<key>`: count, time of the last failure) that
expires `forget_s` after its last failure; wall-clock time, since the instances' monotonic
clocks differ. Redis unreachable: the attempt is checked against the password as usual (no
one is locked out by an outage) and the failure is logged.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from web.access import LoginLimiter, _Failures

log = logging.getLogger(__name__)


class RedisLoginLimiter(LoginLimiter):
    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.redis = client

    def clock(self) -> float:
        return time.time()

    @staticmethod
    def _name(key: tuple[str, ...]) -> str:
        # Hashed: a username or address is never a Redis key in clear (nor of unbounded size).
        digest = hashlib.sha256("\0".join(key[1:]).encode()).hexdigest()[:32]
        return f"coach:login:{key[0]}:{digest}"

    def _entry(self, key: tuple[str, ...]) -> _Failures | None:
        try:
            raw = self.redis.hmget(self._name(key), "count", "last")
        except Exception as exc:  # redis.RedisError, OSError
            log.warning("sign-in limiter: Redis unreachable (%s)", exc)
            return None
        if raw[0] is None:
            return None
        return _Failures(count=int(raw[0]), last=float(raw[1] or 0.0))

    def _add_failure(self, key: tuple[str, ...], now: float) -> None:
        name = self._name(key)
        try:
            with self.redis.pipeline() as pipe:
                pipe.hincrby(name, "count", 1)
                pipe.hset(name, "last", now)
                pipe.expire(name, int(self.forget_s))
                pipe.execute()
        except Exception as exc:
            log.warning("sign-in limiter: Redis unreachable (%s)", exc)

    def _clear(self, key: tuple[str, ...]) -> None:
        try:
            self.redis.delete(self._name(key))
        except Exception as exc:
            log.warning("sign-in limiter: Redis unreachable (%s)", exc)

    def reset(self) -> None:
        for name in self.redis.scan_iter("coach:login:*"):
            self.redis.delete(name)
