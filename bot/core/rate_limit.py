"""Fixed-window rate limits kept in Redis, so every replica counts together: web chat
messages per visitor and per address.

One Lua script counts the request and starts the window in a single atomic step, with
commands every Redis since 2.6 knows (the embedded Redis is 6.2, which has no
``EXPIRE … NX``). A limit that cannot be checked refuses: ``LimitUnavailable``, answered
503 with a retry delay, so the page resends the message later and nothing is lost.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# KEYS[1] the counter, ARGV[1] the window in seconds. Returns {count, seconds left}.
_COUNT = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""
RETRY_AFTER_S = 5


class LimitUnavailable(Exception):
    """The limit could not be checked (Redis unreachable or refusing): the request is
    refused, to be tried again after ``RETRY_AFTER_S``."""


class RateLimit:
    def __init__(self, redis: Redis, prefix: str, name: str, limit: int, window_s: int) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:rate:{name}"
        self.limit = limit
        self.window_s = window_s
        self._count = redis.register_script(_COUNT)

    async def wait_s(self, who: str) -> int:
        """Count one request from ``who``: 0 if it may go on, else seconds to wait."""
        if self.limit <= 0:
            return 0
        try:
            count, ttl = await self._count(keys=[f"{self._prefix}:{who}"], args=[self.window_s])
        except RedisError as exc:
            log.warning("rate limit %s cannot be checked: %s", self._prefix, type(exc).__name__)
            raise LimitUnavailable(self._prefix) from exc
        if int(count) <= self.limit:
            return 0
        return max(int(ttl), 1)
