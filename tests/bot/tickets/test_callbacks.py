"""Call-backs: promised at 22:00 for the morning, listed in the desk's call-backs view,
an SLA event when no call is logged by the due time, kept by a logged call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from bot.access.scopes import Scope
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.models import EscalationEvent, Ticket
from bot.sla.ladder import LadderConfig
from bot.sla.scanner import scan
from bot.tickets import worklist
from bot.tickets.lifecycle import LifecycleError, log_call, promise_callback, transition
from tests.helpers import seed_ticket

EVENING = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
NEXT_MORNING = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def callbacks_view(db: Database, now: datetime) -> list[tuple[str, datetime | None]]:
    with db.session() as session:
        found = worklist.page(
            session, Scope(everything=True), worklist.Filters(view="callbacks"), "li.na", None, now
        )
    return [(r.number, r.callback_due_at) for r in found.rows]


def callback_events(db: Database, number: str) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(EscalationEvent.step)
                .join(Ticket, EscalationEvent.ticket_id == Ticket.id)
                .where(Ticket.number == number, EscalationEvent.step.like("breach:callback:%"))
            )
        )


def test_a_callback_promised_at_night_is_due_in_the_morning_and_missed_if_not_made(
    db: Database,
) -> None:
    with time_machine.travel(EVENING, tick=False):
        number = seed_ticket(db, "v-callback-night", "客户要求明早回电")
        promise_callback(db, number, NEXT_MORNING, None, "li.na")
    assert callbacks_view(db, EVENING) == [(number, NEXT_MORNING)]
    with db.session() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None and ticket.callback_round == 1
    scan(db, LadderConfig(), now=NEXT_MORNING - timedelta(minutes=1))
    assert callback_events(db, number) == []
    scan(db, LadderConfig(), now=NEXT_MORNING + timedelta(minutes=1))
    assert callback_events(db, number) == ["breach:callback:1"]
    # a second promise is a round of its own
    with time_machine.travel(NEXT_MORNING + timedelta(minutes=5), tick=False):
        promise_callback(db, number, NEXT_MORNING + timedelta(hours=2), None, "li.na")
    scan(db, LadderConfig(), now=NEXT_MORNING + timedelta(hours=3))
    assert sorted(callback_events(db, number)) == ["breach:callback:1", "breach:callback:2"]


def test_a_call_logged_in_time_keeps_the_promise(db: Database) -> None:
    with time_machine.travel(EVENING, tick=False):
        number = seed_ticket(db, "v-callback-kept", "请回电")
        promise_callback(db, number, NEXT_MORNING, None, "li.na")
    with time_machine.travel(NEXT_MORNING - timedelta(minutes=30), tick=False):
        log_call(db, number, "reached", "已回电", "li.na")
    assert callbacks_view(db, NEXT_MORNING) == []
    scan(db, LadderConfig(), now=NEXT_MORNING + timedelta(hours=1))
    assert callback_events(db, number) == []


def test_a_callback_needs_a_time_to_come_and_a_running_ticket(
    db: Database, settings: Settings
) -> None:
    number = seed_ticket(db, "v-callback-bad", "回电")
    with pytest.raises(LifecycleError, match="time to come"):
        promise_callback(db, number, datetime.now(UTC) - timedelta(minutes=1), None, "li.na")
    transition(db, settings, number, "resolved", "li.na", note="done")
    with pytest.raises(LifecycleError, match="reopen"):
        promise_callback(db, number, datetime.now(UTC) + timedelta(hours=1), None, "li.na")
