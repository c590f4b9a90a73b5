"""Done-when of the ticket issue, through the running service: a P1 ticket opened the way
the assistant opens it pages the on-call supervisor at once, warns before its 4-hour
deadline, and escalates exactly once at breach, also when the service was stopped
across the deadline. Email goes to a real local SMTP server; time is moved with
time-machine."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from email import message_from_string
from email.header import decode_header, make_header

import redis
import time_machine
from starlette.testclient import TestClient

from bot.access.tokens import create_token
from bot.core.db import Database
from bot.pipeline.inbox import get_or_create_conversation
from bot.web.app import create_app
from fakes.processes import wait_for
from tests.conftest import SERVICE_TOKEN

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def _subjects(sink, rcpt: str) -> list[str]:
    found = []
    for recipients, raw in sink.messages:
        if rcpt in recipients:
            found.append(str(make_header(decode_header(message_from_string(raw)["Subject"]))))
    return found


def test_p1_pages_warns_and_breaches_once_across_downtime(settings, smtp_sink) -> None:
    config = settings.model_copy(
        update={
            "sla_scan_s": 0.2,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_sink.port,
            "oncall_emails": "oncall1@bank.example,oncall2@bank.example",
            "supervisor_email": "supervisor@bank.example",
            "agent_emails": "li.na=li.na@bank.example",
        }
    )
    db = Database(config.database_url)
    conversation = get_or_create_conversation(db, "webchat", "visitor-p1-service").public_id
    staff = {
        "Authorization": f"Bearer {create_token(db, 'desk', ['tickets:read', 'tickets:write'])}"
    }
    db.dispose()
    live = redis.Redis.from_url(config.redis_url).pubsub(ignore_subscribe_messages=True)
    live.subscribe(f"{config.redis_prefix}:staff")

    with time_machine.travel(T0, tick=True) as clock, TestClient(create_app(config)) as client:
        response = client.post(
            "/api/v1/internal/tickets",
            json={
                "conversation_id": conversation,
                "category": "incident",
                "subcategory": "card_lost",
                "description": "我的信用卡丢了",
                "idempotency_key": "p1-service",
            },
            headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
        )
        number = response.json()["number"]
        assert response.json()["priority"] == "P1"
        page = wait_for(lambda: _subjects(smtp_sink, "oncall1@bank.example"), timeout=10)
        assert number in page[0] and "page:1" in page[0]
        notice = wait_for(lambda: live.get_message(timeout=0.2), timeout=5)
        assert json.loads(notice["data"])["step"] == "page:1"
        assign = client.post(
            f"/api/v1/tickets/{number}/assign",
            json={"assignee": "li.na", "team": "cards"},
            headers=staff,
        )
        assert assign.status_code == 200
        # The service runs on; time passes towards the 4-hour deadline.
        for hours, step in ((2.01, "warn:50"), (3.01, "warn:75"), (3.76, "warn:before")):
            clock.move_to(T0 + timedelta(hours=hours))
            wait_for(
                lambda step=step: any(
                    step in s for s in _subjects(smtp_sink, "li.na@bank.example")
                ),
                timeout=10,
            )
        assert any(
            "page:2" in s for s in _subjects(smtp_sink, "oncall2@bank.example")
        )  # never acknowledged

    # The service is stopped across the deadline and started again 30 minutes after it.
    assert not any("breach:resolution" in s for s in _all(smtp_sink))
    with (
        time_machine.travel(T0 + timedelta(hours=4, minutes=30), tick=True),
        TestClient(create_app(config)),
    ):
        wait_for(
            lambda: any(
                "breach:resolution" in s for s in _subjects(smtp_sink, "supervisor@bank.example")
            ),
            timeout=10,
        )
        time.sleep(1.5)  # several more scans
    breaches = [
        s for s in _subjects(smtp_sink, "supervisor@bank.example") if "breach:resolution" in s
    ]
    assert len(breaches) == 1
    assert sum("page:1" in s for s in _all(smtp_sink)) == 1
    live.close()


def _all(sink) -> list[str]:
    return [
        str(make_header(decode_header(message_from_string(raw)["Subject"])))
        for _, raw in sink.messages
    ]
