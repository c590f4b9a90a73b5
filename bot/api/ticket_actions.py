"""Working tickets over the API (API token; its name is recorded as the actor)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from bot.api.deps import Actor, Address, ServicesDep, needs
from bot.core.models import EscalationEvent, Ticket, TicketEvent
from bot.tickets.commands import TicketCommands
from bot.tickets.policy import STATUSES
from bot.web.audited_reads import AuditedReads

router = APIRouter(tags=["tickets"])


class Transition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(pattern="^(" + "|".join(STATUSES) + ")$")


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: str | None = Field(default=None, max_length=64)
    team: str | None = Field(default=None, max_length=64)


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=4000)


class EventOut(BaseModel):
    at: datetime
    actor: str
    action: str
    from_value: str | None
    to_value: str | None
    body: str | None


class EscalationOut(BaseModel):
    step: str
    target: str
    due_at: datetime
    created_at: datetime
    skipped: bool
    notified_at: datetime | None


@router.post("/tickets/{number}/transition", dependencies=[needs("tickets:write")])
async def transition(
    number: str, body: Transition, services: ServicesDep, actor: Actor, address: Address
) -> dict[str, bool]:
    """Move a ticket: new → open → pending_customer → resolved → closed, or reopen."""
    await TicketCommands(services, actor, address).transition(number, body.to)
    return {"ok": True}


@router.post("/tickets/{number}/assign", dependencies=[needs("tickets:write")])
async def assign(
    number: str, body: Assignment, services: ServicesDep, actor: Actor, address: Address
) -> dict[str, bool]:
    await TicketCommands(services, actor, address).assign(number, body.assignee, body.team)
    return {"ok": True}


@router.post("/tickets/{number}/notes", dependencies=[needs("tickets:write")])
async def note(
    number: str, body: Text, services: ServicesDep, actor: Actor, address: Address
) -> dict[str, bool]:
    """An internal note (never shown to the customer)."""
    await TicketCommands(services, actor, address).note(number, body.body)
    return {"ok": True}


@router.post("/tickets/{number}/replies", dependencies=[needs("tickets:write")])
async def reply(
    number: str, body: Text, services: ServicesDep, actor: Actor, address: Address
) -> dict[str, bool]:
    """A reply the customer receives on their own channel."""
    await TicketCommands(services, actor, address).reply(number, body.body)
    return {"ok": True}


@router.post("/tickets/{number}/acknowledge", dependencies=[needs("tickets:write")])
async def acknowledge(
    number: str, services: ServicesDep, actor: Actor, address: Address
) -> dict[str, bool]:
    """The on-call supervisor acknowledges a P1 page (stops the re-paging)."""
    await TicketCommands(services, actor, address).acknowledge(number)
    return {"ok": True}


def _ticket_id(services: ServicesDep, number: str) -> int:
    with services.db.session() as session:
        found = session.scalar(select(Ticket.id).where(Ticket.number == number.upper()))
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such ticket")
    return found


@router.get("/tickets/{number}/events", dependencies=[needs("tickets:read")])
async def events(
    number: str, services: ServicesDep, actor: Actor, address: Address
) -> list[EventOut]:
    """The ticket's history: every change, who, when, from, to."""

    def work() -> list[EventOut]:
        ticket_id = _ticket_id(services, number)
        with services.db.session() as session:
            rows = session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id)
                .order_by(TicketEvent.id)
            )
            return [
                EventOut(
                    at=r.at,
                    actor=r.actor,
                    action=r.action,
                    from_value=r.from_value,
                    to_value=r.to_value,
                    body=r.body,
                )
                for r in rows
            ]

    return await AuditedReads(services, actor, address).read("ticket_events", work, number.upper())


@router.get("/tickets/{number}/escalations", dependencies=[needs("tickets:read")])
async def escalations(
    number: str,
    services: ServicesDep,
    actor: Actor,
    address: Address,
    include_skipped: Annotated[bool, Query()] = False,
) -> list[EscalationOut]:
    def work() -> list[EscalationOut]:
        ticket_id = _ticket_id(services, number)
        with services.db.session() as session:
            query = select(EscalationEvent).where(EscalationEvent.ticket_id == ticket_id)
            if not include_skipped:
                query = query.where(EscalationEvent.skipped.is_(False))
            return [
                EscalationOut(
                    step=e.step,
                    target=e.target,
                    due_at=e.due_at,
                    created_at=e.created_at,
                    skipped=e.skipped,
                    notified_at=e.notified_at,
                )
                for e in session.scalars(query.order_by(EscalationEvent.id))
            ]

    return await AuditedReads(services, actor, address).read(
        "ticket_escalations", work, number.upper()
    )
