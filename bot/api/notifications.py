"""Live notices for staff consoles (escalations) over a WebSocket, for API tokens with
``tickets:read``. The token comes in the first frame, ``{"type": "hello", "token": …}``,
never in the URL (URLs are logged)."""

from __future__ import annotations

import asyncio
import json

from anyio import to_thread
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from bot.access.tokens import Refused, authenticate
from bot.core.bounded import close_subscription
from bot.web.services import Services

router = APIRouter(tags=["notifications"])
HELLO_TIMEOUT_S = 10.0
SCOPE = "tickets:read"


async def _hello_token(websocket: WebSocket) -> str | None:
    try:
        frame = json.loads(await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT_S))
    except (TimeoutError, ValueError, RecursionError, KeyError, WebSocketDisconnect):
        return None
    if not isinstance(frame, dict) or frame.get("type") != "hello":
        return None
    token = frame.get("token")
    return token if isinstance(token, str) and token else None


@router.websocket("/notifications/ws")
async def notifications(websocket: WebSocket) -> None:
    """Every escalation notice, pushed as a JSON frame after the hello."""
    services: Services = websocket.app.state.services
    address = websocket.client.host if websocket.client else None
    await websocket.accept()
    token = await _hello_token(websocket)
    try:
        if token is None:
            raise Refused("no token")
        holder = await to_thread.run_sync(authenticate, services.db, token)
        if not holder.allows(SCOPE):
            raise Refused(f"needs {SCOPE}", holder.name)
    except Refused as refused:
        await services.audit(
            refused.name or "anonymous",
            "denied",
            "api_token",
            refused.name or "-",
            address,
            f"{refused} · WS /api/v1/notifications/ws",
        )
        await websocket.close(code=4401, reason="invalid token")
        return
    await services.audit(
        holder.name, "token.use", "api_token", holder.name, address, "WS /api/v1/notifications/ws"
    )
    pubsub = services.events.subscriber.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(services.events.staff_channel())
    await websocket.send_json({"type": "ready"})
    try:
        async for item in pubsub.listen():
            if item.get("type") == "message":
                await websocket.send_json(json.loads(item["data"]))
    except WebSocketDisconnect:
        pass
    finally:
        await close_subscription(pubsub)
