"""The staff app's live feed: ticket changes (lists and pages refresh) and the
notices meant for the signed-in person (@mentions, on their own channel). Unlike the
chat console's socket it does not make anyone present for chats."""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, WebSocket

from bot.console.auth import admit, until_gone
from bot.core.bounded import CLOSE_SECONDS, close_subscription, within
from bot.web.services import Services

router = APIRouter(include_in_schema=False)
FORWARDED = ("ticket", "escalation")  # of the frames every staff console hears


@router.websocket("/console/desk/ws")
async def desk_socket(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    name = await admit(websocket)
    if name is None:
        return
    mine = services.events.person_channel(name)
    pubsub = services.events.subscriber.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(services.events.staff_channel(), mine)
    await websocket.send_json({"type": "ready"})

    async def pump() -> None:
        async for item in pubsub.listen():
            if item.get("type") != "message":
                continue
            channel = item["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else channel
            frame = json.loads(item["data"])
            if channel == mine or frame.get("type") in FORWARDED:
                await websocket.send_json(frame)

    task = asyncio.create_task(pump())
    try:
        await until_gone(websocket)
    finally:
        task.cancel()
        await within("stopping a desk feed", task, CLOSE_SECONDS)
        await close_subscription(pubsub)
