"""Live fan-out of conversation events through Redis pub/sub (any replica to any socket)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis


class LiveEvents:
    def __init__(self, redis_url: str, prefix: str) -> None:
        self.redis: Redis = Redis.from_url(redis_url, decode_responses=True)
        self._prefix = prefix

    def _channel(self, conversation_public_id: str) -> str:
        return f"{self._prefix}:conv:{conversation_public_id}"

    async def publish(self, conversation_public_id: str, payload: dict[str, Any]) -> None:
        await self.redis.publish(self._channel(conversation_public_id), json.dumps(payload))

    @asynccontextmanager
    async def subscribe(
        self, conversation_public_id: str
    ) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._channel(conversation_public_id))

        async def frames() -> AsyncIterator[dict[str, Any]]:
            async for item in pubsub.listen():
                if item.get("type") == "message":
                    yield json.loads(item["data"])

        try:
            yield frames()
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _wake_channel(self) -> str:
        return f"{self._prefix}:wake"

    async def wake(self, what: str) -> None:
        """Tell every process's worker there is new work (best effort: they also poll)."""
        try:
            await self.redis.publish(self._wake_channel(), what)
        except Exception:  # noqa: S110 - a wake-up is an optimisation, never a requirement
            pass

    async def wakes(self) -> AsyncIterator[str]:
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._wake_channel())
        try:
            async for item in pubsub.listen():
                if item.get("type") == "message":
                    yield str(item["data"])
        finally:
            # bounded: redis-py can stall closing a subscription (redis/redis-py#3941)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pubsub.aclose(), 2.0)  # type: ignore[no-untyped-call]

    def staff_channel(self) -> str:
        return f"{self._prefix}:staff"

    async def publish_staff(self, payload: dict[str, Any]) -> None:
        """Notices for the agent and supervisor consoles."""
        await self.redis.publish(self.staff_channel(), json.dumps(payload, ensure_ascii=False))

    async def ping(self) -> bool:
        return bool(await self.redis.ping())

    async def close(self) -> None:
        await self.redis.aclose()
