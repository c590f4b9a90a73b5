"""What helps an agent in a chat, beside the chat itself: the handoff summary; the
knowledge base's suggestions for each customer message (the assistant's own matcher),
and the agent's pick kept as a labelled pair; canned replies filled in for the chat;
the compliance check of a draft (事中质检); typing both ways; the colleagues and teams
a chat can be transferred to, with presence and load. Only the chat's own agent may
use a chat's routes (403 otherwise)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.access import disclosure
from bot.api.deps import address_of
from bot.console import canned
from bot.console.deps import Agent, own_handoff, presence_of, services_of
from bot.core.models import (
    Conversation,
    Customer,
    Handoff,
    KbQuery,
    Message,
    Ticket,
    User,
    utcnow,
)
from bot.core.models.staff import public_name
from bot.handoff.summary import summary
from bot.quality.inspection import DraftFinding, check_draft
from bot.web.audited_reads import AuditedReads
from bot.web.services import Services

router = APIRouter(include_in_schema=False)
NOT_YOURS = "这个会话不是您的 / this chat is not yours"
# the decision a labelled pair is stored under in kb_queries (see the understanding work)
AGENT_PICK = "agent_pick"


def _own(session: Session, handoff_id: int, agent: str) -> Handoff:
    handoff = own_handoff(session, handoff_id, agent)
    if handoff is None:
        raise PermissionError(f"handoff:{handoff_id}")
    return handoff


async def _read(request: Request, agent: str, what: str, handoff_id: int, work: Any) -> Any:
    services = services_of(request)
    return await AuditedReads(services, agent, address_of(request)).read(
        what, work, f"handoff:{handoff_id}"
    )


@router.get("/console/api/handoffs/{handoff_id}/summary")
async def handoff_summary(handoff_id: int, request: Request, agent: Agent) -> dict[str, Any]:
    services = services_of(request)

    def work() -> dict[str, Any]:
        with services.db.session() as session:
            return summary(
                session, _own(session, handoff_id, agent), datetime.now(services.timezone)
            )

    result: dict[str, Any] = await _read(request, agent, "summary", handoff_id, work)
    return result


def _customer_text(session: Session, handoff: Handoff, message_id: int | None) -> Message | None:
    """The customer's message (the latest when no id is given) of this chat."""
    query = select(Message).where(
        Message.conversation_id == handoff.conversation_id, Message.sender == "customer"
    )
    if message_id is not None:
        query = query.where(Message.id == message_id)
    return session.scalar(query.order_by(Message.id.desc()).limit(1))


@router.get("/console/api/handoffs/{handoff_id}/suggestions")
async def suggestions(
    handoff_id: int,
    request: Request,
    agent: Agent,
    message_id: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """The knowledge base's answers for one customer message (the latest by default)."""
    services = services_of(request)

    def work() -> dict[str, Any]:
        with services.db.session() as session:
            handoff = _own(session, handoff_id, agent)
            message = _customer_text(session, handoff, message_id)
            if message is None or services.kb is None:
                return {"message_id": None, "text": "", "suggestions": []}
            conversation = session.get(Conversation, handoff.conversation_id)
            assert conversation is not None
            found = services.kb.suggest(
                session,
                message.text,
                conversation.language,
                datetime.now(services.timezone).date(),
            )
            return {
                "message_id": message.id,
                "text": message.text,
                "suggestions": [asdict(s) for s in found],
            }

    result: dict[str, Any] = await _read(request, agent, "suggestions", handoff_id, work)
    return result


class Pick(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_id: int = Field(ge=1)
    key: str = Field(min_length=1, max_length=64)
    offered: list[str] = Field(default_factory=list, max_length=10)
    score: float = Field(default=0.0, ge=-1.0, le=1.0)


@router.post("/console/api/handoffs/{handoff_id}/suggestions/pick")
async def pick(handoff_id: int, body: Pick, request: Request, agent: Agent) -> dict[str, bool]:
    """The agent used a suggestion for a customer message: a labelled pair (the masked
    question, the entry a person chose for it) for the matcher to learn from."""
    services = services_of(request)

    def work() -> bool:
        with services.db.session() as session:
            handoff = own_handoff(session, handoff_id, agent)
            if handoff is None:
                return False
            message = _customer_text(session, handoff, body.message_id)
            if message is None:
                return False
            conversation = session.get(Conversation, handoff.conversation_id)
            assert conversation is not None
            session.add(
                KbQuery(
                    conversation_id=conversation.id,
                    language=conversation.language,
                    text=message.text,
                    decision=AGENT_PICK,
                    confidence=body.score,
                    best_key=body.offered[0] if body.offered else body.key,
                    choices=body.offered,
                    chosen_key=body.key,
                )
            )
            return True

    if not await to_thread.run_sync(work):
        raise HTTPException(403, NOT_YOURS)
    return {"ok": True}


@router.get("/console/api/handoffs/{handoff_id}/canned")
async def canned_for_chat(
    handoff_id: int, request: Request, agent: Agent
) -> list[dict[str, str | int]]:
    """The team's and the shared canned replies, with the chat's variables filled in."""
    services = services_of(request)

    def work() -> list[dict[str, str | int]]:
        with services.db.session() as session:
            handoff = _own(session, handoff_id, agent)
            conversation = session.get(Conversation, handoff.conversation_id)
            user = session.scalar(select(User).where(User.name == agent))
            assert conversation is not None and user is not None
            return canned.filled(session, user.team, _context(session, handoff, conversation, user))

    result: list[dict[str, str | int]] = await _read(request, agent, "canned", handoff_id, work)
    return result


def _context(
    session: Session, handoff: Handoff, conversation: Conversation, user: User
) -> canned.Context:
    english = conversation.language == "en"
    tail = None
    if conversation.customer_id and disclosure.is_verified(conversation, utcnow()):
        found = session.get(Customer, conversation.customer_id)
        tail = found.phone_tail if found is not None else None
    if english:
        customer = f"Dear customer (number ending {tail})" if tail else "Dear customer"
    else:
        customer = f"尊敬的尾号 {tail} 客户" if tail else "尊敬的客户"
    number = None
    if handoff.ticket_id:
        number = session.scalar(select(Ticket.number).where(Ticket.id == handoff.ticket_id))
    agent_name = public_name(user.display_name, user.staff_number) or (
        "customer service" if english else "客服"
    )
    return canned.Context(conversation.language, customer, number or "", agent_name)


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000)


def findings_of(services: Services, handoff_id: int, agent: str, text: str) -> list[DraftFinding]:
    """The compliance check of a draft, for the chat's own agent (PermissionError else)."""
    with services.db.session() as session:
        return check_draft(session, _own(session, handoff_id, agent), text)


@router.post("/console/api/handoffs/{handoff_id}/check")
async def check(handoff_id: int, body: Draft, request: Request, agent: Agent) -> dict[str, Any]:
    """事中质检: what in the draft the quality rubric forbids or misses, before sending."""
    services = services_of(request)
    try:
        found = await to_thread.run_sync(findings_of, services, handoff_id, agent, body.text)
    except PermissionError as exc:
        raise HTTPException(403, NOT_YOURS) from exc
    return {"findings": [asdict(f) for f in found]}


@router.post("/console/api/handoffs/{handoff_id}/typing")
async def typing(handoff_id: int, request: Request, agent: Agent) -> dict[str, bool]:
    """The agent is typing: the customer's chat page shows it for a few seconds."""
    services = services_of(request)

    def work() -> str | None:
        with services.db.session() as session:
            handoff = own_handoff(session, handoff_id, agent)
            if handoff is None or handoff.state != "active":
                return None
            return session.scalar(
                select(Conversation.public_id).where(Conversation.id == handoff.conversation_id)
            )

    conversation = await to_thread.run_sync(work)
    if conversation is None:
        raise HTTPException(403, NOT_YOURS)
    await services.events.publish(conversation, {"type": "typing", "sender": "agent"})
    return {"ok": True}


@router.get("/console/api/agents")
async def colleagues(request: Request, agent: Agent) -> dict[str, Any]:
    """Who a chat can be transferred to: each colleague's status, chats and capacity, and
    the teams with how many of their people take chats now."""
    services = services_of(request)
    statuses = await presence_of(services).statuses()

    def work() -> dict[str, Any]:
        with services.db.session() as session:
            load = dict(
                session.execute(
                    select(Handoff.agent, func.count(Handoff.id))
                    .where(Handoff.state == "active")
                    .group_by(Handoff.agent)
                ).all()
            )
            people = [
                {
                    "name": u.name,
                    "public_name": public_name(u.display_name, u.staff_number),
                    "team": u.team,
                    "status": statuses.get(u.name, "offline"),
                    "load": int(load.get(u.name, 0)),
                    "capacity": u.capacity,
                }
                for u in session.scalars(select(User).order_by(User.name))
                if u.name != agent and u.locked_at is None
            ]
        teams: dict[str, int] = {}
        for person in people:
            team, online = str(person["team"] or ""), person["status"] == "online"
            if team:
                teams[team] = teams.get(team, 0) + online
        return {
            "agents": people,
            "teams": [{"team": t, "online": n} for t, n in sorted(teams.items())],
        }

    return await to_thread.run_sync(work)
