"""Which agents are online: a heartbeat in a Redis sorted set (score = last beat)."""

from __future__ import annotations

import time

from redis.asyncio import Redis

STALE_S = 30.0


class Presence:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._key = f"{prefix}:agents:online"

    async def beat(self, agent: str) -> None:
        await self._redis.zadd(self._key, {agent: time.time()})

    async def leave(self, agent: str) -> None:
        await self._redis.zrem(self._key, agent)

    async def online(self) -> set[str]:
        members = await self._redis.zrangebyscore(self._key, time.time() - STALE_S, "+inf")
        return {m.decode() if isinstance(m, bytes) else str(m) for m in members}
