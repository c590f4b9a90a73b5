"""Bounded waits: clean-up that ignores cancellation must not hold the caller."""

import asyncio
import logging
import time

from redis.asyncio import Redis

from bot.core.bounded import close_subscription, within


async def _stubborn(released: asyncio.Event) -> None:
    """Work that will not stop when cancelled (what a stuck socket close looked like)."""
    while True:
        try:
            await released.wait()
            return
        except asyncio.CancelledError:
            continue


async def test_work_that_ignores_cancellation_is_left_behind(caplog) -> None:
    released = asyncio.Event()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="bot.core.bounded"):
        finished = await within("stubborn work", _stubborn(released), 0.2)
    assert finished is False
    assert time.monotonic() - started < 2.0  # asyncio.wait_for here waits for ever
    assert "stubborn work took over" in caplog.text
    released.set()  # let the abandoned task end so the loop closes cleanly
    await asyncio.sleep(0)


async def test_work_in_time_and_its_error_is_logged_not_raised(caplog) -> None:
    async def quick() -> None:
        await asyncio.sleep(0)

    async def broken() -> None:
        raise ValueError("boom")

    assert await within("quick", quick(), 1.0) is True
    with caplog.at_level(logging.WARNING, logger="bot.core.bounded"):
        assert await within("broken", broken(), 1.0) is True
    assert "broken failed: ValueError" in caplog.text


async def test_a_cancelled_waiter_cancels_the_work() -> None:
    inner = asyncio.ensure_future(asyncio.sleep(30))
    outer = asyncio.create_task(within("sleep", inner, 60))
    await asyncio.sleep(0.05)
    outer.cancel()
    await asyncio.gather(outer, return_exceptions=True)
    assert inner.cancelled()


async def test_closing_a_subscription_ends_it_at_the_server(redis_url) -> None:
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        channel = f"anxin-test-bounded-{time.time_ns()}"
        pubsub = client.pubsub()
        await pubsub.subscribe(channel)
        await pubsub.get_message(timeout=1.0)
        assert (await client.pubsub_numsub(channel))[0][1] == 1
        await close_subscription(pubsub)
        for _ in range(50):
            if (await client.pubsub_numsub(channel))[0][1] == 0:
                break
            await asyncio.sleep(0.02)
        assert (await client.pubsub_numsub(channel))[0][1] == 0
    finally:
        await client.aclose()
