"""The ticket panel beside a live chat: open a ticket for the customer, move it through
its lifecycle (resolve included) and add internal notes. Only the agent who has the
chat may touch that customer's tickets."""

from __future__ import annotations

import uuid

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from bot.api.deps import address_of
from bot.console.deps import Agent, own_handoff, services_of
from bot.core.models import Conversation, Handoff, Ticket
from bot.tickets.commands import TicketCommands
from bot.tickets.policy import CATEGORIES, STATUSES
from bot.tickets.service import open_ticket
from bot.web.services import Services

router = APIRouter(include_in_schema=False)
# Outside the agent's own chats the answer is the one for a thing that does not exist.
NO_CHAT = "没有这个会话 / no such chat"
NO_TICKET = "no such ticket"


class NewTicket(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(pattern="^(" + "|".join(CATEGORIES) + ")$")
    description: str = Field(min_length=1, max_length=4000)
    idempotency_key: str = Field(default_factory=lambda: uuid.uuid4().hex, max_length=64)


class Move(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(pattern="^(" + "|".join(STATUSES) + ")$")


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=4000)


def _active_handoff(services: Services, handoff_id: int, agent: str) -> Handoff:
    with services.db.session() as session:
        handoff = own_handoff(session, handoff_id, agent)
        if handoff is None or handoff.state != "active":
            raise HTTPException(404, NO_CHAT)
        session.expunge(handoff)
        return handoff


def _check_ticket(services: Services, handoff_id: int, agent: str, number: str) -> None:
    handoff = _active_handoff(services, handoff_id, agent)
    with services.db.session() as session:
        owner = session.scalar(
            select(Ticket.conversation_id).where(Ticket.number == number.upper())
        )
    if owner is None or owner != handoff.conversation_id:
        raise HTTPException(404, NO_TICKET)


@router.post("/console/api/handoffs/{handoff_id}/tickets")
async def create(
    handoff_id: int, body: NewTicket, request: Request, agent: Agent
) -> dict[str, str]:
    services = services_of(request)

    def work() -> str:
        handoff = _active_handoff(services, handoff_id, agent)
        with services.db.session() as session:
            conversation = session.get(Conversation, handoff.conversation_id)
            assert conversation is not None
            public_id = conversation.public_id
        ticket, _ = open_ticket(
            services.db,
            services.settings,
            conversation_public_id=public_id,
            category=body.category,
            subcategory="agent",
            description=body.description,
            idempotency_key=f"console:{body.idempotency_key}",
            actor=agent,
        )
        with services.db.session() as session:
            current = session.get(Handoff, handoff_id)
            if current is not None and current.ticket_id is None:
                current.ticket_id = session.scalar(
                    select(Ticket.id).where(Ticket.number == ticket.number)
                )
        return ticket.number

    number = await TicketCommands(services, agent, address_of(request)).open(work)
    return {"number": number}


async def _own_ticket(request: Request, handoff_id: int, agent: str, number: str) -> TicketCommands:
    """The agent's commands on a ticket of the customer in one of their active chats."""
    services = services_of(request)
    await to_thread.run_sync(_check_ticket, services, handoff_id, agent, number)
    return TicketCommands(services, agent, address_of(request))


@router.post("/console/api/handoffs/{handoff_id}/tickets/{number}/transition")
async def move(
    handoff_id: int, number: str, body: Move, request: Request, agent: Agent
) -> dict[str, bool]:
    """Open, wait for the customer, resolve (the customer is asked to confirm), reopen."""
    commands = await _own_ticket(request, handoff_id, agent, number)
    await commands.transition(number, body.to)
    return {"ok": True}


@router.post("/console/api/handoffs/{handoff_id}/tickets/{number}/notes")
async def note(
    handoff_id: int, number: str, body: Note, request: Request, agent: Agent
) -> dict[str, bool]:
    commands = await _own_ticket(request, handoff_id, agent, number)
    await commands.note(number, body.body)
    return {"ok": True}
