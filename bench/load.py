"""The whole stack under load, side by side with plain Rasa serving the same model.

    python -m bench.load [--rates 50,100,200,300] [--step-seconds 4]
        [--steady-rate 10] [--steady-seconds 20] [--rasa-messages 600]
        [--database-url postgresql://postgres@127.0.0.1:5432/test]
        [--redis-url redis://127.0.0.1:6379/0] [--rasa-url URL] [--rasa-servers 2]
        [--background-nice 19] [--web-processes 1] [--no-desk]

One run starts Rasa (the trained model, as ``make run`` does; by default two servers,
one per core, as Rasa answers on one core each), the action server and the service,
with a fake WeChat customer-service API on 127.0.0.1 (Rasa, the action server and the
desk at ``--background-nice``, so the web process that acknowledges webhooks comes
first; the worker too with ``--no-desk``), then:

1. **Plain Rasa**: the same questions straight into Rasa's REST webhook, 16 at a time
   (the webhook answers synchronously): messages per second and reply latency.
2. **Steady**: signed WeChat messages at ``--steady-rate`` per second: the
   acknowledgement latency WeChat sees and the end-to-end latency until the answer
   reaches the customer-service API.
3. **Rising rates**: signed WeChat and web-chat messages, half each, at each of
   ``--rates`` for ``--step-seconds``; acknowledgement latency per rate; then the backlog
   drains, and the sustained throughput is the messages answered per second from the
   first of them to the last answer. Messages that wait longer than
   ``ANXIN_BUSY_AFTER_S`` get a "you are in line" notice first.

Every customer writes once (a new conversation each), with a question from a mix of
FAQ, greetings, thanks, ticket status and out-of-scope questions in Chinese and
English. At the end the database is checked: every acknowledged message stored once,
answered, no reply stored twice, no 5xx. ``--rasa-url`` uses a Rasa that is already
running (the test uses a fake) instead of starting one. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bench.cpu import cpu_seconds, spent
from bench.load_generator import BUSY, QUESTIONS, Load, Sent, at_rate, summary
from bench.webhook_ack import RUN, TOKEN
from bot.core.db import Database
from bot.core.models import Message
from fakes.processes import free_port
from fakes.providers import FakeWeChat
from launcher.stack import Stack, StackConfig, prepare_database
from launcher.training import ensure_model


async def every_rasa_answers(urls: list[str], timeout_s: float = 240.0) -> None:
    """Wait until each Rasa server answers a turn. The service is ready once any one is,
    and plain Rasa must not be measured against one still loading its model (every
    request refused: 0 messages per second)."""
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        for url in urls:
            while True:
                try:
                    async with http.post(
                        f"{url}/webhooks/rest/webhook",
                        json={"sender": f"warm-up-{RUN}", "message": "hello"},
                    ) as response:
                        if response.status == 200 and await response.json():
                            break
                except (aiohttp.ClientError, TimeoutError, ValueError):
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"Rasa at {url} did not answer within {timeout_s:.0f} s")
                await asyncio.sleep(1.0)


async def plain_rasa(rasa_url: str, messages: int, concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    pending = list(range(messages))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:

        async def client() -> None:
            nonlocal errors
            while pending:
                k = pending.pop()
                started = time.monotonic()
                try:
                    async with http.post(
                        f"{rasa_url}/webhooks/rest/webhook",
                        json={"sender": f"plain-{RUN}-{k}", "message": random.choice(QUESTIONS)},
                    ) as response:
                        ok = response.status == 200 and bool(await response.json())
                except (aiohttp.ClientError, TimeoutError, ValueError):
                    ok = False
                if ok:
                    latencies.append(time.monotonic() - started)
                else:
                    errors += 1

        started = time.monotonic()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    return {
        "messages": messages,
        "concurrency": concurrency,
        "errors": errors,
        "throughput_msgs_per_s": round(len(latencies) / elapsed, 1),
        **summary(latencies),
    }


def first_answers(wechat: FakeWeChat, since: float) -> tuple[dict[str, float], Counter[str]]:
    """When each WeChat customer got their first real answer (not the busy notice), and
    how many messages each received."""
    first: dict[str, float] = {}
    count: Counter[str] = Counter()
    for call in wechat.calls("/message/custom/send"):
        if call.at < since:
            continue
        body = call.json()
        openid = str(body.get("touser", ""))
        count[openid] += 1
        text = str((body.get("text") or {}).get("content", ""))
        if openid not in first and not text.startswith(BUSY):
            first[openid] = call.at
    return first, count


def store_waits(metrics: str) -> dict[str, int]:
    """How many webhooks waited at most each bound (ms) to store, and in how many
    transactions they were stored, from /metrics."""
    waits: dict[str, int] = {}
    prefix = 'anxin_webhook_store_seconds_bucket{le="'
    for line in metrics.splitlines():
        if line.startswith(prefix):
            bound, count = line[len(prefix) :].split('"} ')
            key = "all" if bound == "+Inf" else f"le_{float(bound) * 1000:g}ms"
            waits[key] = int(count)
        elif line.startswith("anxin_webhook_store_transactions_total "):
            waits["transactions"] = int(line.split()[1])
    return waits


def wait_drained(
    database_url: str, since: datetime, expected: int, timeout_s: float
) -> dict[str, Any]:
    """Wait until every inbound message stored since ``since`` is done; count them, the
    messages they were answered with, and when the last answer was stored."""
    db = Database(database_url)
    recent_in = (Message.direction == "in", Message.created_at >= since)
    recent_out = (Message.direction == "out", Message.created_at >= since)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            with db.session() as session:
                stored = session.scalar(select(func.count()).where(*recent_in)) or 0
                unfinished = (
                    session.scalar(select(func.count()).where(*recent_in, Message.status != "done"))
                    or 0
                )
            if (stored >= expected and not unfinished) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        answer = Message.provider_msg_id.like("reply-%")
        with db.session() as session:
            answered = session.scalar(
                select(func.count(func.distinct(Message.reply_to_id))).where(*recent_out, answer)
            )
            last = session.scalar(select(func.max(Message.created_at)).where(*recent_out, answer))
            busy = session.scalar(
                select(func.count()).where(*recent_out, Message.provider_msg_id.like("hold-%"))
            )
        return {
            "stored": stored,
            "unfinished": unfinished,
            "answered": int(answered or 0),
            "busy_notices": int(busy or 0),
            "last_answer_at": last.replace(tzinfo=last.tzinfo or UTC) if last else None,
        }
    finally:
        db.dispose()


async def drive(
    args: argparse.Namespace,
    url: str,
    rasa_urls: list[str],
    wechat: FakeWeChat,
    processes: dict[str, int] | None = None,
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    await every_rasa_answers(rasa_urls)
    result["plain_rasa"] = await plain_rasa(rasa_urls[0], args.rasa_messages, 16)
    print(
        f"plain Rasa: {result['plain_rasa']['throughput_msgs_per_s']} msg/s, "
        f"p99 {result['plain_rasa']['p99_ms']} ms",
        flush=True,
    )
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=30), connector=aiohttp.TCPConnector(limit=400)
    ) as http:
        load = Load(url, http)

        # Steady: end-to-end latency below capacity.
        steady, since = Sent(), time.monotonic()
        await at_rate(args.steady_rate, args.steady_seconds, lambda _: load.wechat(steady))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            first, _ = first_answers(wechat, since)
            if len(first) >= len(steady.wechat_at):
                break
            await asyncio.sleep(0.2)
        first, _ = first_answers(wechat, since)
        e2e = [first[o] - at for o, at in steady.wechat_at.items() if o in first]
        result["steady"] = {
            "rate": args.steady_rate,
            "messages": len(steady.wechat_at),
            "ack": summary(steady.acks),
            "e2e": summary(e2e),
            "answered": len(e2e),
        }
        print(
            f"steady {args.steady_rate}/s: ack p99 {result['steady']['ack']['p99_ms']} ms, "
            f"reply p50/p95/p99 {summary(e2e)['p50_ms']}/{summary(e2e)['p95_ms']}/"
            f"{summary(e2e)['p99_ms']} ms",
            flush=True,
        )

        # Rising rates: acknowledgements past capacity, then the backlog drains.
        steps, everything, since = [], Sent(), time.monotonic()
        rising_since = datetime.now(UTC)
        cpu_before = cpu_seconds(processes or {})
        for rate in args.rates:
            step = Sent()

            async def one(k: int, step: Sent = step) -> None:
                await (load.wechat(step) if k % 2 == 0 else load.webchat(step))

            await at_rate(rate, args.step_seconds, one)
            steps.append(
                {
                    "rate": rate,
                    "messages": len(step.acks) + sum(step.failures.values()),
                    "ack": summary(step.acks),
                    "status": dict(step.statuses),
                    "failures": dict(step.failures),
                }
            )
            everything.wechat_at.update(step.wechat_at)
            everything.acks += step.acks
            everything.statuses.update(step.statuses)
            everything.failures.update(step.failures)
            everything.webchat += step.webchat
            print(
                f"{rate}/s for {args.step_seconds}s: ack p50 {steps[-1]['ack']['p50_ms']} ms, "
                f"p99 {steps[-1]['ack']['p99_ms']} ms",
                flush=True,
            )
        async with http.get(f"{url}/metrics") as response:
            result["store_waits"] = store_waits(await response.text())
        print(f"webhook store waits (one web process): {result['store_waits']}", flush=True)
    accepted = len(everything.wechat_at) + everything.webchat
    drained = await asyncio.to_thread(
        wait_drained, args.database_url, rising_since, accepted, args.drain_timeout
    )
    result["cpu_seconds"] = spent(cpu_before, cpu_seconds(processes or {}))
    print(f"CPU seconds, rising rates and drain: {result['cpu_seconds']}", flush=True)
    _, received = first_answers(wechat, since)
    last = drained.pop("last_answer_at")
    elapsed = (last - rising_since).total_seconds() if last else time.monotonic() - since
    result["rising"] = steps
    result["drain"] = {
        **drained,
        "accepted": accepted,
        "seconds": round(elapsed, 1),
        "http_5xx": sum(n for s, n in everything.statuses.items() if s >= 500),
        "refused": sum(n for s, n in everything.statuses.items() if s not in (200, 202)),
        "errors": dict(everything.failures),
        "wechat_max_messages_per_customer": max(received.values(), default=0),
    }
    result["lost"] = (
        result["steady"]["messages"] - result["steady"]["answered"] + accepted - drained["answered"]
    )
    result["throughput_msgs_per_s"] = round(drained["answered"] / max(elapsed, 1e-9), 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="50,100,200,300")
    parser.add_argument("--step-seconds", type=float, default=4.0)
    parser.add_argument("--steady-rate", type=float, default=10.0)
    parser.add_argument("--steady-seconds", type=float, default=20.0)
    parser.add_argument("--rasa-messages", type=int, default=600)
    parser.add_argument("--drain-timeout", type=float, default=600.0)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--rasa-url", default="", help="a running Rasa (default: start one)")
    parser.add_argument(
        "--rasa-servers",
        type=int,
        default=2,
        help="Rasa servers behind Anxin, one per core (plain Rasa is measured on the first alone)",
    )
    parser.add_argument(
        "--background-nice",
        type=int,
        default=19,
        help="nice value of Rasa, the action server and the worker (0: same as the web process)",
    )
    parser.add_argument(
        "--web-processes", type=int, default=1, help="web processes acknowledging webhooks"
    )
    parser.add_argument(
        "--desk",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the assistant's internal API in a background process of its own, "
        "the worker at the web process's priority",
    )
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]

    workdir = Path(tempfile.mkdtemp(prefix="anxin-load-"))
    args.database_url = args.database_url or f"sqlite:///{workdir / 'load.db'}"
    prepare_database(args.database_url)
    wechat = FakeWeChat()
    config = StackConfig(
        database_url=args.database_url,
        redis_url=args.redis_url,
        service_port=free_port(),
        worker_port=free_port(),
        rasa_port=free_port(),
        extra_rasa_ports=tuple(free_port() for _ in range(max(args.rasa_servers, 1) - 1)),
        actions_port=free_port(),
        service_token=uuid.uuid4().hex * 2,
        rasa_token=uuid.uuid4().hex,
        log_dir=workdir / "log",
        background_nice=args.background_nice,
        web_processes=args.web_processes,
        desk_port=free_port() if args.desk else 0,
        extra_env={
            "ANXIN_REDIS_PREFIX": f"load-{uuid.uuid4().hex[:6]}",
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_APP_ID": "wxload",
            "WECHAT_APP_SECRET": "secret",
            "WECHAT_API_BASE_URL": wechat.url,
            "ANXIN_LOG_LEVEL": "WARNING",
            "ANXIN_WEBCHAT_PER_ADDRESS_PER_MIN": "0",  # one load generator, one address
            "ANXIN_WEBCHAT_PER_VISITOR_PER_MIN": "0",
            "ANXIN_WEBCHAT_SESSIONS_PER_ADDRESS_PER_MIN": "0",
            **({"RASA_URL": args.rasa_url} if args.rasa_url else {}),
        },
    )
    stack = Stack(config)
    try:
        if not args.rasa_url:
            stack.start_rasa(ensure_model())
        stack.start_service()
        stack.wait_ready()
        rasa_urls = [args.rasa_url] if args.rasa_url else stack.rasa_urls
        processes = {name: process.pid for name, process in stack.processes.items()}
        result = asyncio.run(drive(args, stack.service_url, rasa_urls, wechat, processes))
    finally:
        stack.stop()
        wechat.stop()
    rasa_throughput = result["plain_rasa"]["throughput_msgs_per_s"]
    top = result["rising"][-1] if result["rising"] else {"ack": summary([])}
    figures = {
        "database": args.database_url.split(":", 1)[0],
        "rasa_servers": 1 if args.rasa_url else max(args.rasa_servers, 1),
        "background_nice": args.background_nice,
        "web_processes": args.web_processes,
        "desk": args.desk,
        "ack_p50_ms": top["ack"]["p50_ms"],
        "ack_p99_ms": top["ack"]["p99_ms"],
        "ack_p99_rate": args.rates[-1] if args.rates else None,
        "e2e_p50_ms": result["steady"]["e2e"]["p50_ms"],
        "e2e_p95_ms": result["steady"]["e2e"]["p95_ms"],
        "e2e_p99_ms": result["steady"]["e2e"]["p99_ms"],
        "throughput_msgs_per_s": result["throughput_msgs_per_s"],
        "rasa_throughput_msgs_per_s": rasa_throughput,
        "rasa_p99_ms": result["plain_rasa"]["p99_ms"],
        "ratio_to_rasa": round(result["throughput_msgs_per_s"] / rasa_throughput, 2)
        if rasa_throughput
        else None,
        "lost": result["lost"],
        "http_5xx": result["drain"]["http_5xx"],
        "busy_notices": result["drain"]["busy_notices"],
        "details": {k: v for k, v in result.items() if k not in ("throughput_msgs_per_s", "lost")},
    }
    print(
        f"Anxin {figures['throughput_msgs_per_s']} msg/s sustained vs plain Rasa "
        f"{rasa_throughput} msg/s (ratio {figures['ratio_to_rasa']}); ack p99 "
        f"{figures['ack_p99_ms']} ms at {figures['ack_p99_rate']}/s; reply p95 "
        f"{figures['e2e_p95_ms']} ms at {args.steady_rate}/s; lost {figures['lost']}, "
        f"5xx {figures['http_5xx']}"
    )
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    main()
