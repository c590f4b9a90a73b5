"""kill -9 the service in the middle of a turn, and in the middle of a burst: on restart
every accepted message is answered exactly once."""

from __future__ import annotations

import signal
import uuid

import httpx
import pytest
from sqlalchemy import select

from bot.core.db import Database
from bot.core.models import Message, OutboxItem
from fakes.processes import free_port, start_service, stop_service, wait_for
from tests.helpers import SESSION_HEADER, open_chat, service_env

pytestmark = pytest.mark.fault


def test_kill_9_mid_turn_then_restart_answers_once(settings, fake_rasa, tmp_path) -> None:
    env = service_env(settings, RASA_TIMEOUT_S="10", ANXIN_INBOX_LEASE_S="4")
    port = free_port()
    fake_rasa.delay = 3.0
    first = start_service(env, port, tmp_path / "service.log")
    try:
        base = f"http://127.0.0.1:{port}"
        ack = httpx.post(
            f"{base}/webhooks/webchat",
            json={"id": uuid.uuid4().hex, "text": "我的信用卡丢了"},
            headers={SESSION_HEADER: open_chat(httpx, base)},
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


def test_kill_9_mid_burst_every_accepted_message_answered_once(
    settings, fake_rasa, tmp_path
) -> None:
    env = service_env(settings, RASA_TIMEOUT_S="10", ANXIN_INBOX_LEASE_S="4")
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/webchat"
    fake_rasa.delay = 0.05
    burst = [{"id": f"burst-msg-{n:04d}", "text": f"消息 {n}"} for n in range(60)]
    unsent: list[tuple[dict, dict]] = []
    service = start_service(env, port, tmp_path / "service.log")
    # six customers' pages (their sessions live in Redis and outlive the process)
    pages = [{SESSION_HEADER: open_chat(httpx, f"http://127.0.0.1:{port}")} for _ in range(6)]
    try:
        for n, body in enumerate(burst):
            page = pages[n % 6]
            if n == 30:
                stop_service(service, signal.SIGKILL)
            try:
                assert httpx.post(url, json=body, headers=page, timeout=5).status_code == 202
            except httpx.TransportError:
                unsent.append((body, page))  # not accepted: the page sends it again
    finally:
        if service.poll() is None:
            stop_service(service, signal.SIGKILL)
    assert len(unsent) == 30
    service = start_service(env, port, tmp_path / "service.log")
    db = Database(settings.database_url)
    try:
        for body, page in unsent:
            assert httpx.post(url, json=body, headers=page, timeout=5).status_code == 202

        def answered() -> bool:
            with db.session() as s:
                replies = s.scalars(select(Message.text).where(Message.direction == "out")).all()
                pending = s.scalars(select(OutboxItem.status).where(OutboxItem.status != "sent"))
                return len(replies) >= len(burst) and not pending.all()

        wait_for(answered, timeout=90)
        with db.session() as s:
            inbound = s.scalars(select(Message.text).where(Message.direction == "in")).all()
            replies = s.scalars(select(Message.text).where(Message.direction == "out")).all()
        assert sorted(inbound) == sorted(b["text"] for b in burst)  # stored once each
        assert sorted(replies) == sorted(f"echo: {b['text']}" for b in burst)  # answered once
    finally:
        stop_service(service)
        db.dispose()
