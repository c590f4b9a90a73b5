"""A message stored by one process wakes the worker of another (through Redis)."""

from __future__ import annotations

import asyncio

from bot.app import build_services
from bot.outbox import Delivery
from bot.worker import Worker


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
