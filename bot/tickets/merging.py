"""Merging duplicate tickets of one customer: one survives, the others point at it and
close. Only tickets of the same customer (the same channel identity, or identities
bound to the same verified customer) may be merged."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.db import Database
from bot.core.models import Conversation, Ticket, utcnow
from bot.tickets import lifecycle


def _owner(session: Session, ticket: Ticket) -> tuple[int, int | None]:
    conversation = session.get(Conversation, ticket.conversation_id)
    assert conversation is not None
    return conversation.id, conversation.customer_id


def same_customer(session: Session, a: Ticket, b: Ticket) -> bool:
    (conv_a, customer_a), (conv_b, customer_b) = _owner(session, a), _owner(session, b)
    return conv_a == conv_b or (customer_a is not None and customer_a == customer_b)


def merge(db: Database, survivor_number: str, duplicates: list[str], actor: str) -> list[str]:
    """Merge ``duplicates`` into the survivor; returns the numbers merged."""
    numbers = sorted({n.upper() for n in duplicates} - {survivor_number.upper()})
    if not numbers:
        raise lifecycle.LifecycleError("name at least one other ticket to merge")
    with db.session() as session:
        survivor = lifecycle.locked_ticket(session, survivor_number)
        if survivor.merged_into_id is not None:
            raise lifecycle.LifecycleError(f"{survivor.number} was itself merged")
        now = utcnow()
        for number in numbers:
            duplicate = lifecycle.locked_ticket(session, number)
            if duplicate.merged_into_id is not None:
                raise lifecycle.LifecycleError(f"{number} is already merged")
            if not same_customer(session, survivor, duplicate):
                raise lifecycle.LifecycleError(f"{number} belongs to another customer")
            duplicate.merged_into_id = survivor.id
            lifecycle.record(session, duplicate, actor, "merged", None, survivor.number)
            if duplicate.status != "closed":
                old = duplicate.status
                duplicate.status, duplicate.closed_at = "closed", now
                lifecycle.record(
                    session, duplicate, actor, "status", old, "closed", f"→ {survivor.number}"
                )
        lifecycle.record(session, survivor, actor, "merge", None, None, ", ".join(numbers))
        return numbers


def merged_into(session: Session, ticket: Ticket) -> str | None:
    if ticket.merged_into_id is None:
        return None
    return session.scalar(select(Ticket.number).where(Ticket.id == ticket.merged_into_id))
