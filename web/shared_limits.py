"""The sign-in limiter of a cluster: the same rules as `access.LoginLimiter`, its failure
counts in Redis so that every instance behind the load balancer slows the same guesser.

Each count is a Redis hash (`coach:login:<kind>:<key>`: count, time of the last failure) that
expires `forget_s` after its last failure; wall-clock time, since the instances' monotonic
clocks differ. `reserve` is one Lua script (atomic in Redis): it reads both counts and, when
neither imposes a wait, counts the attempt in both, so concurrent attempts on any instances
cannot all pass before one is counted. Redis unreachable: the attempt is checked against the
password as usual (no one is locked out by an outage) and the failure is logged.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from web.access import LoginLimiter, _Failures

log = logging.getLogger(__name__)


# KEYS: the counts; ARGV: now, base_s, max_s, forget_s, then each key's free failures. The
# wait as a string (a Lua number would come back as a truncated integer).
_RESERVE = """
local now, base, most, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local wait = 0
for i, key in ipairs(KEYS) do
  local free = tonumber(ARGV[4 + i])
  local v = redis.call('HMGET', key, 'count', 'last')
  local count = tonumber(v[1]) or 0
  if count >= free then
    local delay = math.min(most, base * 2 ^ math.min(count - free, 64))
    wait = math.max(wait, (tonumber(v[2]) or 0) + delay - now)
  end
end
if wait > 0 then return tostring(wait) end
for _, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'count', 1)
  redis.call('HSET', key, 'last', ARGV[1])
  redis.call('EXPIRE', key, ttl)
end
return '0'
"""
_TAKE_BACK = """
if redis.call('HGET', KEYS[1], 'count') then
  local left = redis.call('HINCRBY', KEYS[1], 'count', -1)
  if left < 0 then redis.call('HSET', KEYS[1], 'count', 0) end
end
"""


class RedisLoginLimiter(LoginLimiter):
    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.redis = client
        self._reserve_script = client.register_script(_RESERVE)
        self._take_back_script = client.register_script(_TAKE_BACK)

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

    def _reserve(self, keys: list[tuple[tuple[str, ...], int]], now: float) -> float:
        args = [now, self.base_s, self.max_s, int(self.forget_s), *(free for _, free in keys)]
        try:
            wait = self._reserve_script(keys=[self._name(key) for key, _ in keys], args=args)
        except Exception as exc:  # redis.RedisError, OSError
            log.warning("sign-in limiter: Redis unreachable (%s)", exc)
            return 0.0
        return max(0.0, float(wait))

    def _take_back(self, key: tuple[str, ...]) -> None:
        try:
            self._take_back_script(keys=[self._name(key)])
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
