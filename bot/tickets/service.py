"""Opening and reading tickets. Idempotent on the caller's key; numbers customers can quote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.access import disclosure
from bot.core.config import Settings
from bot.core.contact_vault import ContactVault
from bot.core.db import Database
from bot.core.models import Conversation, Ticket, TicketEvent, utcnow
from bot.core.redact import redact
from bot.sla.policy import deadlines, priority_for, targets_for
from bot.sla.setup import calendars
from bot.tickets import clock, lifecycle, query_code
from bot.tickets.policy import CATEGORIES

PRIORITY_ORDER = ("P1", "P2", "P3", "P4")


class TicketError(ValueError):
    pass


OPEN_STATUSES = ("new", "open", "pending_customer")
# What an open ticket of the conversation must share with a new request for the request
# to be added to it instead of opening a second ticket: nothing (a request for a person,
# a second misunderstanding, anger: the conversation's need is already with the desk),
# or the category and subcategory (the same incident or kind of complaint again).
REUSE_SCOPES = ("conversation", "same_need")


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
    reused: bool = False
    query_code: bool = False  # a query code waits to be told to the customer


def ticket_number(ticket_id: int, opened_at: datetime) -> str:
    """AX + yymmdd + a five-digit serial, e.g. AX26112800042."""
    return f"AX{opened_at:%y%m%d}{ticket_id % 100000:05d}"


def _view(ticket: Ticket, conversation: Conversation, reused: bool = False) -> TicketView:
    assert ticket.number is not None
    return TicketView(
        reused=reused,
        query_code=ticket.query_code_sealed is not None,
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
    reuse: str | None = None,
    vault: ContactVault | None = None,
) -> tuple[TicketView, bool]:
    """Open a ticket; returns (ticket, created). The same key never opens two tickets.

    With ``reuse`` (one of ``REUSE_SCOPES``), an open ticket of the conversation that
    fits takes the request instead: the customer's words are added to it, a more urgent
    request raises its priority, and it is returned with ``reused`` set. With a ``vault``,
    a new ticket gets a query code (``bot.tickets.query_code``)."""
    if category not in CATEGORIES:
        raise TicketError(f"unknown category {category!r}")
    if reuse is not None and reuse not in REUSE_SCOPES:
        raise TicketError(f"unknown reuse scope {reuse!r}")
    existing = _by_key(db, idempotency_key)
    if existing is not None:
        return existing, False
    opened_at = utcnow()
    try:
        with db.session() as session:
            priority = priority_for(session, category, subcategory)
            conversation = session.scalar(
                select(Conversation).where(Conversation.public_id == conversation_public_id)
            )
            if conversation is None:
                raise TicketError("unknown conversation")
            if reuse is not None:
                found = _open_ticket_of(session, conversation, reuse, category, subcategory)
                if found is not None:
                    _add_request(session, settings, found, priority, description)
                    return _view(found, conversation, reused=True), False
            targets = targets_for(session, priority, category)
            first_due, resolution_due = deadlines(targets, calendars(session, settings), opened_at)
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
            if vault is not None:
                query_code.issue(ticket, vault)
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


def _open_ticket_of(
    session: Session,
    conversation: Conversation,
    scope: str,
    category: str,
    subcategory: str | None,
) -> Ticket | None:
    """The conversation's newest open ticket that a new request of this kind joins."""
    query = select(Ticket).where(
        Ticket.conversation_id == conversation.id,
        Ticket.status.in_(OPEN_STATUSES),
        Ticket.merged_into_id.is_(None),
    )
    if scope == "same_need":
        query = query.where(Ticket.category == category)
        if subcategory is not None:
            query = query.where(Ticket.subcategory == subcategory)
    return session.scalar(query.order_by(Ticket.id.desc()).limit(1).with_for_update())


def _add_request(
    session: Session,
    settings: Settings,
    ticket: Ticket,
    priority: str,
    description: str,
) -> None:
    """The customer asked again while ``ticket`` is open: their words go onto its
    timeline, and a more urgent request (a regulator threat on a complaint, say) raises
    the ticket's priority and pulls its deadlines in (measured from its creation)."""
    words = redact(description)[:4000]
    if words:
        lifecycle.record(session, ticket, "customer", "added", None, None, words)
    if PRIORITY_ORDER.index(priority) >= PRIORITY_ORDER.index(ticket.priority):
        return
    targets = targets_for(session, priority, ticket.category)
    first_due, resolution_due = deadlines(targets, calendars(session, settings), ticket.created_at)
    old = ticket.priority
    ticket.priority = priority
    ticket.first_response_due_at = min(ticket.first_response_due_at, first_due)
    ticket.resolution_due_at = min(ticket.resolution_due_at, resolution_due)
    # recorded after the deadlines move: the ladder runs now (a P1 pages the on-call)
    lifecycle.record(session, ticket, "assistant", "priority", old, priority)


ADD_WITHIN = timedelta(hours=24)


def add_to_open_ticket(
    db: Database, settings: Settings, conversation_public_id: str, words: str
) -> TicketView | None:
    """More words about the conversation's need: added to its newest open ticket if one
    was opened in the last day (returned), else None."""
    now = utcnow()
    with db.session() as session:
        conversation = session.scalar(
            select(Conversation).where(Conversation.public_id == conversation_public_id)
        )
        if conversation is None:
            return None
        ticket = session.scalar(
            select(Ticket)
            .where(
                Ticket.conversation_id == conversation.id,
                Ticket.status.in_(OPEN_STATUSES),
                Ticket.merged_into_id.is_(None),
                Ticket.created_at >= now - ADD_WITHIN,
            )
            .order_by(Ticket.id.desc())
            .limit(1)
            .with_for_update()
        )
        if ticket is None:
            return None
        _add_request(session, settings, ticket, ticket.priority, words)
        return _view(ticket, conversation, reused=True)


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
    """The ticket if the asking identity opened it, or is verified and the ticket is its
    customer's (opened on any of their channels); None otherwise, so nothing leaks.
    Raises ``NotVerified`` for an unverified identity asking about a ticket it did not
    open (whether or not there is such a ticket)."""
    with db.session() as session:
        asking = session.scalar(
            select(Conversation).where(Conversation.public_id == conversation_public_id)
        )
        if asking is None:
            raise NotVerified(conversation_public_id)
        own = session.scalar(
            select(Ticket).where(
                Ticket.number == number.upper(), Ticket.conversation_id == asking.id
            )
        )
        if own is not None:
            return _view(own, asking)
        if not disclosure.is_verified(asking, utcnow()):
            raise NotVerified(conversation_public_id)
        ticket = disclosure.visible_ticket(session, number, asking)
        if ticket is None:
            return None
        owner = session.get(Conversation, ticket.conversation_id)
        assert owner is not None
        return _view(ticket, owner)


def customer_open_tickets(
    db: Database, conversation_public_id: str, limit: int = 5
) -> list[TicketView]:
    """The open tickets the asking identity may be told about without naming one: those
    it opened, and, while it is verified, those of its customer on any channel."""
    with db.session() as session:
        asking = session.scalar(
            select(Conversation).where(Conversation.public_id == conversation_public_id)
        )
        if asking is None:
            return []
        owners = (
            disclosure.same_customer(session, asking)
            if disclosure.is_verified(asking, utcnow())
            else [asking.id]
        )
        rows = session.execute(
            select(Ticket, Conversation)
            .join(Conversation, Ticket.conversation_id == Conversation.id)
            .where(
                Ticket.conversation_id.in_(owners),
                Ticket.status.in_(OPEN_STATUSES),
                Ticket.merged_into_id.is_(None),
            )
            .order_by(Ticket.id.desc())
            .limit(limit)
        ).all()
        return [_view(t, c) for t, c in rows]


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
