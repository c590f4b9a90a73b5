"""Which agents are on shift: a heartbeat in a Redis sorted set (score = last beat) and
a status an agent sets (online or away). Away agents keep their chats and get no offers;
an agent without a recent heartbeat is offline. Supervisors and admins come on shift
watching: no offers, and no customer waits for them, until they choose to take chats."""

from __future__ import annotations

import time

from redis.asyncio import Redis

STALE_S = 30.0
# watching: on the floor (a supervisor's default), not offered chats, not counted as
# on shift for a customer asking for a person
WATCHING = "watching"
STATUSES = ("online", "away", WATCHING)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Presence:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._key = f"{prefix}:agents:online"
        self._status_key = f"{prefix}:agents:status"

    async def join(self, agent: str, offers: bool) -> None:
        """Someone opened the console: on shift. A supervisor or admin (``offers``
        False) starts watching — offered chats only once they choose to take them
        (status online); a status already chosen in another open console stays."""
        if not offers:
            await self._redis.hsetnx(self._status_key, agent, WATCHING)
        await self.beat(agent)

    async def beat(self, agent: str) -> None:
        await self._redis.zadd(self._key, {agent: time.time()})

    async def leave(self, agent: str) -> None:
        await self._redis.zrem(self._key, agent)
        await self._redis.hdel(self._status_key, agent)

    async def set_status(self, agent: str, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        await self._redis.hset(self._status_key, agent, status)

    async def online(self) -> set[str]:
        """Agents with a recent heartbeat, away or not (their chats stay theirs)."""
        members = await self._redis.zrangebyscore(self._key, time.time() - STALE_S, "+inf")
        return {_text(m) for m in members if isinstance(m, bytes | str)}

    async def statuses(self) -> dict[str, str]:
        """Every agent on shift and their status: online or away."""
        online = await self.online()
        raw = await self._redis.hgetall(self._status_key)
        set_by_agent = {_text(k): _text(v) for k, v in raw.items()}
        return {agent: set_by_agent.get(agent, "online") for agent in online}

    async def on_shift(self) -> set[str]:
        """Who a customer may wait for: online or briefly away, not only watching."""
        return {agent for agent, status in (await self.statuses()).items() if status != WATCHING}

    async def available(self) -> set[str]:
        """Agents who may be offered new chats."""
        return {agent for agent, status in (await self.statuses()).items() if status == "online"}
