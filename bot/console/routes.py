"""Console pages, its REST calls (cookie session) and its WebSockets."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from anyio import to_thread
from fastapi import (
    APIRouter,
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

from bot.access import accounts, disclosure
from bot.access.accounts import Disabled, is_locked
from bot.api.deps import address_of
from bot.console import canned as canned_replies
from bot.console import csrf
from bot.console.auth import (
    COOKIE,
    SESSION_TTL_S,
    admit,
    close_session,
    end_sessions,
    heartbeats,
    login,
    open_session,
)
from bot.console.chat_assist import NOT_YOURS, findings_of
from bot.console.deps import Agent, as_agent, own_handoff, presence_of, services_of
from bot.console.live_feed import HeldChats
from bot.console.lockout import lock_and_alert
from bot.console.throttle import LoginGuard
from bot.core.bounded import CLOSE_SECONDS, close_subscription, within
from bot.core.models import Conversation, Customer, Handoff, Message, Ticket, User, utcnow
from bot.core.models.staff import public_name
from bot.handoff import queue
from bot.transcripts.timeline import transcript as conversation_transcript
from bot.web.audited_reads import AuditedReads
from bot.web.services import Services

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000)
    # sent although the compliance check warned (recorded for the supervisor)
    override: bool = False


class Ending(BaseModel):
    """The wrap-up: how the chat ended and, to resolve its ticket, the category and what
    was done."""

    model_config = ConfigDict(extra="forbid")
    disposition: str = Field(default="resolved", min_length=1, max_length=64)
    category: str | None = Field(default=None, pattern="^(complaint|suggestion|inquiry|incident)$")
    resolution: str | None = Field(default=None, min_length=1, max_length=4000)


@router.get("/console", response_class=HTMLResponse)
async def console_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "console.html", {})


LOCKED = "账户已锁定，请联系管理员解锁 / this account is locked; ask an administrator to unlock it"


def _wait_words(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 60 else f"{seconds // 60 + 1} 分钟"


async def _guarded(services: Services, name: str, address: str | None) -> LoginGuard:
    """The sign-in guard for ``name`` from ``address``, refusing (429 or 403, audited)
    while it must wait or the account is locked."""
    settings = services.settings
    guard = LoginGuard(services.events.redis, settings.redis_prefix, settings.login_lock_at)
    wait = await guard.wait_s(name, address)
    if wait:
        await services.audit(name, "login_locked", "user", name, address)
        raise HTTPException(
            429,
            f"尝试次数过多，请 {_wait_words(wait)} 后再试 / too many attempts, "
            f"try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    if await to_thread.run_sync(is_locked, services.db, name):
        await services.audit(name, "login_locked", "user", name, address, "locked")
        raise HTTPException(403, LOCKED)
    return guard


async def _wrong_password(
    services: Services, guard: LoginGuard, name: str, address: str | None
) -> None:
    """A wrong password counts towards the slow-down and the account lock, audited."""
    failure = await guard.failed(name, address)
    await services.audit(name, "login_failed", "user", name, address)
    if failure.lock:
        await lock_and_alert(services, name, address, failure.account_failures)


@router.post("/console/api/login")
async def console_login(body: Credentials, request: Request, response: Response) -> dict[str, str]:
    services = services_of(request)
    address = address_of(request)
    guard = await _guarded(services, body.name, address)
    try:
        found = await login(services, body.name, body.password)
    except Disabled as exc:
        await services.audit(body.name, "login_disabled", "user", body.name, address)
        raise HTTPException(403, str(exc)) from exc
    if found is None:
        await _wrong_password(services, guard, body.name, address)
        raise HTTPException(401, "用户名或密码错误 / wrong name or password")
    await guard.succeeded(body.name, address)
    token, signed = found
    if token is None:
        raise HTTPException(
            409,
            {
                "message": "请先设置新密码 / choose a new password first",
                "must_change_password": True,
            },
        )
    await services.audit(body.name, "login", "user", body.name, address)
    return _signed_in(request, response, body.name, token, signed.role)


def _signed_in(
    request: Request, response: Response, name: str, token: str, role: str
) -> dict[str, str]:
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_TTL_S,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    csrf.issue(request, response, token, SESSION_TTL_S)
    return {"name": name, "role": role}


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


@router.post("/console/api/password")
async def change_password(
    body: PasswordChange, request: Request, response: Response
) -> dict[str, str]:
    """Choose a new password with the current one (required after a reset); signs in.
    Wrong current passwords count towards the same lock as sign-ins."""
    services = services_of(request)
    address = address_of(request)
    guard = await _guarded(services, body.name, address)
    try:
        role = await to_thread.run_sync(
            accounts.change_password, services.db, body.name, body.password, body.new_password
        )
    except accounts.Disabled as exc:
        raise HTTPException(403, str(exc)) from exc
    except accounts.WrongPassword as exc:
        await _wrong_password(services, guard, body.name, address)
        raise HTTPException(401, str(exc)) from exc
    except accounts.AccountError as exc:
        raise HTTPException(422, str(exc)) from exc
    await guard.succeeded(body.name, address)
    await end_sessions(services, body.name)
    await services.audit(body.name, "password.change", "user", body.name, address)
    token = await open_session(services, body.name)
    await services.audit(body.name, "login", "user", body.name, address)
    return _signed_in(request, response, body.name, token, role)


@router.post("/console/api/logout")
async def console_logout(request: Request, response: Response, agent: Agent) -> dict[str, bool]:
    services = services_of(request)
    await close_session(services, request.cookies.get(COOKIE, ""))
    await presence_of(services).leave(agent)
    response.delete_cookie(COOKIE)
    response.delete_cookie(csrf.COOKIE)
    return {"ok": True}


@router.get("/console/api/me")
async def me(agent: Agent) -> dict[str, str]:
    return {"name": agent}


@router.get("/console/api/queue")
async def queue_listing(request: Request, agent: Agent) -> list[dict[str, Any]]:
    items = await to_thread.run_sync(queue.listing, services_of(request).db, agent)
    return [asdict(item) for item in items]


@router.post("/console/api/handoffs/{handoff_id}/accept")
async def accept(handoff_id: int, request: Request, agent: Agent) -> dict[str, str]:
    services = services_of(request)
    conversation = await to_thread.run_sync(queue.accept, services.db, handoff_id, agent)
    if conversation is None:
        raise HTTPException(409, "已被其他坐席接入 / another agent took this chat")
    await services.events.publish_staff({"type": "queue", "handoff_id": handoff_id})
    services.wake_worker()
    return {"conversation_id": conversation}


@router.get("/console/api/handoffs/{handoff_id}/messages")
async def transcript(handoff_id: int, request: Request, agent: Agent) -> list[dict[str, Any]]:
    services = services_of(request)

    def work() -> list[dict[str, Any]]:
        with services.db.session() as session:
            handoff = own_handoff(session, handoff_id, agent)
            if handoff is None:
                raise PermissionError(f"handoff:{handoff_id}")
            return conversation_transcript(session, handoff.conversation_id)

    return await AuditedReads(services, agent, address_of(request)).read(
        "transcript", work, f"handoff:{handoff_id}"
    )


@router.post("/console/api/handoffs/{handoff_id}/messages")
async def send(handoff_id: int, body: Text, request: Request, agent: Agent) -> dict[str, bool]:
    """An agent's message, checked against the quality rubric first: a warning stops it
    (409 with the findings) unless the agent overrides it, which is audited."""
    services = services_of(request)
    try:
        found = await to_thread.run_sync(findings_of, services, handoff_id, agent, body.text)
    except PermissionError as exc:
        raise HTTPException(403, NOT_YOURS) from exc
    if found and not body.override:
        raise HTTPException(
            409,
            {
                "message": "发送前请确认合规提示 / the compliance check has warnings",
                "findings": [asdict(f) for f in found],
            },
        )
    db = services.db
    sent = await as_agent(request, lambda: queue.send(db, handoff_id, agent, body.text))
    if found:
        await services.audit(
            agent,
            "compliance.override",
            "handoff",
            str(handoff_id),
            address_of(request),
            ",".join(f.key for f in found),
        )
    return sent


class Seen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_id: int = Field(ge=0)


@router.post("/console/api/handoffs/{handoff_id}/read")
async def read(handoff_id: int, body: Seen, request: Request, agent: Agent) -> dict[str, bool]:
    """The agent has seen the chat up to this message (clears its unread count)."""
    db = services_of(request).db
    return await as_agent(request, lambda: queue.mark_read(db, handoff_id, agent, body.message_id))


@router.post("/console/api/handoffs/{handoff_id}/end")
async def end(handoff_id: int, body: Ending, request: Request, agent: Agent) -> dict[str, bool]:
    services = services_of(request)
    result = await as_agent(
        request,
        lambda: queue.end(
            services.db,
            services.settings,
            handoff_id,
            agent,
            body.disposition,
            category=body.category,
            resolution=body.resolution,
        ),
    )
    await services.route_handoffs()
    return result


class Transfer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str | None = Field(default=None, max_length=64)  # an agent; None: the queue
    team: str | None = Field(default=None, max_length=64)  # only this team's agents
    note: str = Field(default="", max_length=1000)


@router.post("/console/api/handoffs/{handoff_id}/transfer")
async def transfer(
    handoff_id: int, body: Transfer, request: Request, agent: Agent
) -> dict[str, bool]:
    """To another agent, or back to the queue, with a note on the ticket."""
    services = services_of(request)
    result = await as_agent(
        request,
        lambda: queue.transfer(services.db, handoff_id, agent, body.to, body.note, body.team),
    )
    await services.events.publish_staff({"type": "queue", "handoff_id": handoff_id})
    await services.route_handoffs()
    return result


@router.get("/console/api/canned")
async def canned(request: Request, agent: Agent, language: str = "zh") -> list[dict[str, Any]]:
    """The team's and the shared canned replies, for the older console page: filled in
    with the agent's name and a general form of address (the staff app fills each
    chat's own: ``/console/api/handoffs/{id}/canned``)."""
    db = services_of(request).db
    english = language == "en"

    def work() -> list[dict[str, Any]]:
        with db.session() as session:
            user = session.scalar(select(User).where(User.name == agent))
            name = public_name(user.display_name, user.staff_number) if user else None
            context = canned_replies.Context(
                "en" if english else "zh",
                "Dear customer" if english else "尊敬的客户",
                "",
                name or ("customer service" if english else "客服"),
            )
            return [
                {"key": str(r["id"]), "text": r["text"]}
                for r in canned_replies.filled(session, user.team if user else None, context)
            ]

    return await to_thread.run_sync(work)


@router.get("/console/api/handoffs/{handoff_id}/customer")
async def customer_panel(handoff_id: int, request: Request, agent: Agent) -> dict[str, Any]:
    """The customer's profile and history for the agent who has the chat."""
    services = services_of(request)

    def work() -> dict[str, Any]:
        with services.db.session() as session:
            handoff = own_handoff(session, handoff_id, agent)
            if handoff is None:
                raise PermissionError(f"handoff:{handoff_id}")
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
            verified = disclosure.is_verified(conversation, utcnow())
            customer = (
                session.get(Customer, conversation.customer_id)
                if verified and conversation.customer_id
                else None
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
                # whether the customer proved who they are (SMS code) and with which number
                "verified": verified,
                "phone_tail": customer.phone_tail if customer is not None else None,
                "since": conversation.created_at.isoformat(),
                "earlier_chats_with_staff": int(earlier or 0),
                "suggestions": [
                    asdict(x)
                    for x in services.kb.suggest(
                        session,
                        last or "",
                        conversation.language,
                        datetime.now(services.timezone).date(),
                    )
                ]
                if services.kb is not None
                else [],
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

    return await AuditedReads(services, agent, address_of(request)).read(
        "customer", work, f"handoff:{handoff_id}"
    )


def _role(services: Services, name: str) -> str | None:
    with services.db.session() as session:
        return session.scalar(select(User.role).where(User.name == name))


@router.websocket("/console/ws")
async def console_socket(websocket: WebSocket) -> None:
    """Presence (heartbeat while connected), queue notices, and the agent's chats live."""
    services: Services = websocket.app.state.services
    agent = await admit(websocket)
    if agent is None:
        return
    presence = presence_of(services)
    role = await to_thread.run_sync(_role, services, agent)
    await presence.join(agent, offers=role == "agent")
    await services.route_handoffs()
    pubsub = services.events.subscriber.pubsub(ignore_subscribe_messages=True)
    await pubsub.psubscribe(f"{services.settings.redis_prefix}:conv:*")
    await pubsub.subscribe(services.events.staff_channel())

    chats = HeldChats(services.db, agent)
    await chats.refresh()

    async def pump() -> None:
        async for item in pubsub.listen():
            if item.get("type") == "message":
                frame = json.loads(item["data"])
                await chats.staff_frame(frame.get("type"))
                await websocket.send_json(frame)
            elif item.get("type") == "pmessage":
                channel = (
                    item["channel"].decode()
                    if isinstance(item["channel"], bytes)
                    else item["channel"]
                )
                conversation = channel.rsplit(":", 1)[-1]
                if await chats.forwards(conversation):
                    await websocket.send_json(
                        {**json.loads(item["data"]), "conversation_id": conversation}
                    )

    task = asyncio.create_task(pump())
    try:
        async for _ in heartbeats(websocket):
            await presence.beat(agent)
    except WebSocketDisconnect:
        pass
    finally:
        task.cancel()
        await within("stopping a console's live feed", task, CLOSE_SECONDS)
        await close_subscription(pubsub)
        await presence.leave(agent)
        services.wake_scanner()  # the sweeper returns this agent's chats to the queue
