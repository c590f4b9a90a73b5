"""The handoff summary at the top of an accepted chat, so the agent never asks again:
why the chat came to a person, what the customer wanted (the intents the assistant
understood, in order), their tickets with priority and deadline, whether they proved
who they are, language, VIP, and their last messages — all from what the service
already holds (the texts as stored: masked)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import disclosure
from bot.core.models import Conversation, Customer, Handoff, Message, Ticket
from bot.tickets import clock

LAST_MESSAGES = 5
INTENT_LOOKBACK = 30


def summary(session: Session, handoff: Handoff, now: datetime) -> dict[str, Any]:
    conversation = session.get(Conversation, handoff.conversation_id)
    assert conversation is not None
    said = list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id, Message.sender == "customer")
            .order_by(Message.id.desc())
            .limit(INTENT_LOOKBACK)
        )
    )
    intents: list[str] = []
    for message in reversed(said):
        if message.intent and message.intent not in intents:
            intents.append(message.intent)
    verified = disclosure.is_verified(conversation, now)
    customer = (
        session.get(Customer, conversation.customer_id)
        if verified and conversation.customer_id
        else None
    )
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.conversation_id == conversation.id, Ticket.merged_into_id.is_(None))
        .order_by(Ticket.id.desc())
        .limit(10)
    )
    return {
        "reason": handoff.reason,
        "queued_at": handoff.queued_at,
        "intents": intents,
        "tickets": [
            {
                "number": t.number,
                "priority": t.priority,
                "category": t.category,
                "subcategory": t.subcategory,
                "status": t.status,
                "description": t.description[:140],
                "due_at": t.due_at,
                "sla": clock.state(t, now),
                "callback_due_at": t.callback_due_at,
            }
            for t in tickets
        ],
        "verified": verified,
        "phone_tail": customer.phone_tail if customer is not None else None,
        "language": conversation.language,
        "vip": conversation.tier == "vip",
        "channel": conversation.channel,
        "last_messages": [
            {"id": m.id, "text": m.text, "at": m.created_at} for m in reversed(said[:LAST_MESSAGES])
        ],
    }
