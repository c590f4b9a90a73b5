"""Signed WeChat messages into the real service: how fast WeChat gets its ``success``,
how long until the reply reaches the (fake) customer-service API, and whether every
message got exactly one reply.

    python -m bench.webhook_ack [--messages 500] [--concurrency 20]
        [--database-url postgresql://postgres@127.0.0.1:5432/test] [--redis-url redis://127.0.0.1:6379/0]

Rasa is played by a fake that answers at once, so this measures the service (inbox,
router, outbox, channel adapter), not the model. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bot.core.migrate import upgrade
from channels.wechat_crypto import sha1_signature
from fakes.processes import free_port, start_service, stop_service
from fakes.providers import FakeRasa, FakeWeChat

TOKEN = "bench-wechat-token"
RUN = random.randint(1, 10**6) * 10**6  # fresh MsgIds every run: a rerun is not a duplicate


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def signed_query() -> str:
    ts, nonce = str(int(time.time())), str(random.randint(10**8, 10**9))
    return urlencode(
        {"signature": sha1_signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
    )


def text_xml(i: int, content: str = "", openid: str = "") -> str:
    """A WeChat text message; MsgId ``i`` is fresh for every run."""
    return (
        f"<xml><ToUserName><![CDATA[gh]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid or f'o-bench-{RUN}-{i % 50}'}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content or f'msg-{i}'}]]></Content><MsgId>{10**12 + RUN + i}</MsgId></xml>"
    )


async def drive(
    url: str, messages: int, concurrency: int
) -> tuple[list[float], dict[int, float], int]:
    acks: list[float] = []
    sent_at: dict[int, float] = {}
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(messages):
        queue.put_nowait(i)

    async with httpx.AsyncClient(timeout=10) as http:

        async def worker() -> None:
            nonlocal errors
            while not queue.empty():
                i = queue.get_nowait()
                started = time.monotonic()
                response = await http.post(
                    f"{url}/webhooks/wechat?{signed_query()}", content=text_xml(i)
                )
                acks.append((time.monotonic() - started) * 1000)
                sent_at[i] = started
                if response.text != "success":
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return acks, sent_at, errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="anxin-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    upgrade(database_url)
    rasa, wechat = FakeRasa().start(), FakeWeChat()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=args.redis_url,
        ANXIN_REDIS_PREFIX=f"bench-{uuid.uuid4().hex[:6]}",
        RASA_URL=rasa.url,
        ANXIN_SERVICE_TOKEN=uuid.uuid4().hex * 2,
        WECHAT_TOKEN=TOKEN,
        WECHAT_APP_ID="wxbench",
        WECHAT_APP_SECRET="secret",
        WECHAT_API_BASE_URL=wechat.url,
        ANXIN_LOG_LEVEL="WARNING",
        ANXIN_WEBCHAT_PER_ADDRESS_PER_MIN="0",  # one load generator, one address
        ANXIN_WEBCHAT_PER_VISITOR_PER_MIN="0",
        ANXIN_WEBCHAT_SESSIONS_PER_ADDRESS_PER_MIN="0",
        ANXIN_SENDER_PER_MIN="1000000",  # 50 customers write many times a minute here
        ANXIN_BUSY_AFTER_S="0",  # every reply is the echo this bench counts
    )
    port = free_port()
    service = start_service(env, port, workdir / "service.log")
    try:
        started = time.monotonic()
        acks, sent_at, errors = asyncio.run(
            drive(f"http://127.0.0.1:{port}", args.messages, args.concurrency)
        )
        deadline = time.monotonic() + 120
        while (
            len(wechat.calls("/message/custom/send")) < args.messages
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        replies = wechat.calls("/message/custom/send")
        elapsed = (max(r.at for r in replies) if replies else time.monotonic()) - started
    finally:
        stop_service(service)
        rasa.stop()
        wechat.stop()
    per_message = Counter(
        int(r.json()["text"]["content"].removeprefix("echo: msg-")) for r in replies
    )
    e2e = [
        (r.at - sent_at[int(r.json()["text"]["content"].removeprefix("echo: msg-"))]) * 1000
        for r in replies
    ]
    result = {
        "database": database_url.split(":", 1)[0],
        "messages": args.messages,
        "concurrency": args.concurrency,
        "ack_p50_ms": round(statistics.median(acks), 1),
        "ack_p99_ms": round(percentile(acks, 99), 1),
        "ack_max_ms": round(max(acks), 1),
        "e2e_p50_ms": round(statistics.median(e2e), 1) if e2e else None,
        "e2e_p95_ms": round(percentile(e2e, 95), 1) if e2e else None,
        "e2e_p99_ms": round(percentile(e2e, 99), 1) if e2e else None,
        "throughput_msgs_per_s": round(len(replies) / elapsed, 1) if replies else 0.0,
        "replied_once": sum(1 for n in per_message.values() if n == 1),
        "replied_twice_or_more": sum(1 for n in per_message.values() if n > 1),
        "unanswered": args.messages - len(per_message),
        "ack_errors": errors,
    }
    print(f"acknowledged {args.messages} signed WeChat messages, {args.concurrency} at a time")
    print(
        f"ack p50 {result['ack_p50_ms']} ms, p99 {result['ack_p99_ms']} ms; reply p95 {result['e2e_p95_ms']} ms"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
