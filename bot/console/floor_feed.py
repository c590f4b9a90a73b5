"""The live floor pushed to a supervisor's screen: a fresh snapshot when the queue or a
ticket changes (the staff channel says so) and every few seconds (people's states live
in Redis presence, which announces nothing)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from anyio import to_thread
from fastapi import APIRouter, WebSocket

from bot.console.auth import admit, until_gone
from bot.console.routes import _role
from bot.core.bounded import CLOSE_SECONDS, close_subscription, within
from bot.handoff import floor
from bot.web.services import Services

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
EVERY_S = 5.0
SETTLE_S = 0.3  # a burst of changes is one snapshot


@router.websocket("/console/floor/ws")
async def floor_socket(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    name = await admit(websocket)
    if name is None:
        return
    role = await to_thread.run_sync(_role, services, name)
    if role not in ("supervisor", "admin"):
        await websocket.close(code=4403, reason="supervisors only")
        return
    assert role is not None
    pubsub = services.events.subscriber.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(services.events.staff_channel())
    changed = asyncio.Event()

    async def listen() -> None:
        async for item in pubsub.listen():
            if item.get("type") == "message":
                changed.set()

    async def push() -> None:
        while True:
            try:
                now = await floor.watched(
                    services.db, services.events.redis, services.settings.redis_prefix, name, role
                )
            except Exception:  # the database or Redis is away: try again at the next beat
                log.warning("the live floor could not be read; trying again shortly")
            else:
                await websocket.send_json({"type": "floor", **now})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=EVERY_S)
                await asyncio.sleep(SETTLE_S)
            changed.clear()

    tasks = [asyncio.create_task(listen()), asyncio.create_task(push())]
    try:
        await until_gone(websocket)
    finally:
        for task in tasks:
            task.cancel()
            await within("stopping a floor feed", task, CLOSE_SECONDS)
        await close_subscription(pubsub)
