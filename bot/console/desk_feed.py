"""The staff app's live feed: ticket changes (lists and pages refresh) and the
notices meant for the signed-in person (@mentions). Unlike the chat console's socket
it does not make anyone present for chats."""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from bot.console.auth import origin_allowed, socket_agent
from bot.core.bounded import CLOSE_SECONDS, close_subscription, within
from bot.web.services import Services

router = APIRouter(include_in_schema=False)
FORWARDED = ("ticket", "escalation")


def for_person(frame: dict[str, object], name: str) -> bool:
    """Whether a staff frame goes to this person's app."""
    kind = frame.get("type")
    if kind == "mention":
        return frame.get("to") == name
    return kind in FORWARDED


@router.websocket("/console/desk/ws")
async def desk_socket(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    if not origin_allowed(websocket, services.settings):
        await websocket.close(code=4403, reason="origin not allowed")
        return
    name = await socket_agent(websocket)
    if name is None:
        await websocket.close(code=4401, reason="sign in first")
        return
    await websocket.accept()
    pubsub = services.events.subscriber.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(services.events.staff_channel())
    await websocket.send_json({"type": "ready"})

    async def pump() -> None:
        async for item in pubsub.listen():
            if item.get("type") != "message":
                continue
            frame = json.loads(item["data"])
            if isinstance(frame, dict) and for_person(frame, name):
                await websocket.send_json(frame)

    task = asyncio.create_task(pump())
    try:
        while True:  # keep-alive frames, text or bytes
            if (await websocket.receive())["type"] == "websocket.disconnect":
                break
    except WebSocketDisconnect:
        pass
    finally:
        task.cancel()
        await within("stopping a desk feed", task, CLOSE_SECONDS)
        await close_subscription(pubsub)
