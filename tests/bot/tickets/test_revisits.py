"""The 回访 worklist: a task on its due day, re-attempts, an unsatisfied customer's
ticket reopened, and coverage counted per ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from bot.core.config import Settings
from bot.core.db import Database, upsert
from bot.core.models import FollowupPlan, FollowupTask, Ticket, TicketEvent
from bot.tickets import revisits
from bot.tickets.lifecycle import transition
from tests.helpers import seed_ticket

ZONE = "Asia/Shanghai"
# 10:00 in Shanghai on 1 December
MORNING = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def plan(db: Database, category: str, delay_hours: float) -> None:
    with db.session() as session:
        upsert(
            session,
            FollowupPlan,
            {"category": category, "tier": "*"},
            {"delay_hours": delay_hours, "active": True},
        )


def closed_ticket(
    db: Database, settings: Settings, visitor: str, category: str = "complaint"
) -> str:
    number = seed_ticket(db, visitor, f"{visitor} 的问题", category)
    with db.session() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        ticket.assignee = "li.na"
    transition(db, settings, number, "resolved", "li.na", note="已处理")
    transition(db, settings, number, "closed", "system")
    return number


def task_of(db: Database, number: str) -> int:
    with db.session() as session:
        found = session.scalar(select(FollowupTask.id).join(Ticket).where(Ticket.number == number))
        assert found is not None
        return found


def view(db: Database, name: str, now: datetime, me: str = "li.na") -> list[str]:
    with db.session() as session:
        return [t.ticket for t in revisits.tasks(session, name, me, now, ZONE)]


def attempt(
    db: Database, settings: Settings, task: int, result: str, satisfaction: str | None = None
) -> revisits.Attempted:
    with db.session() as session:
        return revisits.attempt(session, settings, task, result, satisfaction, "回访记录", "li.na")


def test_a_task_appears_on_its_due_day(db: Database, settings: Settings) -> None:
    plan(db, "complaint", 48)
    with time_machine.travel(MORNING, tick=False):
        number = closed_ticket(db, settings, "v-revisit-day")
    assert view(db, "due", MORNING) == []
    assert view(db, "upcoming", MORNING) == [number]
    assert view(db, "mine", MORNING) == [number]  # the ticket's assignee owns it
    # 3 December, 08:00 in Shanghai: due at 10:00 today, so on today's list already
    early = MORNING + timedelta(days=2) - timedelta(hours=2)
    with db.session() as session:
        [row] = revisits.tasks(session, "due", "li.na", early, ZONE)
    assert row.ticket == number and not row.overdue and row.owner == "li.na"
    # 2 December, 23:59 in Shanghai: not yet
    assert view(db, "due", MORNING + timedelta(days=1, hours=13, minutes=59)) == []


def test_not_reached_is_tried_again_and_gives_up_after_three(
    db: Database, settings: Settings
) -> None:
    plan(db, "complaint", 0)
    with time_machine.travel(MORNING, tick=False):
        number = closed_ticket(db, settings, "v-revisit-retry")
        task = task_of(db, number)
        first = attempt(db, settings, task, "not_reached")
    assert first.state == "open" and first.next_due_at == MORNING + revisits.RETRY_AFTER
    assert view(db, "due", MORNING + timedelta(hours=1)) == []  # tomorrow's
    tomorrow = MORNING + timedelta(days=1)
    assert view(db, "due", tomorrow) == [number]
    with time_machine.travel(tomorrow, tick=False):
        assert attempt(db, settings, task, "not_reached").state == "open"
    with time_machine.travel(tomorrow + timedelta(days=1), tick=False):
        last = attempt(db, settings, task, "not_reached")
    assert last.state == "unreached" and last.next_due_at is None
    assert view(db, "done", tomorrow + timedelta(days=1)) == [number]
    with pytest.raises(revisits.RevisitError, match="finished"):
        attempt(db, settings, task, "reached", "satisfied")
    with db.session() as session:
        [done] = revisits.of_ticket(
            session, session.scalar(select(Ticket.id).where(Ticket.number == number))
        )
    assert [t["result"] for t in done["tries"]] == ["not_reached"] * 3


def test_reached_and_unsatisfied_reopens_the_ticket(db: Database, settings: Settings) -> None:
    plan(db, "complaint", 0)
    number = closed_ticket(db, settings, "v-revisit-unhappy")
    task = task_of(db, number)
    with pytest.raises(revisits.RevisitError, match="reached"):
        attempt(db, settings, task, "not_reached", "unsatisfied")
    done = attempt(db, settings, task, "reached", "unsatisfied")
    assert done.state == "reached" and done.reopened == number
    with db.session() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None and ticket.status == "open" and ticket.closed_at is None
        reopened = session.scalar(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id,
                TicketEvent.action == "status",
                TicketEvent.to_value == "open",
            )
        )
        assert reopened is not None and "unsatisfied" in (reopened.body or "")


def test_a_satisfied_customer_leaves_the_ticket_closed(db: Database, settings: Settings) -> None:
    plan(db, "complaint", 0)
    number = closed_ticket(db, settings, "v-revisit-happy")
    done = attempt(db, settings, task_of(db, number), "reached", "satisfied")
    assert done.state == "reached" and done.reopened is None
    with db.session() as session:
        assert session.scalar(select(Ticket.status).where(Ticket.number == number)) == "closed"


def test_coverage_on_a_seeded_set_is_the_hand_computed_value(
    db: Database, settings: Settings
) -> None:
    plan(db, "complaint", 0)
    plan(db, "inquiry", 72)
    with time_machine.travel(MORNING, tick=False):
        reached, retried, wrong, unhappy, untouched = (
            closed_ticket(db, settings, f"v-cover-{n}") for n in range(5)
        )
        not_yet_due = closed_ticket(db, settings, "v-cover-later", "inquiry")
        attempt(db, settings, task_of(db, reached), "reached", "satisfied")
        attempt(db, settings, task_of(db, retried), "not_reached")
        attempt(db, settings, task_of(db, wrong), "wrong_number")
        attempt(db, settings, task_of(db, unhappy), "reached", "unsatisfied")
    # required: the five complaint tickets (the inquiry's 回访 is due in three days);
    # reached: two of them
    with db.session() as session:
        covered = revisits.coverage(session, MORNING + timedelta(hours=1))
    assert (covered.required, covered.reached, covered.rate) == (5, 2, 0.4)
    assert untouched and not_yet_due
    with db.session() as session:
        later = revisits.coverage(session, MORNING + timedelta(days=4))
    assert (later.required, later.reached) == (6, 2)
