"""Ticket lifecycle: new → open → pending_customer → resolved → closed, with reopen.

Every change is a ``ticket_events`` row (who, when, from, to). ``pending_customer``
pauses the resolution clock (not the first-response clock); leaving it, or reopening a
resolved ticket, resumes it: the deadline moves by the paused working time. After any
change the ladder is re-evaluated (``next_escalation_at`` = now).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import Settings
from bot.core.db import Database
from bot.core.models import Conversation, Ticket, TicketEvent, User, utcnow
from bot.core.redact import redact
from bot.pipeline.outgoing import queue_message
from bot.sla.policy import targets_for
from bot.sla.setup import calendars
from bot.tickets import clock, followup, mentions
from bot.tickets.policy import CATEGORIES

TRANSITIONS = {
    "new": {"open", "pending_customer", "resolved"},
    "open": {"pending_customer", "resolved"},
    "pending_customer": {"open", "resolved"},
    "resolved": {"closed", "open"},
    "closed": {"open"},
}


# what a ticket's history records (``ticket_events.action``; the staff app names each)
EVENTS = (
    "created",
    "status",
    "assign",
    "note",
    "reply",
    "acknowledge",
    "call",
    "callback",
    "category",
    "priority",
    "merge",
    "merged",
    "added",
    "transfer",
    "take_over",
)

# who acts on a ticket when it is not a member of staff (``ticket_events.actor``)
ACTORS = ("assistant", "customer", "system", "sla")


class LifecycleError(ValueError):
    pass


def locked_ticket(session: Session, number: str) -> Ticket:
    ticket = session.scalar(select(Ticket).where(Ticket.number == number.upper()).with_for_update())
    if ticket is None:
        raise LookupError(number)
    return ticket


def record(
    session: Session,
    ticket: Ticket,
    actor: str,
    action: str,
    old: str | None,
    new: str | None,
    body: str | None = None,
) -> None:
    now = utcnow()
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            actor=actor,
            action=action,
            from_value=old,
            to_value=new,
            body=body,
        )
    )
    ticket.updated_at = now
    ticket.next_escalation_at = now  # re-evaluate the ladder
    clock.refresh(ticket)


def transition(
    db: Database,
    settings: Settings,
    number: str,
    to: str,
    actor: str,
    *,
    note: str | None = None,
    category: str | None = None,
) -> None:
    """Move a ticket; ``note`` goes with the change (the resolution note), ``category``
    corrects the ticket's category (on resolve)."""
    with db.session() as session:
        ticket = locked_ticket(session, number)
        if category is not None and category != ticket.category:
            if category not in CATEGORIES:
                raise LifecycleError(f"unknown category {category}")
            record(session, ticket, actor, "category", ticket.category, category)
            ticket.category = category
        apply_transition(session, settings, ticket, to, actor, redact(note) if note else None)


def apply_transition(
    session: Session,
    settings: Settings,
    ticket: Ticket,
    to: str,
    actor: str,
    note: str | None = None,
) -> None:
    """Move ``ticket`` to ``to`` inside the caller's transaction."""
    old = ticket.status
    if to not in TRANSITIONS.get(old, set()):
        raise LifecycleError(f"cannot go from {old} to {to}")
    now = utcnow()
    cal = calendars(session, settings)
    resumes = (old == "pending_customer" and to in ("open", "resolved")) or (
        old in ("resolved", "closed") and to == "open"
    )
    stopped_at = ticket.paused_at if old == "pending_customer" else ticket.resolved_at
    if resumes and stopped_at is not None:
        # The clock runs again: the deadline moves by the working time it was stopped.
        paused = cal.elapsed(ticket.calendar, stopped_at, now)
        ticket.resolution_due_at = cal.add(ticket.calendar, ticket.resolution_due_at, paused)
    if to == "pending_customer":
        ticket.paused_at = now
    if old == "pending_customer":
        ticket.paused_at = None
    if to == "resolved":
        ticket.resolved_at = now
    if to == "closed":
        ticket.closed_at = now
    if to == "open" and old in ("resolved", "closed"):
        ticket.resolved_at = ticket.closed_at = None
        ticket.reopen_count = (ticket.reopen_count or 0) + 1
    ticket.status = to
    record(session, ticket, actor, "status", old, to, note)
    followup.on_status_change(session, ticket, old, to)


def assign(db: Database, number: str, assignee: str | None, team: str | None, actor: str) -> None:
    with db.session() as session:
        ticket = locked_ticket(session, number)
        old = f"{ticket.team or ''}/{ticket.assignee or ''}"
        ticket.assignee, ticket.team = assignee, team
        record(session, ticket, actor, "assign", old, f"{team or ''}/{assignee or ''}")


def add_note(db: Database, number: str, body: str, actor: str) -> list[str]:
    """An internal note: staff only, never sent to the customer. Returns the staff it
    @mentions (each gets a notice)."""
    with db.session() as session:
        ticket = locked_ticket(session, number)
        text = redact(body)
        record(session, ticket, actor, "note", None, None, text)
        names = mentions.mentioned(session, text, actor)
        mentions.notify(session, ticket, names, actor, text)
        return names


def acknowledge(db: Database, number: str, actor: str) -> None:
    """The on-call supervisor took the P1 page: no re-page."""
    with db.session() as session:
        ticket = locked_ticket(session, number)
        if ticket.acknowledged_at is None:
            ticket.acknowledged_at, ticket.acknowledged_by = utcnow(), actor
            record(session, ticket, actor, "acknowledge", None, actor)


def take(session: Session, ticket: Ticket, actor: str) -> None:
    """An unassigned ticket a member of staff works on becomes theirs (and their team's)."""
    if ticket.assignee is not None:
        return
    user = session.scalar(select(User).where(User.name == actor))
    if user is None:  # an API token
        return
    team = ticket.team or user.team
    record(session, ticket, actor, "assign", f"{ticket.team or ''}/", f"{team or ''}/{actor}")
    ticket.assignee, ticket.team = actor, team


def _answered(session: Session, ticket: Ticket, actor: str) -> None:
    """A person answered the customer: the first-response clock stops, a next-response
    clock is met, and a new ticket is being handled."""
    if ticket.first_responded_at is None:
        ticket.first_responded_at = utcnow()
    if ticket.next_response_due_at is not None:
        ticket.next_response_due_at = None
        ticket.response_round += 1
    if ticket.status == "new":
        record(session, ticket, actor, "status", "new", "open")
        ticket.status = "open"


CALL_OUTCOMES = ("reached", "no_answer", "voicemail", "wrong_number", "callback_requested")


def log_call(db: Database, number: str, outcome: str, note: str, actor: str) -> None:
    """A phone call with the customer, and its outcome. A call that reached the customer
    is a human response (it stops the first-response clock)."""
    if outcome not in CALL_OUTCOMES:
        raise LifecycleError(f"unknown call outcome {outcome}")
    with db.session() as session:
        ticket = locked_ticket(session, number)
        take(session, ticket, actor)
        if outcome == "reached":
            _answered(session, ticket, actor)
        record(session, ticket, actor, "call", None, outcome, redact(note) if note else None)
        if ticket.callback_due_at is not None:
            # the promised call was made (whatever came of it): the promise is kept
            ticket.callback_due_at = ticket.callback_phone_sealed = None


def promise_callback(
    db: Database, number: str, due_at: datetime, sealed_phone: str | None, actor: str
) -> None:
    """Someone promised to call the customer back by ``due_at`` (on the number sealed in
    ``sealed_phone``, or the one the customer is known by). Each promise is a round of
    its own: missing it is an SLA event (``breach:callback:N``), and a call logged
    before then keeps it."""
    if due_at <= utcnow():
        raise LifecycleError("a call-back is promised for a time to come")
    with db.session() as session:
        ticket = locked_ticket(session, number)
        if ticket.status not in clock.RUNNING:
            raise LifecycleError(f"a {ticket.status} ticket takes no call-back; reopen it first")
        take(session, ticket, actor)
        set_callback(session, ticket, due_at, sealed_phone, actor)


def set_callback(
    session: Session,
    ticket: Ticket,
    due_at: datetime,
    sealed_phone: str | None,
    actor: str,
    body: str | None = None,
) -> None:
    """A new call-back round on ``ticket``: due by ``due_at``, on the sealed number."""
    ticket.callback_round += 1
    ticket.callback_due_at = due_at
    ticket.callback_phone_sealed = sealed_phone
    record(session, ticket, actor, "callback", None, due_at.isoformat(timespec="minutes"), body)


def reply(db: Database, number: str, body: str, actor: str) -> int:
    """A reply the customer sees, sent through the customer's own channel (outbox)."""
    with db.session() as session:
        ticket = locked_ticket(session, number)
        take(session, ticket, actor)
        conversation = session.get(Conversation, ticket.conversation_id)
        assert conversation is not None
        message_id = queue_message(session, conversation, body, "agent", author=actor)
        _answered(session, ticket, actor)
        record(session, ticket, actor, "reply", None, None, redact(body))
        return message_id


def close_silent_confirmations(db: Database, settings: Settings) -> int:
    """Resolved tickets whose customer stayed silent past the window are closed."""
    with db.session() as session:
        numbers = followup.expire_confirmations(session)
        for number in numbers:
            ticket = locked_ticket(session, number)
            if ticket.status == "resolved":
                apply_transition(session, settings, ticket, "closed", "system")
        return len(numbers)


def customer_wrote(db: Database, settings: Settings, conversation_id: int) -> None:
    """The customer wrote: their open ticket (if it had a first answer) now waits for a
    next response, and a ticket waiting for the customer is open again."""
    with db.session() as session:
        customer_wrote_in(session, settings, conversation_id)


def customer_wrote_in(session: Session, settings: Settings, conversation_id: int) -> None:
    """``customer_wrote`` inside the caller's transaction."""
    ticket = session.scalar(
        select(Ticket)
        .where(
            Ticket.conversation_id == conversation_id,
            Ticket.status.in_(("open", "pending_customer")),
        )
        .order_by(Ticket.id.desc())
        .limit(1)
        .with_for_update()
    )
    if ticket is None:
        return
    if ticket.status == "pending_customer":
        apply_transition(session, settings, ticket, "open", "customer")
    if ticket.first_responded_at is not None and ticket.next_response_due_at is None:
        targets = targets_for(session, ticket.priority, ticket.category)
        ticket.next_response_due_at = calendars(session, settings).add(
            ticket.calendar, utcnow(), targets.next_response
        )
        ticket.next_escalation_at = utcnow()
