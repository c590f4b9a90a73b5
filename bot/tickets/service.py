"""Opening and reading tickets. Idempotent on the caller's key; numbers customers can quote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.access import disclosure
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.models import Conversation, Ticket, TicketEvent, utcnow
from bot.core.redact import redact
from bot.sla.policy import deadlines, priority_for, targets_for
from bot.sla.setup import calendars
from bot.tickets import clock
from bot.tickets.policy import CATEGORIES


class TicketError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class TicketView:
    number: str
    category: str
    subcategory: str | None
    priority: str
    status: str
    description: str
    conversation_public_id: str
    channel: str
    created_at: datetime
    first_response_due_at: datetime
    resolution_due_at: datetime
    assignee: str | None = None
    team: str | None = None
    first_responded_at: datetime | None = None
    resolved_at: datetime | None = None
    acknowledged_at: datetime | None = None


def ticket_number(ticket_id: int, opened_at: datetime) -> str:
    """AX + yymmdd + a five-digit serial, e.g. AX26112800042."""
    return f"AX{opened_at:%y%m%d}{ticket_id % 100000:05d}"


def _view(ticket: Ticket, conversation: Conversation) -> TicketView:
    assert ticket.number is not None
    return TicketView(
        number=ticket.number,
        category=ticket.category,
        subcategory=ticket.subcategory,
        priority=ticket.priority,
        status=ticket.status,
        description=ticket.description,
        conversation_public_id=conversation.public_id,
        channel=conversation.channel,
        created_at=ticket.created_at,
        first_response_due_at=ticket.first_response_due_at,
        resolution_due_at=ticket.resolution_due_at,
        assignee=ticket.assignee,
        team=ticket.team,
        first_responded_at=ticket.first_responded_at,
        resolved_at=ticket.resolved_at,
        acknowledged_at=ticket.acknowledged_at,
    )


def _by_key(db: Database, key: str) -> TicketView | None:
    with db.session() as session:
        row = session.execute(
            select(Ticket, Conversation)
            .join(Conversation, Ticket.conversation_id == Conversation.id)
            .where(Ticket.idempotency_key == key)
        ).first()
        return _view(*row) if row else None


def open_ticket(
    db: Database,
    settings: Settings,
    *,
    conversation_public_id: str,
    category: str,
    subcategory: str | None,
    description: str,
    idempotency_key: str,
    actor: str = "assistant",
) -> tuple[TicketView, bool]:
    """Open a ticket; returns (ticket, created). The same key never opens two tickets."""
    if category not in CATEGORIES:
        raise TicketError(f"unknown category {category!r}")
    existing = _by_key(db, idempotency_key)
    if existing is not None:
        return existing, False
    opened_at = utcnow()
    try:
        with db.session() as session:
            priority = priority_for(session, category, subcategory)
            targets = targets_for(session, priority, category)
            first_due, resolution_due = deadlines(targets, calendars(session, settings), opened_at)
            conversation = session.scalar(
                select(Conversation).where(Conversation.public_id == conversation_public_id)
            )
            if conversation is None:
                raise TicketError("unknown conversation")
            ticket = Ticket(
                idempotency_key=idempotency_key,
                conversation_id=conversation.id,
                category=category,
                subcategory=subcategory,
                priority=priority,
                status="new",
                description=redact(description)[:4000],
                created_at=opened_at,
                first_response_due_at=first_due,
                resolution_due_at=resolution_due,
                calendar=targets.calendar,
                # The ladder is evaluated at once (a P1 pages the on-call supervisor now).
                next_escalation_at=opened_at,
                channel=conversation.channel,
            )
            clock.refresh(ticket)
            session.add(ticket)
            session.flush()
            ticket.number = ticket_number(ticket.id, opened_at)
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    at=opened_at,
                    actor=actor,
                    action="created",
                    to_value=priority,
                )
            )
            return _view(ticket, conversation), True
    except IntegrityError:
        existing = _by_key(db, idempotency_key)
        if existing is None:
            raise
        return existing, False


def get_ticket(db: Database, number: str) -> TicketView | None:
    with db.session() as session:
        row = session.execute(
            select(Ticket, Conversation)
            .join(Conversation, Ticket.conversation_id == Conversation.id)
            .where(Ticket.number == number.upper())
        ).first()
        return _view(*row) if row else None


class NotVerified(Exception):
    """The asking channel identity has not proved who it is (or no longer does)."""


def get_ticket_for_customer(
    db: Database, number: str, conversation_public_id: str
) -> TicketView | None:
    """The ticket only if the asking identity is verified and the ticket is its
    customer's (opened on any of their channels); None otherwise, so nothing leaks.
    Raises ``NotVerified`` (before looking at the ticket) for an unverified identity."""
    with db.session() as session:
        asking = session.scalar(
            select(Conversation).where(Conversation.public_id == conversation_public_id)
        )
        if asking is None or not disclosure.is_verified(asking, utcnow()):
            raise NotVerified(conversation_public_id)
        ticket = disclosure.visible_ticket(session, number, asking)
        if ticket is None:
            return None
        owner = session.get(Conversation, ticket.conversation_id)
        assert owner is not None
        return _view(ticket, owner)


def list_tickets(
    db: Database,
    limit: int = 100,
    offset: int = 0,
    *,
    status: str | None = None,
    priority: str | None = None,
    category: str | None = None,
) -> list[TicketView]:
    query = select(Ticket, Conversation).join(
        Conversation, Ticket.conversation_id == Conversation.id
    )
    if status:
        query = query.where(Ticket.status == status)
    if priority:
        query = query.where(Ticket.priority == priority)
    if category:
        query = query.where(Ticket.category == category)
    with db.session() as session:
        rows = session.execute(query.order_by(Ticket.id.desc()).limit(limit).offset(offset)).all()
        return [_view(t, c) for t, c in rows]
