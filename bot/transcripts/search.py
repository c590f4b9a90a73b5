"""Finding and reading conversations, for supervisors.

Search filters by customer, channel, agent, date range, ticket, intent, satisfaction
score and free text (a case-insensitive substring of any message, Chinese or English;
the same query on SQLite and PostgreSQL). The timeline is one conversation in order:
every turn with its intent and confidence, the handoff's moments, and the ticket and
SLA events of the conversation's tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from bot.access.scopes import Scope
from bot.core.models import (
    Conversation,
    EscalationEvent,
    Handoff,
    Message,
    SurveyResponse,
    Ticket,
    TicketEvent,
    utcnow,
)
from bot.transcripts.timeline import transcript

SNIPPET_CHARS = 120


@dataclass(frozen=True, slots=True)
class Search:
    text: str | None = None
    customer: str | None = None  # conversation id or channel identity
    channel: str | None = None
    agent: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    ticket: str | None = None
    intent: str | None = None
    csat_max: int | None = None  # conversations with a score at or below this
    priority: str | None = None  # with a ticket of this priority
    breached: bool = False  # with a ticket past its resolution deadline (late or still open)
    limit: int = 50
    offset: int = 0
    scope: Scope | None = None  # None: everything


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _message(*where: Any) -> Any:
    return exists(select(Message.id).where(Message.conversation_id == Conversation.id, *where))


def _query(q: Search) -> Select[Any]:
    query = select(Conversation)
    if q.scope is not None and not q.scope.everything:
        query = query.where(q.scope.condition())
    if q.customer:
        query = query.where(
            or_(Conversation.public_id == q.customer, Conversation.external_user_id == q.customer)
        )
    if q.channel:
        query = query.where(Conversation.channel == q.channel)
    if q.agent:
        query = query.where(
            exists(
                select(Handoff.id).where(
                    Handoff.conversation_id == Conversation.id, Handoff.agent == q.agent
                )
            )
        )
    if q.since or q.until:
        window = []
        if q.since:
            window.append(Message.created_at >= q.since)
        if q.until:
            window.append(Message.created_at < q.until)
        query = query.where(_message(*window))
    if q.ticket:
        query = query.where(
            exists(
                select(Ticket.id).where(
                    Ticket.conversation_id == Conversation.id, Ticket.number == q.ticket.upper()
                )
            )
        )
    if q.priority or q.breached:
        conditions: list[Any] = [Ticket.conversation_id == Conversation.id]
        if q.priority:
            conditions.append(Ticket.priority == q.priority)
        if q.breached:
            now = utcnow()
            conditions.append(
                or_(
                    Ticket.resolved_at > Ticket.resolution_due_at,
                    (Ticket.resolved_at.is_(None)) & (Ticket.resolution_due_at <= now),
                )
            )
        query = query.where(exists(select(Ticket.id).where(*conditions)))
    if q.intent:
        query = query.where(_message(Message.intent == q.intent))
    if q.csat_max is not None:
        query = query.where(
            exists(
                select(SurveyResponse.id)
                .join(Ticket, SurveyResponse.ticket_id == Ticket.id)
                .where(
                    Ticket.conversation_id == Conversation.id, SurveyResponse.score <= q.csat_max
                )
            )
        )
    if q.text:
        query = query.where(_message(Message.text.ilike(_like(q.text), escape="\\")))
    return query.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())


def search(session: Session, q: Search) -> list[dict[str, Any]]:
    found = []
    for conversation in session.scalars(_query(q).limit(q.limit).offset(q.offset)):
        snippet = None
        if q.text:
            snippet = session.scalar(
                select(Message.text)
                .where(
                    Message.conversation_id == conversation.id,
                    Message.text.ilike(_like(q.text), escape="\\"),
                )
                .order_by(Message.id)
                .limit(1)
            )
        found.append(
            {
                "conversation_id": conversation.public_id,
                "channel": conversation.channel,
                "language": conversation.language,
                "tier": conversation.tier,
                "started_at": conversation.created_at.isoformat(),
                "last_message_at": conversation.last_message_at.isoformat(),
                "tickets": list(
                    session.scalars(
                        select(Ticket.number)
                        .where(Ticket.conversation_id == conversation.id)
                        .order_by(Ticket.id)
                    )
                ),
                "agents": sorted(
                    {
                        a
                        for a in session.scalars(
                            select(Handoff.agent).where(Handoff.conversation_id == conversation.id)
                        )
                        if a
                    }
                ),
                "snippet": snippet[:SNIPPET_CHARS] if snippet else None,
            }
        )
    return found


def timeline(session: Session, public_id: str, scope: Scope) -> list[dict[str, Any]] | None:
    """The conversation's turns and handoff moments, with its tickets' events, in order.
    None when there is no such conversation; PermissionError when it is out of scope."""
    conversation = session.scalar(select(Conversation).where(Conversation.public_id == public_id))
    if conversation is None:
        return None
    if not scope.allows(session, conversation.id):
        raise PermissionError(public_id)
    entries: list[tuple[str, int, dict[str, Any]]] = [
        (entry["at"], 0, {"kind": "message" if entry["sender"] != "system" else "handoff", **entry})
        for entry in transcript(session, conversation.id)
    ]
    tickets = {
        t.id: t.number
        for t in session.scalars(select(Ticket).where(Ticket.conversation_id == conversation.id))
    }
    for event in session.scalars(select(TicketEvent).where(TicketEvent.ticket_id.in_(tickets))):
        entries.append(
            (
                event.at.isoformat(),
                1,
                {
                    "kind": "ticket",
                    "at": event.at.isoformat(),
                    "ticket": tickets[event.ticket_id],
                    "actor": event.actor,
                    "action": event.action,
                    "from": event.from_value,
                    "to": event.to_value,
                },
            )
        )
    for step in session.scalars(
        select(EscalationEvent).where(EscalationEvent.ticket_id.in_(tickets))
    ):
        entries.append(
            (
                step.created_at.isoformat(),
                2,
                {
                    "kind": "sla",
                    "at": step.created_at.isoformat(),
                    "ticket": tickets[step.ticket_id],
                    "step": step.step,
                    "target": step.target,
                    "due_at": step.due_at.isoformat(),
                },
            )
        )
    entries.sort(key=lambda e: (e[0], e[1]))
    return [entry for _, _, entry in entries]
