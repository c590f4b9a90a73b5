"""``bot.core.live_events``: a burst of Redis commands larger than the pool waits for a
connection instead of failing (redis-py's default pool raises MaxConnectionsError,
which made the WeChat webhook answer 503 at 300 messages a second)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from bot.core.live_events import COMMAND_CONNECTIONS, LiveEvents
from channels.wechat import remember_nonce


def test_a_burst_larger_than_the_pool_waits_for_connections(redis_url: str) -> None:
    prefix = f"test-live-{uuid.uuid4().hex[:6]}"

    async def burst() -> None:
        events = LiveEvents(redis_url, prefix)
        try:
            await asyncio.gather(
                *(
                    remember_nonce(events.commands, prefix, str(n), "1700000000", b"body")
                    for n in range(COMMAND_CONNECTIONS * 5)
                )
            )
            keys = [key async for key in events.redis.scan_iter(f"{prefix}:*", count=1000)]
            assert len(keys) == COMMAND_CONNECTIONS * 5
            await events.redis.delete(*keys)
        finally:
            await events.close()

    asyncio.run(burst())


def test_subscriptions_do_not_take_the_command_pool(redis_url: str) -> None:
    """An open chat holds a connection while it listens; many of them must leave the
    commands (webhooks) their own pool."""
    prefix = f"test-live-{uuid.uuid4().hex[:6]}"

    async def listen_and_publish() -> None:
        events = LiveEvents(redis_url, prefix)
        try:
            async with contextlib.AsyncExitStack() as stack:
                for n in range(COMMAND_CONNECTIONS + 5):
                    await stack.enter_async_context(events.subscribe(f"conv-{n}"))
                async with asyncio.timeout(10):
                    await events.publish("conv-0", {"type": "ping"})
                    assert await events.ping()
        finally:
            await events.close()

    asyncio.run(listen_and_publish())
