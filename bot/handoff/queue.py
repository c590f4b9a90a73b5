"""The handoff queue. The database decides who has a chat: accepting is one conditional
UPDATE, so of two agents who accept the same chat exactly one wins."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.core.config import Settings
from bot.core.db import Database
from bot.core.models import Conversation, Handoff, Message, Ticket, TicketEvent, User, utcnow
from bot.core.redact import redact
from bot.pipeline.outgoing import queue_message
from bot.quality import inspection
from bot.tickets import clock, followup, lifecycle

AVERAGE_WAIT_MINUTES = 3
# why a conversation was handed to people (the staff app names each)
REASONS = ("customer_request", "p1", "fallback", "distress", "anger", "vip", "escalation")


class HandoffError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Queued:
    handoff_id: int
    position: int
    wait_minutes: int


@dataclass(frozen=True, slots=True)
class QueueItem:
    handoff_id: int
    conversation_id: str
    channel: str
    language: str
    reason: str
    ticket: str | None
    state: str
    agent: str | None
    queued_at: str
    offered_to: str | None
    offer_expires_at: str | None
    vip: bool
    category: str | None
    priority: str | None
    unread: int


def _open_handoff(session: Session, conversation_id: int) -> Handoff | None:
    return session.scalar(
        select(Handoff).where(
            Handoff.conversation_id == conversation_id, Handoff.state.in_(("queued", "active"))
        )
    )


def _position(session: Session, handoff: Handoff) -> int:
    ahead = session.scalar(
        select(func.count(Handoff.id)).where(Handoff.state == "queued", Handoff.id < handoff.id)
    )
    return int(ahead or 0) + 1


def request(
    db: Database, conversation_public_id: str, ticket_number: str | None, reason: str
) -> Queued:
    """Put the conversation in the queue (once); the assistant falls silent."""
    with db.session() as session:
        conversation = session.scalar(
            select(Conversation).where(Conversation.public_id == conversation_public_id)
        )
        if conversation is None:
            raise HandoffError("unknown conversation")
        handoff = _open_handoff(session, conversation.id)
        if handoff is None:
            ticket_id = (
                session.scalar(select(Ticket.id).where(Ticket.number == ticket_number))
                if ticket_number
                else None
            )
            handoff = Handoff(conversation_id=conversation.id, ticket_id=ticket_id, reason=reason)
            session.add(handoff)
            session.flush()
        conversation.mode = "queued" if handoff.state == "queued" else "human"
        position = _position(session, handoff)
        return Queued(handoff.id, position, position * AVERAGE_WAIT_MINUTES)


def accept(db: Database, handoff_id: int, agent: str) -> str | None:
    """Take a queued chat. Returns the conversation id, or None if someone else was faster."""
    with db.session() as session:
        won = session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id, Handoff.state == "queued")
            .values(
                state="active",
                agent=agent,
                accepted_at=utcnow(),
                offered_to=None,
                offer_expires_at=None,
            )
        )
        if getattr(won, "rowcount", 0) != 1:
            return None
        handoff = session.get(Handoff, handoff_id)
        assert handoff is not None
        handoff.agent_read_id = session.scalar(
            select(func.max(Message.id)).where(Message.conversation_id == handoff.conversation_id)
        )
        conversation = session.get(Conversation, handoff.conversation_id)
        assert conversation is not None
        conversation.mode = "human"
        queue_message(
            session,
            conversation,
            _greeting(session, agent, conversation.language),
            "agent",
            author=agent,
        )
        return conversation.public_id


def _greeting(session: Session, agent: str, language: str) -> str:
    """The agent's first words, with the name customers may see (never the login)."""
    user = session.scalar(select(User).where(User.name == agent))
    display = user.display_name if user else None
    number = user.staff_number if user else None
    if language == "en":
        who = display or "an adviser"
        badge = f" (staff no. {number})" if number else ""
        return f"Hello, this is {who}{badge} from customer service. How can I help?"
    badge = f"（工号 {number}）" if number else ""
    return f"您好，我是客服{display or '专员'}{badge}，很高兴为您服务。"


def _active_for(session: Session, handoff_id: int, agent: str) -> Handoff:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None or handoff.state != "active" or handoff.agent != agent:
        raise HandoffError("this chat is not yours")
    return handoff


def send(db: Database, handoff_id: int, agent: str, text: str) -> str:
    """An agent's message to the customer (same outbox as the assistant's)."""
    with db.session() as session:
        handoff = _active_for(session, handoff_id, agent)
        conversation = session.get(Conversation, handoff.conversation_id)
        assert conversation is not None
        queue_message(session, conversation, text, "agent", author=agent)
        ticket = session.get(Ticket, handoff.ticket_id) if handoff.ticket_id else None
        if ticket is not None and ticket.first_responded_at is None:
            ticket.first_responded_at = utcnow()
            clock.refresh(ticket)
        return conversation.public_id


def transfer(
    db: Database,
    handoff_id: int,
    agent: str,
    to_agent: str | None,
    note: str,
    team: str | None = None,
) -> None:
    """Hand the chat to another agent, to a team (offered to its agents only), or back
    to the queue, with a note that goes on the ticket's history for whoever takes over."""
    with db.session() as session:
        handoff = _active_for(session, handoff_id, agent)
        if to_agent:
            handoff.agent, handoff.accepted_at = to_agent, utcnow()
        else:
            handoff.state, handoff.agent, handoff.accepted_at = "queued", None, None
            handoff.team = team
            # Whoever gives a chat back is not offered it again.
            handoff.passed_over = [*handoff.passed_over, agent]
            conversation = session.get(Conversation, handoff.conversation_id)
            assert conversation is not None
            conversation.mode = "queued"
        if handoff.ticket_id is not None:
            session.add(
                TicketEvent(
                    ticket_id=handoff.ticket_id,
                    actor=agent,
                    action="transfer",
                    from_value=agent,
                    to_value=to_agent or (f"team:{team}" if team else "queue"),
                    body=redact(note),
                )
            )


def end(
    db: Database,
    settings: Settings,
    handoff_id: int,
    agent: str,
    disposition: str,
    *,
    category: str | None = None,
    resolution: str | None = None,
) -> str:
    """The agent ends the chat with a wrap-up: the disposition recorded and, given a
    resolution, the chat's ticket resolved with it (and its category corrected) — the
    customer is then asked to confirm, as for any resolved ticket; otherwise the survey
    is sent. The assistant resumes."""
    with db.session() as session:
        handoff = _active_for(session, handoff_id, agent)
        handoff.state, handoff.ended_at, handoff.disposition = "ended", utcnow(), disposition
        inspection.inspect(session, handoff)  # 质检 on every ended chat
        conversation = session.get(Conversation, handoff.conversation_id)
        assert conversation is not None
        conversation.mode = "bot"
        ticket = (
            session.scalar(select(Ticket).where(Ticket.id == handoff.ticket_id).with_for_update())
            if handoff.ticket_id
            else None
        )
        if ticket is not None and resolution and ticket.status in clock.RUNNING:
            if category and category != ticket.category:
                lifecycle.record(session, ticket, agent, "category", ticket.category, category)
                ticket.category = category
            lifecycle.apply_transition(
                session, settings, ticket, "resolved", agent, redact(resolution)
            )
        elif ticket is not None:
            followup.ask_survey(session, ticket, conversation)
        return conversation.public_id


LEAVE = re.compile(
    r"^\s*(取消|取消排队|不用了|不等了|算了|cancel|never mind|stop waiting)\s*[。.!！]?\s*$",
    re.IGNORECASE,
)


def leave_queue(session: Session, conversation: Conversation, text: str) -> str | None:
    """A queued customer who says they will not wait leaves the queue and keeps their
    ticket; returns the reply, or None when the message is not that."""
    if conversation.mode != "queued" or not LEAVE.match(text):
        return None
    handoff = _open_handoff(session, conversation.id)
    if handoff is None or handoff.state != "queued":
        return None
    handoff.state, handoff.ended_at, handoff.disposition = "ended", utcnow(), "left_queue"
    conversation.mode = "bot"
    ticket = session.get(Ticket, handoff.ticket_id) if handoff.ticket_id else None
    ref = f" {ticket.number}" if ticket is not None and ticket.number else ""
    if conversation.language == "en":
        return f"You have left the queue. Your ticket{ref} stays open and staff will contact you."
    return f"已为您取消排队，工单{ref}仍会继续处理，客服会联系您。"


def requeue_absent(db: Database, online: set[str]) -> list[str]:
    """Active chats whose agent went offline go back to the queue; returns conversation ids."""
    moved: list[str] = []
    with db.session() as session:
        for handoff in session.scalars(
            select(Handoff).where(Handoff.state == "active").with_for_update(skip_locked=True)
        ):
            if handoff.agent in online:
                continue
            handoff.state, handoff.agent, handoff.accepted_at = "queued", None, None
            conversation = session.get(Conversation, handoff.conversation_id)
            assert conversation is not None
            conversation.mode = "queued"
            moved.append(conversation.public_id)
    return moved


def mark_read(db: Database, handoff_id: int, agent: str, message_id: int) -> None:
    """The agent has seen the chat up to ``message_id``."""
    with db.session() as session:
        handoff = _active_for(session, handoff_id, agent)
        handoff.agent_read_id = max(handoff.agent_read_id or 0, message_id)


def listing(db: Database, agent: str) -> list[QueueItem]:
    """The queue, plus the agent's own active chats with their unread counts."""
    unread = (
        select(func.count(Message.id))
        .where(
            Message.conversation_id == Handoff.conversation_id,
            Message.direction == "in",
            Message.id > func.coalesce(Handoff.agent_read_id, 0),
        )
        .scalar_subquery()
    )
    with db.session() as session:
        rows = session.execute(
            select(Handoff, Conversation, Ticket.number, Ticket.category, Ticket.priority, unread)
            .join(Conversation, Handoff.conversation_id == Conversation.id)
            .outerjoin(Ticket, Handoff.ticket_id == Ticket.id)
            .where(
                (Handoff.state == "queued")
                | ((Handoff.state == "active") & (Handoff.agent == agent))
            )
            .order_by(Handoff.id)
        ).all()
        return [
            QueueItem(
                handoff_id=h.id,
                conversation_id=c.public_id,
                channel=c.channel,
                language=c.language,
                reason=h.reason,
                ticket=number,
                state=h.state,
                agent=h.agent,
                queued_at=h.queued_at.isoformat(),
                offered_to=h.offered_to,
                offer_expires_at=h.offer_expires_at.isoformat() if h.offer_expires_at else None,
                vip=c.tier == "vip",
                category=category,
                priority=priority,
                unread=int(count or 0) if h.state == "active" else 0,
            )
            for h, c, number, category, priority, count in rows
        ]
