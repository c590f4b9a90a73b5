"""A message stored by one process wakes the worker of another (through Redis)."""

from __future__ import annotations

import asyncio

from bot.pipeline.outbox import Delivery
from bot.pipeline.worker import Worker
from bot.web.app import build_services


async def test_a_web_process_wakes_the_worker_process(settings) -> None:
    web = build_services(settings)  # ANXIN_WORKER=false: no worker of its own
    worker_side = build_services(settings)
    worker = Worker(worker_side.db, worker_side.rasa, Delivery(worker_side.db, {}))
    worker_side.worker = worker
    listening = asyncio.create_task(worker_side.listen_for_wakes())
    try:
        for _ in range(50):  # until the subscription is in place
            web.wake_worker()
            await asyncio.sleep(0.1)
            if worker._inbox_wake.is_set():
                break
        assert worker._inbox_wake.is_set()
        worker._inbox_wake.clear()
        web.wake_scanner()
        for _ in range(50):
            await asyncio.sleep(0.05)
            if worker._sla_wake.is_set():
                break
        assert worker._sla_wake.is_set() and not worker._inbox_wake.is_set()
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        for services in (web, worker_side):
            await services.rasa.close()
            await services.events.close()
            services.db.dispose()


async def test_a_burst_of_wakes_is_coalesced_and_the_last_follows_the_last_call(
    settings,
) -> None:
    web = build_services(settings)
    pubsub = web.events.subscriber.pubsub()
    await pubsub.subscribe(web.events._wake_channel())
    try:
        confirmed = await pubsub.get_message(timeout=2)
        assert confirmed is not None and confirmed["type"] == "subscribe"
        for _ in range(300):  # a burst of webhooks, each asking for a wake-up
            web.wake_worker()
        await asyncio.gather(*web.background)
        late = asyncio.get_running_loop().create_task(asyncio.sleep(0))
        await late
        web.wake_worker()  # a commit after the burst's wakes went out
        await asyncio.gather(*web.background)
        received = 0
        while (await pubsub.get_message(timeout=0.5)) is not None:
            received += 1
        assert 2 <= received <= 3  # not 301: one, one folded after it, one for the late call
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await web.rasa.close()
        await web.events.close()
        web.db.dispose()


async def test_the_channels_port_stores_once_reads_back_and_keeps_cursors(settings) -> None:
    """What a channel may ask of the service, through ``ChannelPort`` alone."""
    from datetime import UTC, datetime

    from bot.pipeline.messages import InboundMessage
    from bot.pipeline.port import ChannelPort

    port: ChannelPort = build_services(settings)
    message = InboundMessage(
        "webchat", "port-1", "visitor-port-0001", "我的卡丢了", datetime.now(UTC)
    )
    first = await port.store(message)
    again = await port.store(message)
    assert not first.duplicate and again.duplicate and again.message_id == first.message_id
    public_id, recent = await port.recent_messages("webchat", "visitor-port-0001", 10)
    assert public_id == first.conversation_public_id
    assert [(m.id, m.direction, m.provider_msg_id) for m in recent] == [
        (first.message_id, "in", "port-1")
    ]
    assert await port.open_conversation("webchat", "visitor-port-0001") == public_id
    assert await port.recent_messages("webchat", "visitor-port-none", 10) == (None, [])
    assert await port.load_cursor("wecom", "cursor:kf-1") == ""
    await port.save_cursor("wecom", "cursor:kf-1", "c-1")
    await port.save_cursor("wecom", "cursor:kf-1", "c-2")
    assert await port.load_cursor("wecom", "cursor:kf-1") == "c-2"
    ran = asyncio.Event()

    async def later() -> None:
        ran.set()

    port.in_background(later())
    await asyncio.wait_for(ran.wait(), 5)
