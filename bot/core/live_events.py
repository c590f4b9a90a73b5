"""Live fan-out of conversation events through Redis pub/sub (any replica to any socket)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis

from bot.core.bounded import close_subscription
from bot.core.redis_pipe import Pipelined

COMMAND_CONNECTIONS = 64  # a burst waits for a free connection instead of failing
SUBSCRIBER_CONNECTIONS = 10_000  # each open chat or console holds one while it listens


class LiveEvents:
    def __init__(self, redis_url: str, prefix: str) -> None:
        # Short commands share a bounded pool; past it they wait (up to 5 s). redis-py's
        # default pool raises MaxConnectionsError instead, which turned a burst of
        # 300 webhooks a second into 503s.
        self.redis: Redis = Redis.from_pool(
            BlockingConnectionPool.from_url(
                redis_url, decode_responses=True, max_connections=COMMAND_CONNECTIONS, timeout=5
            )
        )
        # what webhooks ask of Redis under a burst goes out in pipelines (bot.core.redis_pipe)
        self.commands = Pipelined(self.redis)
        # Subscriptions hold their connection for as long as someone listens.
        self.subscriber: Redis = Redis.from_url(
            redis_url, decode_responses=True, max_connections=SUBSCRIBER_CONNECTIONS
        )
        self._prefix = prefix

    def _channel(self, conversation_public_id: str) -> str:
        return f"{self._prefix}:conv:{conversation_public_id}"

    async def publish(self, conversation_public_id: str, payload: dict[str, Any]) -> None:
        await self.redis.publish(self._channel(conversation_public_id), json.dumps(payload))

    def publish_soon(self, conversation_public_id: str, payload: dict[str, Any]) -> None:
        """Publish without waiting (best effort): with whatever else is on its way."""
        self.commands.send("PUBLISH", self._channel(conversation_public_id), json.dumps(payload))

    @asynccontextmanager
    async def subscribe(
        self, conversation_public_id: str
    ) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        pubsub = self.subscriber.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._channel(conversation_public_id))

        async def frames() -> AsyncIterator[dict[str, Any]]:
            async for item in pubsub.listen():
                if item.get("type") == "message":
                    yield json.loads(item["data"])

        try:
            yield frames()
        finally:
            await close_subscription(pubsub)

    def _wake_channel(self) -> str:
        return f"{self._prefix}:wake"

    async def wake(self, what: str) -> None:
        """Tell every process's worker there is new work (best effort: they also poll)."""
        try:
            await self.redis.publish(self._wake_channel(), what)
        except Exception:  # noqa: S110 - a wake-up is an optimisation, never a requirement
            pass

    async def wakes(self) -> AsyncIterator[str]:
        pubsub = self.subscriber.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._wake_channel())
        try:
            async for item in pubsub.listen():
                if item.get("type") == "message":
                    yield str(item["data"])
        finally:
            await close_subscription(pubsub)

    def staff_channel(self) -> str:
        return f"{self._prefix}:staff"

    def person_channel(self, name: str) -> str:
        """Notices for one member of staff (an @mention), whichever apps they have open."""
        return f"{self._prefix}:staff:{name}"

    async def publish_person(self, name: str, payload: dict[str, Any]) -> None:
        await self.redis.publish(self.person_channel(name), json.dumps(payload, ensure_ascii=False))

    async def publish_staff(self, payload: dict[str, Any]) -> None:
        """Notices for the agent and supervisor consoles."""
        await self.redis.publish(self.staff_channel(), json.dumps(payload, ensure_ascii=False))

    async def ping(self) -> bool:
        return bool(await self.redis.ping())

    async def close(self) -> None:
        await self.redis.aclose()
        await self.subscriber.aclose()
