"""Everything the desk's ticket page shows: the ticket and its clocks, the customer
(masked), the linked conversations, and one timeline of messages, notes, status
changes, calls, SLA events and escalations in time order."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.access import disclosure
from bot.core.models import (
    Conversation,
    Customer,
    EscalationEvent,
    Message,
    Ticket,
    TicketEvent,
)
from bot.tickets import clock, revisits
from bot.tickets.merging import merged_into

# messages from a little before the ticket opened: what led to it
LEAD_IN = timedelta(hours=24)
TIMELINE_MESSAGES = 500


@dataclass(frozen=True, slots=True)
class Entry:
    at: datetime
    kind: str  # message | event | escalation
    actor: str
    action: str
    text: str | None = None
    from_value: str | None = None
    to_value: str | None = None
    conversation: str | None = None
    ticket: str | None = None  # a merged duplicate's event: that ticket's number


def _mask(external_id: str) -> str:
    if len(external_id) <= 6:
        return "***"
    return f"{external_id[:3]}***{external_id[-3:]}"


def _conversation(session: Session, conversation: Conversation, now: datetime) -> dict[str, Any]:
    verified = disclosure.is_verified(conversation, now)
    customer = session.get(Customer, conversation.customer_id) if conversation.customer_id else None
    return {
        "public_id": conversation.public_id,
        "channel": conversation.channel,
        "language": conversation.language,
        "tier": conversation.tier,
        "identity": _mask(conversation.external_user_id),
        "verified": verified,
        "phone_tail": customer.phone_tail if customer is not None else None,
        "since": conversation.created_at,
        "last_message_at": conversation.last_message_at,
        "mode": conversation.mode,
    }


def _timeline(
    session: Session,
    ticket: Ticket,
    duplicates: list[Ticket],
    conversations: dict[int, Conversation],
    since: datetime,
) -> list[Entry]:
    entries: list[Entry] = []
    messages = session.scalars(
        select(Message)
        .where(Message.conversation_id.in_(conversations), Message.created_at >= since)
        .order_by(Message.id.desc())
        .limit(TIMELINE_MESSAGES)
    )
    for m in messages:
        entries.append(
            Entry(
                at=m.created_at,
                kind="message",
                actor=(m.author or m.sender) if m.direction == "out" else "customer",
                action="in" if m.direction == "in" else "out",
                text=m.text,
                conversation=conversations[m.conversation_id].public_id,
            )
        )
    merged = {d.id: d.number for d in duplicates}
    for e in session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id.in_([ticket.id, *merged]))
        .order_by(TicketEvent.id)
    ):
        entries.append(
            Entry(
                at=e.at,
                kind="event",
                actor=e.actor,
                action=e.action,
                text=e.body,
                from_value=e.from_value,
                to_value=e.to_value,
                ticket=merged.get(e.ticket_id),
            )
        )
    for x in session.scalars(
        select(EscalationEvent)
        .where(EscalationEvent.ticket_id == ticket.id, EscalationEvent.skipped.is_(False))
        .order_by(EscalationEvent.id)
    ):
        entries.append(
            Entry(at=x.created_at, kind="escalation", actor="sla", action=x.step, to_value=x.target)
        )
    entries.sort(key=lambda entry: entry.at)
    return entries


def ticket_page(session: Session, ticket: Ticket, now: datetime) -> dict[str, Any]:
    duplicates = list(session.scalars(select(Ticket).where(Ticket.merged_into_id == ticket.id)))
    conversation_ids = {ticket.conversation_id, *(d.conversation_id for d in duplicates)}
    conversations = {
        c.id: c
        for c in session.scalars(select(Conversation).where(Conversation.id.in_(conversation_ids)))
    }
    own = conversations[ticket.conversation_id]
    earlier = session.scalars(
        select(Ticket.number)
        .where(
            Ticket.id != ticket.id,
            or_(
                Ticket.conversation_id == own.id,
                Ticket.conversation_id.in_(
                    select(Conversation.id).where(
                        Conversation.customer_id == own.customer_id,
                        Conversation.customer_id.is_not(None),
                    )
                ),
            ),
        )
        .order_by(Ticket.id.desc())
        .limit(20)
    ).all()
    return {
        "number": ticket.number,
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category,
        "subcategory": ticket.subcategory,
        "channel": ticket.channel or own.channel,
        "description": ticket.description,
        "team": ticket.team,
        "assignee": ticket.assignee,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "clocks": {
            "sla": clock.state(ticket, now),
            "due_at": ticket.due_at,
            "at_risk_at": ticket.at_risk_at,
            "first_response_due_at": ticket.first_response_due_at,
            "first_responded_at": ticket.first_responded_at,
            "next_response_due_at": ticket.next_response_due_at,
            "resolution_due_at": ticket.resolution_due_at,
            "paused_at": ticket.paused_at,
            "resolved_at": ticket.resolved_at,
            "closed_at": ticket.closed_at,
            "acknowledged_at": ticket.acknowledged_at,
            "acknowledged_by": ticket.acknowledged_by,
        },
        "callback": {
            "due_at": ticket.callback_due_at,
            "sealed_number": ticket.callback_phone_sealed is not None,
            "missed": ticket.callback_due_at is not None and ticket.callback_due_at <= now,
        }
        if ticket.callback_due_at is not None
        else None,
        "revisits": revisits.of_ticket(session, ticket.id),
        "customer": _conversation(session, own, now),
        "conversations": [_conversation(session, c, now) for c in conversations.values()],
        "merged_into": merged_into(session, ticket),
        "duplicates": [d.number for d in duplicates],
        "other_tickets": [n for n in earlier if n not in {d.number for d in duplicates}],
        "timeline": [
            asdict(e)
            for e in _timeline(
                session, ticket, duplicates, conversations, ticket.created_at - LEAD_IN
            )
        ],
    }
