"""Notices: who is reached for each target, and retry when the mail server is down."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from bot.core.config import Settings
from bot.core.live_events import LiveEvents
from bot.core.models import EscalationEvent, Ticket
from bot.pipeline.inbox import get_or_create_conversation
from bot.sla.notify import Addresses, Notifier, SmtpConfig
from bot.sla.setup import addresses


def test_addresses_by_target() -> None:
    settings = Settings.model_validate(
        {
            "ANXIN_ONCALL_EMAILS": "l1@bank.example, l2@bank.example",
            "ANXIN_SUPERVISOR_EMAIL": "sup@bank.example",
            "ANXIN_TEAM_SUPERVISOR_EMAILS": "cards=cards-sup@bank.example",
            "ANXIN_AGENT_EMAILS": "li.na=li.na@bank.example",
        }
    )
    found = addresses(settings)
    assert (
        found.email_for("oncall:1") == "l1@bank.example"
        and found.email_for("oncall:2") == "l2@bank.example"
    )
    assert found.email_for("oncall:3") is None
    assert found.email_for("supervisor:cards") == "cards-sup@bank.example"
    assert found.email_for("supervisor:loans") == "sup@bank.example"
    assert found.email_for("agent:li.na") == "li.na@bank.example"
    assert found.email_for("team:unassigned") is None


def _event(db) -> int:
    conversation = get_or_create_conversation(db, "webchat", "visitor-notify")
    now = datetime.now(UTC)
    with db.session() as s:
        ticket = Ticket(
            number="AX26112899999",
            conversation_id=conversation.id,
            category="incident",
            priority="P1",
            description="x",
            first_response_due_at=now,
            resolution_due_at=now,
        )
        s.add(ticket)
        s.flush()
        event = EscalationEvent(
            ticket_id=ticket.id, step="breach:resolution", target="supervisor:cards", due_at=now
        )
        s.add(event)
        s.flush()
        return event.id


async def test_mail_outage_delays_the_notice_but_does_not_lose_it(db, redis_url, smtp_sink) -> None:
    event_id = _event(db)
    events = LiveEvents(redis_url, f"t-{uuid.uuid4().hex[:6]}")
    who = Addresses(
        supervisor="sup@bank.example", team_supervisors={"cards": "cards-sup@bank.example"}
    )
    down = Notifier(
        db, events, who, SmtpConfig("127.0.0.1", 1, "anxin@bank.example")
    )  # nothing on port 1
    assert await down.run_once() == 0
    with db.session() as s:
        assert s.get(EscalationEvent, event_id).notified_at is None
    up = Notifier(db, events, who, SmtpConfig("127.0.0.1", smtp_sink.port, "anxin@bank.example"))
    assert await up.run_once() == 1
    assert await up.run_once() == 0  # once
    [(recipients, raw)] = smtp_sink.messages
    assert recipients == ["cards-sup@bank.example"] and "AX26112899999" in raw
    with db.session() as s:
        assert s.scalar(select(EscalationEvent.attempts)) == 2
    await events.close()
