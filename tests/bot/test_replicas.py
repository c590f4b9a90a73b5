"""Two service processes (replicas) on one PostgreSQL and Redis, messages sent to
either: every message answered once, and each SLA escalation written once although
both replicas' SLA loops scan the same overdue tickets."""

from __future__ import annotations

import itertools
from datetime import timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import func, select

from bot.core.db import Database
from bot.core.models import EscalationEvent, Message, OutboxItem, utcnow
from bot.pipeline.inbox import get_or_create_conversation
from bot.tickets.service import open_ticket
from fakes.processes import free_port, start_service, stop_service, wait_for
from tests.helpers import SESSION_HEADER, open_chat, service_env

pytestmark = pytest.mark.fault

TICKETS = 20
MESSAGES = 60


def _overdue_tickets(db: Database, settings) -> None:
    """P1 incidents opened five hours ago: both deadlines and every page are due."""
    with time_machine.travel(utcnow() - timedelta(hours=5), tick=False):
        for n in range(TICKETS):
            conversation = get_or_create_conversation(db, "webchat", f"visitor-replica{n:04d}")
            open_ticket(
                db,
                settings,
                conversation_public_id=conversation.public_id,
                category="incident",
                subcategory="card_lost",
                description="我的信用卡丢了",
                idempotency_key=f"replica-{n}",
            )


def test_two_replicas_answer_once_and_escalate_once(settings, fake_rasa, tmp_path) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("replicas share PostgreSQL in production")
    db = Database(settings.database_url)
    _overdue_tickets(db, settings)
    env = service_env(settings, ANXIN_SLA_SCAN_S="0.3")
    ports = [free_port(), free_port()]
    replicas = [start_service(env, port, tmp_path / f"replica-{port}.log") for port in ports]
    try:
        targets = itertools.cycle(ports)
        # seven customers' pages, their sessions opened on one replica, used on both
        pages = [
            {SESSION_HEADER: open_chat(httpx, f"http://127.0.0.1:{ports[0]}")} for _ in range(7)
        ]
        for n in range(MESSAGES):
            response = httpx.post(
                f"http://127.0.0.1:{next(targets)}/webhooks/webchat",
                json={"id": f"replica-msg-{n}", "text": f"问 {n}"},
                headers=pages[n % 7],
                timeout=10,
            )
            assert response.status_code == 202

        def settled() -> bool:
            with db.session() as s:
                replies = s.scalar(select(func.count(Message.id)).where(Message.direction == "out"))
                unsent = s.scalar(
                    select(func.count(OutboxItem.id)).where(OutboxItem.status != "sent")
                )
                events = s.scalar(
                    select(func.count(EscalationEvent.id)).where(EscalationEvent.skipped.is_(False))
                )
            return replies == MESSAGES and unsent == 0 and events == TICKETS * 4

        wait_for(settled, timeout=120)
        with db.session() as s:
            steps = s.scalars(
                select(EscalationEvent.ticket_id.concat(EscalationEvent.step)).where(
                    EscalationEvent.skipped.is_(False)
                )
            ).all()
            replies = s.scalars(select(Message.text).where(Message.direction == "out")).all()
        assert len(steps) == len(set(steps)) == TICKETS * 4  # each escalation once
        assert sorted(replies) == sorted(f"echo: 问 {n}" for n in range(MESSAGES))
        logs = [(tmp_path / f"replica-{port}.log").read_text() for port in ports]
        assert all("Application startup complete" in log for log in logs)
    finally:
        for replica in replicas:
            stop_service(replica)
        db.dispose()
