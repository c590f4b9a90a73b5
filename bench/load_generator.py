"""The load generator of ``bench.load``: one message per new customer, over the signed
WeChat webhook or web chat, at an open-loop rate, with what each was answered."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.webhook_ack import RUN, percentile, signed_query, text_xml

QUESTIONS = [
    "您好，请问在吗",
    "hey, good morning",
    "信用卡怎么激活",
    "how do I activate my debit card",
    "转账限额怎么提高",
    "what are the opening hours on sunday",
    "忘记登录密码了",
    "How do I reset my online banking password?",
    "信用卡账单怎么还",
    "I want to open a bank account",
    "查询工单 AX26112800005",
    "what's the status of ticket AX26112800005",
    "今天股市怎么样",
    "what's your favourite colour",
    "谢谢啦",
    "thanks a bunch",
]
BUSY = ("系统正忙", "We are busy")


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def summary(values: list[float]) -> dict[str, float | None]:
    """p50/p95/p99 in milliseconds of latencies in seconds."""
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None}
    return {
        "p50_ms": _ms(statistics.median(values)),
        "p95_ms": _ms(percentile(values, 95)),
        "p99_ms": _ms(percentile(values, 99)),
    }


@dataclass
class Sent:
    """What the load generator sent and what it was told."""

    wechat_at: dict[str, float] = field(default_factory=dict)  # openid -> send time
    acks: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    webchat: int = 0


class Load:
    """Sends one message per new customer over the signed WeChat webhook or web chat
    (a web-chat customer opens a session first; the acknowledgement timed is the message's).

    aiohttp, not httpx: the generator shares the two cores with what it measures, and
    httpx costs about ten times the CPU per request (1.56 ms against 0.16 ms here)."""

    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url, self.http, self.n = url, http, 0

    async def _post(self, sent: Sent, path: str, **body: Any) -> bool:
        started = time.monotonic()
        try:
            async with self.http.post(f"{self.url}{path}", **body) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            sent.failures[type(exc).__name__] += 1
            return False
        sent.acks.append(time.monotonic() - started)
        sent.statuses[status] += 1
        return status in (200, 202)

    async def wechat(self, sent: Sent) -> None:
        self.n += 1
        i, openid = self.n, f"o-load-{RUN}-{self.n}"
        body = text_xml(i, random.choice(QUESTIONS), openid)
        at = time.monotonic()
        if await self._post(sent, f"/webhooks/wechat?{signed_query()}", data=body.encode()):
            sent.wechat_at[openid] = at

    async def webchat(self, sent: Sent) -> None:
        """A new customer, as the chat page does it: open a session, then write."""
        self.n += 1
        n = self.n  # taken now: other customers count on while this one awaits
        try:
            async with self.http.post(f"{self.url}/chat/session") as response:
                opened = await response.json() if response.status == 201 else None
        except (aiohttp.ClientError, TimeoutError) as exc:
            sent.failures[type(exc).__name__] += 1
            return
        if opened is None:
            sent.failures[f"session {response.status}"] += 1
            return
        payload = {"id": f"load-{RUN}-{n}", "text": random.choice(QUESTIONS)}
        headers = {"X-Chat-Session": opened["session"]}
        if await self._post(sent, "/webhooks/webchat", json=payload, headers=headers):
            sent.webchat += 1


async def at_rate(
    rate: float, seconds: float, send: Callable[[int], Coroutine[Any, Any, None]]
) -> None:
    """Open loop: start message k at k/rate seconds, whether or not earlier ones are done."""
    started, tasks = time.monotonic(), list[asyncio.Task[None]]()
    for k in range(round(rate * seconds)):
        delay = started + k / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(k)))
    await asyncio.gather(*tasks)
