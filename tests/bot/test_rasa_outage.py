"""Fault: Rasa is down while customers write. Each customer gets one holding reply
(after three failed attempts), nothing is dropped, and when Rasa is back the backlog is
answered, once per message."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.core.db import Database
from bot.core.models import Message
from fakes.processes import wait_for
from tests.helpers import chat_post

pytestmark = pytest.mark.fault

CUSTOMERS = 8


def _replies(db: Database) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Message.text).where(Message.direction == "out").order_by(Message.id)
            )
        )


def test_rasa_down_then_back_holding_reply_then_backlog_answered_once(
    channel_client, settings, fake_rasa
) -> None:
    fake_rasa.fail_next = 10**6  # every call fails until Rasa "comes back"
    client = channel_client()
    for n in range(CUSTOMERS):
        response = chat_post(client, f"visitor-outage{n:05d}", f"问题 {n}", f"outage-msg-{n}")
        assert response.status_code == 202
    db = Database(settings.database_url)
    try:
        wait_for(lambda: sum("系统正忙" in t for t in _replies(db)) == CUSTOMERS, timeout=60)
        time.sleep(2)
        assert all("系统正忙" in t for t in _replies(db))  # holding replies only, one each
        fake_rasa.fail_next = 0
        wait_for(lambda: len(_replies(db)) == 2 * CUSTOMERS, timeout=120)
        time.sleep(2)
        answers = [t for t in _replies(db) if t.startswith("echo:")]
        assert sorted(answers) == sorted(f"echo: 问题 {n}" for n in range(CUSTOMERS))
        with db.session() as session:
            statuses = session.scalars(select(Message.status).where(Message.direction == "in"))
            assert set(statuses) == {"done"}
    finally:
        db.dispose()
