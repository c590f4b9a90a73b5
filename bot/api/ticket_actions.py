"""Working tickets over the API (API token; its name is recorded as the actor)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from bot.api.deps import Actor, Address, ServicesDep
from bot.models import EscalationEvent, Ticket, TicketEvent
from bot.tickets import lifecycle
from bot.tickets.policy import STATUSES

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


async def _apply(
    services: ServicesDep,
    work: Callable[[], object],
    audit: tuple[str, str, str, str | None],
) -> dict[str, bool]:
    """Run a ticket change and record it (actor, action, ticket, address) in the audit log."""
    try:
        await to_thread.run_sync(work)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such ticket") from exc
    except lifecycle.LifecycleError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    actor, action, number, address = audit
    await services.audit(actor, f"ticket.{action}", "ticket", number.upper(), address)
    services.wake_scanner()
    services.wake_worker()
    return {"ok": True}


@router.post("/tickets/{number}/transition")
async def transition(
    number: str, body: Transition, services: ServicesDep, actor: Actor, address: Address
) -> dict[str, bool]:
    """Move a ticket: new → open → pending_customer → resolved → closed, or reopen."""
    return await _apply(
        services,
        lambda: lifecycle.transition(services.db, services.settings, number, body.to, actor),
        (actor, "transition", number, address),
    )


@router.post("/tickets/{number}/assign")
async def assign(
    number: str, body: Assignment, services: ServicesDep, actor: Actor, address: Address
) -> dict[str, bool]:
    return await _apply(
        services,
        lambda: lifecycle.assign(services.db, number, body.assignee, body.team, actor),
        (actor, "assign", number, address),
    )


@router.post("/tickets/{number}/notes")
async def note(
    number: str, body: Text, services: ServicesDep, actor: Actor, address: Address
) -> dict[str, bool]:
    """An internal note (never shown to the customer)."""
    return await _apply(
        services,
        lambda: lifecycle.add_note(services.db, number, body.body, actor),
        (actor, "note", number, address),
    )


@router.post("/tickets/{number}/replies")
async def reply(
    number: str, body: Text, services: ServicesDep, actor: Actor, address: Address
) -> dict[str, bool]:
    """A reply the customer receives on their own channel."""
    return await _apply(
        services,
        lambda: lifecycle.reply(services.db, number, body.body, actor),
        (actor, "reply", number, address),
    )


@router.post("/tickets/{number}/acknowledge")
async def acknowledge(
    number: str, services: ServicesDep, actor: Actor, address: Address
) -> dict[str, bool]:
    """The on-call supervisor acknowledges a P1 page (stops the re-paging)."""
    return await _apply(
        services,
        lambda: lifecycle.acknowledge(services.db, number, actor),
        (actor, "acknowledge", number, address),
    )


def _ticket_id(services: ServicesDep, number: str) -> int:
    with services.db.session() as session:
        found = session.scalar(select(Ticket.id).where(Ticket.number == number.upper()))
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such ticket")
    return found


@router.get("/tickets/{number}/events")
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

    found = await to_thread.run_sync(work)
    await services.audit(actor, "read", "ticket_events", number.upper(), address)
    return found


@router.get("/tickets/{number}/escalations")
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

    found = await to_thread.run_sync(work)
    await services.audit(actor, "read", "ticket_escalations", number.upper(), address)
    return found
