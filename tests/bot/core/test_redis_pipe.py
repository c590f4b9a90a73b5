"""Concurrent Redis commands share pipelines; each caller gets its own reply or error."""

import asyncio
import uuid

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from bot.core.redis_pipe import Pipelined


async def test_a_burst_shares_round_trips_and_each_caller_gets_its_reply(redis_url) -> None:
    redis = Redis.from_url(redis_url, decode_responses=True)
    prefix = f"test-pipe-{uuid.uuid4().hex[:6]}"
    try:
        pipe = Pipelined(redis)
        replies = await asyncio.gather(
            *(pipe.call("SET", f"{prefix}:{n % 50}", str(n), "NX", "EX", 60) for n in range(100))
        )
        assert sum(bool(r) for r in replies) == 50  # the second SET NX of a key is refused
        assert pipe.round_trips < 10
        values = await asyncio.gather(*(pipe.call("GET", f"{prefix}:{n}") for n in range(50)))
        assert values == [str(n) for n in range(50)]  # the first of each pair won
        await redis.delete(*(f"{prefix}:{n}" for n in range(50)))
    finally:
        await redis.aclose()


async def test_an_error_reply_reaches_only_its_caller(redis_url) -> None:
    redis = Redis.from_url(redis_url, decode_responses=True)
    key = f"test-pipe-{uuid.uuid4().hex[:6]}"
    try:
        pipe = Pipelined(redis)
        ok, bad, after = await asyncio.gather(
            pipe.call("SET", key, "text"),
            pipe.call("INCR", key),  # not a number
            pipe.call("GET", key),
            return_exceptions=True,
        )
        assert ok and after == "text"
        assert isinstance(bad, ResponseError)
        await redis.delete(key)
    finally:
        await redis.aclose()


async def test_sent_commands_arrive_in_order_without_a_waiter(redis_url) -> None:
    redis = Redis.from_url(redis_url, decode_responses=True)
    channel = f"test-pipe-{uuid.uuid4().hex[:6]}"
    listener = redis.pubsub()
    try:
        await listener.subscribe(channel)
        await listener.get_message(timeout=1.0)
        pipe = Pipelined(redis)
        for n in range(20):
            pipe.send("PUBLISH", channel, str(n))
        got: list[str] = []
        async with asyncio.timeout(5):
            while len(got) < 20:
                item = await listener.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if item:
                    got.append(item["data"])
        assert got == [str(n) for n in range(20)]
    finally:
        await listener.aclose()
        await redis.aclose()


async def test_redis_away_fails_every_waiting_caller() -> None:
    redis = Redis.from_url("redis://127.0.0.1:1/0")  # nothing listens there
    try:
        pipe = Pipelined(redis)
        results = await asyncio.gather(
            *(pipe.call("GET", f"k{n}") for n in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, RedisConnectionError) for r in results)
        pipe.send("PUBLISH", "nowhere", "x")  # best effort: no error escapes
        await asyncio.sleep(0.2)
        with pytest.raises(RedisConnectionError):
            await pipe.call("PING")  # and the pipe still works for the next caller
    finally:
        await redis.aclose()
