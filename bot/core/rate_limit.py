"""Fixed-window rate limits kept in Redis, so every replica counts together: web chat
messages per visitor and per address. When Redis cannot be reached the limit is not
applied (a customer's message is worth more than the limit)."""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class RateLimit:
    def __init__(self, redis: Redis, prefix: str, name: str, limit: int, window_s: int) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:rate:{name}"
        self.limit = limit
        self.window_s = window_s

    async def wait_s(self, who: str) -> int:
        """Count one request from ``who``: 0 if it may go on, else seconds to wait."""
        if self.limit <= 0:
            return 0
        key = f"{self._prefix}:{who}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self.window_s, nx=True)
                count, _ = await pipe.execute()
            if int(count) <= self.limit:
                return 0
            return max(int(await self._redis.ttl(key)), 1)
        except RedisError as exc:
            log.warning("rate limit %s not applied: %s", self._prefix, type(exc).__name__)
            return 0
