"""Console pages, its REST calls (cookie session) and its WebSockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from anyio import to_thread
from fastapi import (
    APIRouter,
    Depends,
    HTTPException,
    Request,
    Response,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.console.auth import (
    COOKIE,
    SESSION_TTL_S,
    close_session,
    login,
    require_agent,
    socket_agent,
)
from bot.console.canned import canned_replies
from bot.handoff import queue
from bot.handoff.presence import Presence
from bot.kb_suggest import suggest
from bot.models import Conversation, Handoff, Message, Ticket
from bot.services import Services

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
Agent = Annotated[str, Depends(require_agent)]


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000)


class Ending(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disposition: str = Field(default="resolved", min_length=1, max_length=64)


def _own_handoff(session: Session, handoff_id: int, agent: str) -> Handoff | None:
    """The handoff if this agent has it; None otherwise (the caller answers 403)."""
    handoff = session.get(Handoff, handoff_id)
    return handoff if handoff is not None and handoff.agent == agent else None


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _presence(services: Services) -> Presence:
    return Presence(services.events.redis, services.settings.redis_prefix)


@router.get("/console", response_class=HTMLResponse)
async def console_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "console.html", {})


@router.post("/console/api/login")
async def console_login(body: Credentials, request: Request, response: Response) -> dict[str, str]:
    services = _services(request)
    found = await login(services, body.name, body.password)
    if found is None:
        raise HTTPException(401, "用户名或密码错误 / wrong name or password")
    token, role = found
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_TTL_S,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return {"name": body.name, "role": role}


@router.post("/console/api/logout")
async def console_logout(request: Request, response: Response, agent: Agent) -> dict[str, bool]:
    services = _services(request)
    await close_session(services, request.cookies.get(COOKIE, ""))
    await _presence(services).leave(agent)
    response.delete_cookie(COOKIE)
    return {"ok": True}


@router.get("/console/api/me")
async def me(agent: Agent) -> dict[str, str]:
    return {"name": agent}


@router.get("/console/api/queue")
async def queue_listing(request: Request, agent: Agent) -> list[dict[str, Any]]:
    items = await to_thread.run_sync(queue.listing, _services(request).db, agent)
    return [asdict(item) for item in items]


@router.post("/console/api/handoffs/{handoff_id}/accept")
async def accept(handoff_id: int, request: Request, agent: Agent) -> dict[str, str]:
    services = _services(request)
    conversation = await to_thread.run_sync(queue.accept, services.db, handoff_id, agent)
    if conversation is None:
        raise HTTPException(409, "已被其他坐席接入 / another agent took this chat")
    await services.events.publish_staff({"type": "queue", "handoff_id": handoff_id})
    services.wake_worker()
    return {"conversation_id": conversation}


@router.get("/console/api/handoffs/{handoff_id}/messages")
async def transcript(handoff_id: int, request: Request, agent: Agent) -> list[dict[str, Any]]:
    services = _services(request)

    def work() -> list[dict[str, Any]] | None:
        with services.db.session() as session:
            handoff = _own_handoff(session, handoff_id, agent)
            if handoff is None:
                return None
            rows = session.scalars(
                select(Message)
                .where(Message.conversation_id == handoff.conversation_id)
                .order_by(Message.id)
            )
            return [
                {
                    "id": m.id,
                    "sender": m.sender,
                    "text": m.text,
                    "agent_name": m.author,
                    "intent": m.intent,
                    "at": m.created_at.isoformat(),
                }
                for m in rows
            ]

    found = await to_thread.run_sync(work)
    if found is None:
        raise HTTPException(403, "this chat is not yours")
    return found


async def _as_agent(request: Request, work: Callable[[], object]) -> dict[str, bool]:
    """Run a chat action that only the chat's own agent may do (403 otherwise)."""
    try:
        await to_thread.run_sync(work)
    except queue.HandoffError as exc:
        raise HTTPException(403, str(exc)) from exc
    _services(request).wake_worker()
    return {"ok": True}


@router.post("/console/api/handoffs/{handoff_id}/messages")
async def send(handoff_id: int, body: Text, request: Request, agent: Agent) -> dict[str, bool]:
    db = _services(request).db
    return await _as_agent(request, lambda: queue.send(db, handoff_id, agent, body.text))


@router.post("/console/api/handoffs/{handoff_id}/end")
async def end(handoff_id: int, body: Ending, request: Request, agent: Agent) -> dict[str, bool]:
    db = _services(request).db
    return await _as_agent(request, lambda: queue.end(db, handoff_id, agent, body.disposition))


class Transfer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str | None = Field(default=None, max_length=64)  # None: back to the queue
    note: str = Field(default="", max_length=1000)


@router.post("/console/api/handoffs/{handoff_id}/transfer")
async def transfer(
    handoff_id: int, body: Transfer, request: Request, agent: Agent
) -> dict[str, bool]:
    """To another agent, or back to the queue, with a note on the ticket."""
    services = _services(request)
    result = await _as_agent(
        request, lambda: queue.transfer(services.db, handoff_id, agent, body.to, body.note)
    )
    await services.events.publish_staff({"type": "queue", "handoff_id": handoff_id})
    return result


@router.get("/console/api/canned")
async def canned(agent: Agent, language: str = "zh") -> list[dict[str, str]]:
    return canned_replies("en" if language == "en" else "zh")


@router.get("/console/api/handoffs/{handoff_id}/customer")
async def customer_panel(handoff_id: int, request: Request, agent: Agent) -> dict[str, Any]:
    """The customer's profile and history for the agent who has the chat."""
    services = _services(request)

    def work() -> dict[str, Any] | None:
        with services.db.session() as session:
            handoff = _own_handoff(session, handoff_id, agent)
            if handoff is None:
                return None
            conversation = session.get(Conversation, handoff.conversation_id)
            assert conversation is not None
            tickets = session.scalars(
                select(Ticket)
                .where(Ticket.conversation_id == conversation.id)
                .order_by(Ticket.id.desc())
            )
            last = session.scalar(
                select(Message.text)
                .where(Message.conversation_id == conversation.id, Message.sender == "customer")
                .order_by(Message.id.desc())
                .limit(1)
            )
            earlier = session.scalar(
                select(func.count(Handoff.id)).where(
                    Handoff.conversation_id == conversation.id, Handoff.id != handoff.id
                )
            )
            return {
                "channel": conversation.channel,
                "language": conversation.language,
                "tier": conversation.tier,
                "since": conversation.created_at.isoformat(),
                "earlier_chats_with_staff": int(earlier or 0),
                "suggestions": [
                    asdict(x) for x in suggest(session, last or "", conversation.language)
                ],
                "tickets": [
                    {
                        "number": t.number,
                        "category": t.category,
                        "priority": t.priority,
                        "status": t.status,
                        "created_at": t.created_at.isoformat(),
                    }
                    for t in tickets
                ],
            }

    found = await to_thread.run_sync(work)
    if found is None:
        raise HTTPException(403, "this chat is not yours")
    return found


@router.websocket("/console/ws")
async def console_socket(websocket: WebSocket) -> None:
    """Presence (heartbeat while connected), queue notices, and the agent's chats live."""
    agent = await socket_agent(websocket)
    if agent is None:
        await websocket.close(code=4401, reason="sign in first")
        return
    services: Services = websocket.app.state.services
    presence = _presence(services)
    await websocket.accept()
    await presence.beat(agent)
    pubsub = services.events.redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.psubscribe(f"{services.settings.redis_prefix}:conv:*")
    await pubsub.subscribe(services.events.staff_channel())

    async def pump() -> None:
        async for item in pubsub.listen():
            if item.get("type") == "message":
                await websocket.send_json(json.loads(item["data"]))
            elif item.get("type") == "pmessage":
                channel = (
                    item["channel"].decode()
                    if isinstance(item["channel"], bytes)
                    else item["channel"]
                )
                conversation = channel.rsplit(":", 1)[-1]
                if await to_thread.run_sync(_holds, services, agent, conversation):
                    await websocket.send_json(
                        {**json.loads(item["data"]), "conversation_id": conversation}
                    )

    task = asyncio.create_task(pump())
    try:
        while True:
            await websocket.receive_text()  # any frame is a heartbeat
            await presence.beat(agent)
    except WebSocketDisconnect:
        pass
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await presence.leave(agent)
        services.wake_scanner()  # the sweeper returns this agent's chats to the queue


def _holds(services: Services, agent: str, conversation_public_id: str) -> bool:
    with services.db.session() as session:
        return (
            session.scalar(
                select(Handoff.id)
                .join(Conversation, Handoff.conversation_id == Conversation.id)
                .where(
                    Conversation.public_id == conversation_public_id,
                    Handoff.agent == agent,
                    Handoff.state == "active",
                )
            )
            is not None
        )
