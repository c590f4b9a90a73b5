"""Legal holds: nothing under a hold is purged or erased. A hold is on a customer (every
identity bound to them), on one channel identity, or on one ticket (and its chat);
setting and lifting one needs a reason, and both are audited by the caller."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.core.models import Conversation, Customer, LegalHold, Ticket, utcnow
from bot.privacy.subjects import Subject

MIN_REASON = 4


class HoldError(ValueError):
    pass


@dataclass(slots=True)
class Held:
    """What the live holds cover: conversations and tickets, by id."""

    conversations: set[int] = field(default_factory=set)
    tickets: set[int] = field(default_factory=set)
    customers: set[int] = field(default_factory=set)
    holds: list[LegalHold] = field(default_factory=list)
    ticket_conversations: dict[int, int] = field(default_factory=dict)

    def covers(self, subject: Subject) -> list[LegalHold]:
        """The holds that stop a request about ``subject``."""
        ids = set(subject.conversation_ids)
        touching = []
        for hold in self.holds:
            if hold.customer_id is not None and hold.customer_id == subject.customer_id:
                touching.append(hold)
            elif hold.conversation_id in ids:
                touching.append(hold)
            elif (
                hold.ticket_id is not None and self.ticket_conversations.get(hold.ticket_id) in ids
            ):
                touching.append(hold)
        return touching


def live(session: Session) -> Held:
    """Every live hold and what it covers."""
    held = Held(holds=list(session.scalars(select(LegalHold).where(LegalHold.lifted_at.is_(None)))))
    if not held.holds:
        return held
    held.customers = {h.customer_id for h in held.holds if h.customer_id is not None}
    held.conversations = {h.conversation_id for h in held.holds if h.conversation_id is not None}
    ticket_ids = {h.ticket_id for h in held.holds if h.ticket_id is not None}
    if held.customers:
        pseudonyms = list(
            session.scalars(select(Customer.phone_pseudonym).where(Customer.id.in_(held.customers)))
        )
        held.conversations |= set(
            session.scalars(
                select(Conversation.id).where(
                    or_(
                        Conversation.customer_id.in_(held.customers),
                        (Conversation.channel == "sms")
                        & Conversation.external_user_id.in_(pseudonyms),
                    )
                )
            )
        )
    for ticket_id, conversation_id in session.execute(
        select(Ticket.id, Ticket.conversation_id).where(
            or_(Ticket.id.in_(ticket_ids), Ticket.conversation_id.in_(held.conversations))
        )
    ):
        held.ticket_conversations[ticket_id] = conversation_id
        held.tickets.add(ticket_id)
        if ticket_id in ticket_ids:
            held.conversations.add(conversation_id)
    return held


def place(
    session: Session,
    subject: Subject,
    reason: str,
    actor: str,
) -> LegalHold:
    """Hold the ticket the customer was named by, else the customer (when known), else
    the identity."""
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise HoldError("a hold needs a reason (4+ characters) / 设置保全须填写原因（至少 4 个字）")
    if subject.ticket_id is not None:
        hold = LegalHold(scope="ticket", ticket_id=subject.ticket_id, label=subject.label)
    elif subject.customer_id is not None:
        hold = LegalHold(scope="customer", customer_id=subject.customer_id, label=subject.label)
    else:
        hold = LegalHold(
            scope="conversation", conversation_id=subject.conversation_ids[0], label=subject.label
        )
    hold.reason, hold.set_by, hold.set_at = reason, actor, utcnow()
    session.add(hold)
    session.flush()
    return hold


def lift(session: Session, hold_id: int, reason: str, actor: str) -> LegalHold:
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise HoldError("lifting a hold needs a reason (4+ characters) / 解除保全须填写原因")
    hold = session.get(LegalHold, hold_id, with_for_update=True)
    if hold is None or hold.lifted_at is not None:
        raise HoldError(f"no live hold #{hold_id} / 没有生效中的保全 #{hold_id}")
    hold.lifted_by, hold.lifted_at, hold.lift_reason = actor, utcnow(), reason
    return hold


def listing(session: Session, include_lifted: bool = False) -> list[LegalHold]:
    query = select(LegalHold).order_by(LegalHold.id.desc())
    if not include_lifted:
        query = query.where(LegalHold.lifted_at.is_(None))
    return list(session.scalars(query))
