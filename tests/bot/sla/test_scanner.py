"""The escalation ladder and its scanner, on a controllable clock (time-machine)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select, update

from bot.core.config import Settings
from bot.core.models import EscalationEvent, Ticket
from bot.pipeline.inbox import get_or_create_conversation
from bot.sla.ladder import LadderConfig
from bot.sla.scanner import scan
from bot.tickets.lifecycle import acknowledge, transition
from bot.tickets.service import open_ticket

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
LADDER = LadderConfig(
    warn_fractions=(0.5, 0.75), warn_before=timedelta(minutes=15), ack_timeout=timedelta(minutes=15)
)
SETTINGS = Settings()


def _open(db, key: str, category: str = "incident", sub: str | None = "card_lost") -> str:
    conversation = get_or_create_conversation(db, "webchat", f"visitor-{key}")
    ticket, _ = open_ticket(
        db,
        SETTINGS,
        conversation_public_id=conversation.public_id,
        category=category,
        subcategory=sub,
        description="我的信用卡丢了",
        idempotency_key=key,
    )
    return ticket.number


def _steps(db, include_skipped: bool = False) -> list[str]:
    with db.session() as s:
        query = select(EscalationEvent.step).order_by(EscalationEvent.id)
        if not include_skipped:
            query = query.where(EscalationEvent.skipped.is_(False))
        return list(s.scalars(query))


def _scan_at(db, moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return scan(db, LADDER)


def test_p1_pages_at_once_warns_and_breaches_exactly_once(db) -> None:
    with time_machine.travel(T0, tick=False):
        _open(db, "p1")
    assert _scan_at(db, T0) == 1
    assert _steps(db) == ["page:1"]
    assert _scan_at(db, T0 + timedelta(minutes=1)) == 0  # nothing new, nothing twice
    _scan_at(db, T0 + timedelta(minutes=16))  # not acknowledged: page the next level
    assert _steps(db)[-1] == "page:2"
    _scan_at(db, T0 + timedelta(hours=2))
    _scan_at(db, T0 + timedelta(hours=3))
    _scan_at(db, T0 + timedelta(hours=3, minutes=46))
    assert _steps(db)[-3:] == ["warn:50", "warn:75", "warn:before"]
    for minutes in (240, 241, 300):
        _scan_at(db, T0 + timedelta(minutes=minutes))
    assert _steps(db).count("breach:resolution") == 1
    assert _steps(db).count("breach:first_response") == 1  # nobody answered the customer
    with db.session() as s:
        assert s.scalar(select(Ticket.next_escalation_at)) is None  # the ladder is done


def test_acknowledged_page_is_not_repeated(db) -> None:
    with time_machine.travel(T0, tick=False):
        number = _open(db, "ack")
    _scan_at(db, T0)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        acknowledge(db, number, "duty.manager")
    _scan_at(db, T0 + timedelta(minutes=20))
    assert "page:2" not in _steps(db)


def test_deadline_passed_while_down_escalates_once_right_after_start(db) -> None:
    with time_machine.travel(T0, tick=False):
        _open(db, "down")
    _scan_at(db, T0)  # paged at once
    # The service is down from T0+1 min until 5 hours later: no scans at all.
    assert _scan_at(db, T0 + timedelta(hours=5)) >= 1
    steps = _steps(db)
    assert steps.count("breach:resolution") == 1 and steps.count("page:2") == 1
    assert not any(s.startswith("warn:") for s in steps)  # stale warnings are not sent...
    skipped = set(_steps(db, include_skipped=True)) - set(steps)
    assert skipped == {"warn:50", "warn:75", "warn:before"}  # ...but recorded as overtaken
    assert _scan_at(db, T0 + timedelta(hours=5, minutes=1)) == 0


def test_pending_customer_pauses_resolution_and_resumes(db) -> None:
    with time_machine.travel(T0, tick=False):
        number = _open(db, "pause", "complaint", None)  # P2, 48 h
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        transition(db, SETTINGS, number, "pending_customer", "agent.wang")
    _scan_at(db, T0 + timedelta(hours=30))  # would be past 50% if the clock ran
    assert "warn:50" not in _steps(db)
    with time_machine.travel(T0 + timedelta(hours=11), tick=False):
        transition(db, SETTINGS, number, "open", "agent.wang")
    with db.session() as s:
        due = s.scalar(select(Ticket.resolution_due_at))
    assert due == T0 + timedelta(hours=48 + 10)  # paused for 10 hours
    _scan_at(db, T0 + timedelta(hours=30))
    assert "warn:50" in _steps(db)


def test_two_scanners_at_once_write_each_event_once(db) -> None:
    with time_machine.travel(T0, tick=False):
        for i in range(60):
            _open(db, f"many-{i}")
    results: list[int] = []

    def run() -> None:
        results.append(_scan_at(db, T0 + timedelta(hours=5)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run()  # and once more afterwards
    with db.session() as s:
        steps = list(
            s.scalars(
                select(EscalationEvent.ticket_id.concat(EscalationEvent.step)).where(
                    EscalationEvent.skipped.is_(False)
                )
            )
        )
    assert len(steps) == len(set(steps))
    assert len(steps) == 60 * 4  # page:1, page:2, breach:first_response, breach:resolution each


def test_resolved_ticket_stops_the_ladder(db) -> None:
    with time_machine.travel(T0, tick=False):
        number = _open(db, "resolved")
    _scan_at(db, T0)
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        acknowledge(db, number, "duty.manager")
        transition(db, SETTINGS, number, "resolved", "agent.li")
    _scan_at(db, T0 + timedelta(hours=6))
    assert _steps(db) == ["page:1"]
    with db.session() as s:
        s.execute(update(Ticket).values(next_escalation_at=None))


def test_next_response_clock(db) -> None:
    from bot.tickets.lifecycle import customer_wrote, reply

    with time_machine.travel(T0, tick=False):
        number = _open(db, "next", "complaint", None)  # P2: next response within 24 h
        reply(db, number, "您好，正在核实", "agent.li")
    with db.session() as s:
        conversation_id = s.scalar(select(Ticket.conversation_id))
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        customer_wrote(db, SETTINGS, conversation_id)
        customer_wrote(db, SETTINGS, conversation_id)  # a second message does not move the clock
    with db.session() as s:
        assert s.scalar(select(Ticket.next_response_due_at)) == T0 + timedelta(hours=25)
    _scan_at(db, T0 + timedelta(hours=26))
    assert "breach:next_response:1" in _steps(db)
    with time_machine.travel(T0 + timedelta(hours=27), tick=False):
        reply(db, number, "已处理", "agent.li")
        customer_wrote(db, SETTINGS, conversation_id)
    _scan_at(db, T0 + timedelta(hours=27, minutes=5))
    assert _steps(db).count("breach:next_response:1") == 1
    assert "breach:next_response:2" not in _steps(db)  # the new round is not due yet
