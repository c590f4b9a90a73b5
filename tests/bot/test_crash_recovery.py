"""kill -9 the service in the middle of a turn: on restart the customer gets exactly one reply."""

from __future__ import annotations

import signal
import uuid

import httpx
from sqlalchemy import select

from bot.db import Database
from bot.models import Message, OutboxItem
from tests.helpers import free_port, service_env, start_service, stop_service, wait_for


def test_kill_9_mid_turn_then_restart_answers_once(settings, fake_rasa, tmp_path) -> None:
    env = service_env(settings, RASA_TIMEOUT_S="10", ANXIN_INBOX_LEASE_S="4")
    port = free_port()
    fake_rasa.delay = 3.0
    first = start_service(env, port, tmp_path / "service.log")
    try:
        ack = httpx.post(
            f"http://127.0.0.1:{port}/webhooks/webchat",
            json={
                "visitor_id": "visitor-crash-01",
                "id": uuid.uuid4().hex,
                "text": "我的信用卡丢了",
            },
        )
        assert ack.status_code == 202
        wait_for(lambda: len(fake_rasa.calls) == 1)  # the turn is in flight inside Rasa
    finally:
        stop_service(first, signal.SIGKILL)

    db = Database(settings.database_url)
    try:
        with db.session() as s:
            inbound = s.scalar(select(Message).where(Message.direction == "in"))
            assert inbound.status == "processing"
            assert s.scalars(select(Message).where(Message.direction == "out")).all() == []

        fake_rasa.delay = 0.0
        second = start_service(env, port, tmp_path / "service.log")
        try:

            def delivered() -> bool:
                with db.session() as s:
                    return s.scalar(select(OutboxItem.status)) == "sent"

            wait_for(delivered, timeout=30)
            with db.session() as s:
                replies = s.scalars(select(Message).where(Message.direction == "out")).all()
                assert [r.text for r in replies] == ["echo: 我的信用卡丢了"]
                assert s.get(Message, inbound.id).status == "done"
        finally:
            stop_service(second)
    finally:
        db.dispose()
    assert len(fake_rasa.calls) == 2  # asked again after the crash, answered once
