"""Security finding 1: web-chat rate limits failed open on the embedded Redis (6.2 has no
``EXPIRE … NX``). They hold on the embedded Redis and the real one, and a limit that
cannot be checked refuses."""

from __future__ import annotations

import uuid

import pytest
from redis.asyncio import Redis

from bot.core.rate_limit import LimitUnavailable, RateLimit
from fakes.processes import free_port


async def test_finding_1_limits_hold_on_the_embedded_and_the_real_redis(redis_under_test) -> None:
    redis = Redis.from_url(redis_under_test)
    limit = RateLimit(redis, f"t-{uuid.uuid4().hex[:6]}", "webchat-visitor", 3, 60)
    waits = [await limit.wait_s("visitor-1") for _ in range(5)]
    assert waits[:3] == [0, 0, 0]
    assert all(0 < w <= 60 for w in waits[3:])
    assert await limit.wait_s("visitor-2") == 0  # counted per visitor
    await redis.aclose()


async def test_finding_1_a_limit_that_cannot_be_checked_refuses() -> None:
    nowhere = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    limit = RateLimit(nowhere, "t", "webchat-visitor", 3, 60)
    with pytest.raises(LimitUnavailable):
        await limit.wait_s("visitor-1")
    await nowhere.aclose()
