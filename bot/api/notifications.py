"""Live notices for staff consoles (escalations) over a WebSocket, authenticated by API token."""

from __future__ import annotations

import json

from anyio import to_thread
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from bot.access.accounts import token_name
from bot.core.bounded import close_subscription
from bot.web.services import Services

router = APIRouter(tags=["notifications"])


@router.websocket("/notifications/ws")
async def notifications(websocket: WebSocket) -> None:
    """``?token=API_TOKEN``; every escalation notice is pushed as a JSON frame."""
    services: Services = websocket.app.state.services
    token = websocket.query_params.get("token", "")
    if not token or await to_thread.run_sync(token_name, services.db, token) is None:
        await websocket.close(code=4401, reason="invalid token")
        return
    await websocket.accept()
    pubsub = services.events.subscriber.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(services.events.staff_channel())
    try:
        async for item in pubsub.listen():
            if item.get("type") == "message":
                await websocket.send_json(json.loads(item["data"]))
    except WebSocketDisconnect:
        pass
    finally:
        await close_subscription(pubsub)
