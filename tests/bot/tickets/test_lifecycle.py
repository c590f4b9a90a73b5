"""The ticket lifecycle: allowed moves, paused clocks, history, replies, the customer's
own words reopening a ticket that waited for them."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from bot.core.config import Settings
from bot.core.models import Message, OutboxItem, Ticket, TicketEvent, utcnow
from bot.pipeline.inbox import get_or_create_conversation
from bot.tickets import lifecycle
from bot.tickets.lifecycle import LifecycleError
from bot.tickets.service import open_ticket

POLICY = Settings()


def _ticket(db, visitor: str, category: str = "complaint") -> tuple[str, int]:
    conversation = get_or_create_conversation(db, "webchat", visitor)
    ticket, _ = open_ticket(
        db,
        POLICY,
        conversation_public_id=conversation.public_id,
        category=category,
        subcategory=None,
        description="转账一直没到账",
        idempotency_key=f"k-{visitor}",
    )
    return ticket.number, conversation.id


def _row(db, number: str) -> Ticket:
    with db.session() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        session.expunge(ticket)
        return ticket


def _history(db, number: str) -> list[tuple[str, str | None, str | None]]:
    with db.session() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        return [
            (e.action, e.from_value, e.to_value)
            for e in session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket.id)
                .order_by(TicketEvent.id)
            )
        ]


def test_moves_outside_the_lifecycle_are_refused_and_leave_no_trace(db) -> None:
    number, _ = _ticket(db, "visitor-life-0001")
    before = _history(db, number)
    with pytest.raises(LifecycleError, match="cannot go from new to closed"):
        lifecycle.transition(db, POLICY, number, "closed", "agent-1")
    assert _history(db, number) == before and _row(db, number).status == "new"
    with pytest.raises(LookupError):
        lifecycle.transition(db, POLICY, "AX00000000000", "open", "agent-1")


def test_waiting_for_the_customer_moves_the_deadline_by_the_time_paused(db) -> None:
    number, _ = _ticket(db, "visitor-life-0002")  # 24x7 calendar for a complaint's default
    due = _row(db, number).resolution_due_at
    with time_machine.travel(utcnow(), tick=False) as clock:
        lifecycle.transition(db, POLICY, number, "pending_customer", "agent-1")
        assert _row(db, number).paused_at is not None
        clock.shift(timedelta(hours=3))
        lifecycle.transition(db, POLICY, number, "open", "agent-1")
    ticket = _row(db, number)
    assert ticket.paused_at is None
    moved = ticket.resolution_due_at - due
    assert timedelta(hours=2, minutes=59) <= moved <= timedelta(hours=3, minutes=1)
    assert _history(db, number)[-2:] == [
        ("status", "new", "pending_customer"),
        ("status", "pending_customer", "open"),
    ]


def test_the_first_reply_opens_the_ticket_and_reaches_the_customer_masked(db) -> None:
    number, conversation_id = _ticket(db, "visitor-life-0003")
    message_id = lifecycle.reply(db, number, "请回电 13800001111", "agent-1")
    ticket = _row(db, number)
    assert ticket.status == "open" and ticket.first_responded_at is not None
    with db.session() as session:
        message = session.get(Message, message_id)
        assert message.conversation_id == conversation_id and message.direction == "out"
        assert "13800001111" not in message.text
        assert session.scalar(select(OutboxItem).where(OutboxItem.message_id == message_id))
    assert ("status", "new", "open") in _history(db, number)
    assert _history(db, number)[-1][0] == "reply"


def test_a_customer_writing_reopens_a_ticket_waiting_for_them(db) -> None:
    number, conversation_id = _ticket(db, "visitor-life-0004")
    lifecycle.reply(db, number, "请补充交易时间", "agent-1")
    lifecycle.transition(db, POLICY, number, "pending_customer", "agent-1")
    lifecycle.customer_wrote(db, POLICY, conversation_id)
    ticket = _row(db, number)
    assert ticket.status == "open"
    assert ticket.next_response_due_at is not None  # staff owe the next answer
    assert _history(db, number)[-1] == ("status", "pending_customer", "open")


def test_notes_assignments_and_acknowledgements_are_history(db) -> None:
    number, _ = _ticket(db, "visitor-life-0005")
    lifecycle.assign(db, number, "agent-2", "cards", "supervisor-1")
    lifecycle.add_note(db, number, "客户卡号 6222021234567890123", "agent-2")
    lifecycle.acknowledge(db, number, "supervisor-1")
    lifecycle.acknowledge(db, number, "supervisor-2")  # the first acknowledgement stands
    ticket = _row(db, number)
    assert (ticket.assignee, ticket.team, ticket.acknowledged_by) == (
        "agent-2",
        "cards",
        "supervisor-1",
    )
    actions = [a for a, _, _ in _history(db, number)]
    assert actions[-3:] == ["assign", "note", "acknowledge"]
    with db.session() as session:
        note = session.scalar(select(TicketEvent).where(TicketEvent.action == "note"))
        assert "6222021234567890123" not in (note.body or "")
