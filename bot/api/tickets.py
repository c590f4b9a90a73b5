"""Public API (API token): tickets and conversation transcripts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from bot.api.deps import Actor, Address, ServicesDep, needs
from bot.api.schemas import MessageOut, TicketOut
from bot.core.models import Conversation, Message
from bot.tickets.service import get_ticket, list_tickets
from bot.web.audited_reads import AuditedReads

router = APIRouter(tags=["tickets"])


@router.get("/tickets", dependencies=[needs("tickets:read")])
async def tickets(
    services: ServicesDep,
    actor: Actor,
    address: Address,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    status: Annotated[str | None, Query(max_length=20)] = None,
    priority: Annotated[str | None, Query(pattern="^P[1-4]$")] = None,
    category: Annotated[str | None, Query(max_length=16)] = None,
) -> list[TicketOut]:
    """Tickets, newest first, filtered by status, priority or category."""
    found = await AuditedReads(services, actor, address).read(
        "ticket_list",
        lambda: list_tickets(
            services.db, limit, offset, status=status, priority=priority, category=category
        ),
        "list",
        detail=f"status={status} priority={priority} category={category} offset={offset}",
    )
    return [TicketOut.of(t, services.timezone) for t in found]


@router.get("/tickets/{number}", dependencies=[needs("tickets:read")])
async def ticket(number: str, services: ServicesDep, actor: Actor, address: Address) -> TicketOut:
    found = await AuditedReads(services, actor, address).read_one(
        "ticket", lambda: get_ticket(services.db, number), lambda t: t.number, "no such ticket"
    )
    return TicketOut.of(found, services.timezone)


@router.get("/conversations/{public_id}/messages", dependencies=[needs("tickets:read")])
async def transcript(
    public_id: str, services: ServicesDep, actor: Actor, address: Address
) -> list[MessageOut]:
    """Every message of a conversation, both ways, in order."""

    def work() -> list[MessageOut] | None:
        with services.db.session() as session:
            conversation = session.scalar(
                select(Conversation).where(Conversation.public_id == public_id)
            )
            if conversation is None:
                return None
            rows = session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation.id)
                .order_by(Message.id)
            ).all()
            return [
                MessageOut(
                    id=m.id,
                    direction=m.direction,
                    sender=m.sender,
                    text=m.text,
                    language=m.language,
                    intent=m.intent,
                    confidence=m.confidence,
                    created_at=m.created_at,
                )
                for m in rows
            ]

    return await AuditedReads(services, actor, address).read_one(
        "transcript", work, public_id, "no such conversation"
    )
