"""Two worker replicas and two Rasa servers on one PostgreSQL and Redis, customers'
turns sent to either web process: every message answered once, every complaint form
finished with one ticket, whichever worker and Rasa server took each turn."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from bot.core.db import Database
from bot.core.models import Conversation, Message, Ticket
from fakes.processes import free_port, start_service, stop_service, wait_for
from launcher.stack import Stack
from tests.helpers import SESSION_HEADER, open_chat

pytestmark = pytest.mark.e2e

CUSTOMERS = 6
TURNS = ("我要投诉", "昨天在网点排队两个小时没有人办理业务")


def test_two_workers_and_two_rasa_servers_answer_each_message_once(stack: Stack, tmp_path) -> None:
    assert len(stack.rasa_urls) == 2
    port = free_port()  # a second worker replica beside the stack's own worker process
    replica = start_service(
        {**stack.service_env(), "ANXIN_WORKER": "true"}, port, tmp_path / "r.log"
    )
    db = Database(stack.config.database_url)
    try:
        doors = [stack.service_url, f"http://127.0.0.1:{port}"]
        run = uuid.uuid4().hex[:8]
        conversations: set[str] = set()
        pages = [{SESSION_HEADER: open_chat(httpx, doors[n % 2])} for n in range(CUSTOMERS)]
        for turn, text in enumerate(TURNS):
            for n in range(CUSTOMERS):
                response = httpx.post(
                    f"{doors[(n + turn) % 2]}/webhooks/webchat",
                    json={"id": f"m-{run}-{n:02d}-{turn}", "text": text},
                    headers=pages[n],
                    timeout=10,
                )
                assert response.status_code == 202
                conversations.add(response.json()["conversation_id"])
        assert len(conversations) == CUSTOMERS

        def answered() -> list[tuple[str, int, int]]:
            with db.session() as s:
                rows = s.execute(
                    select(Conversation.public_id, func.count(Message.id))
                    .join(Message, Message.conversation_id == Conversation.id)
                    .where(
                        Conversation.public_id.in_(conversations),
                        Message.direction == "out",
                        Message.sender == "bot",
                    )
                    .group_by(Conversation.public_id)
                ).all()
                tickets = dict(
                    s.execute(
                        select(Conversation.public_id, func.count(Ticket.id))
                        .join(Ticket, Ticket.conversation_id == Conversation.id)
                        .where(Conversation.public_id.in_(conversations))
                        .group_by(Conversation.public_id)
                    ).all()
                )
            return [(c, int(n), int(tickets.get(c, 0))) for c, n in rows]

        def finished() -> bool:
            rows = answered()
            return len(rows) == CUSTOMERS and all(n >= len(TURNS) and t for _, n, t in rows)

        wait_for(finished, timeout=120)
        time.sleep(3)  # time enough for a double answer or ticket to show up, if there were one
        assert sorted((n, t) for _, n, t in answered()) == [(len(TURNS), 1)] * CUSTOMERS
        with db.session() as s:
            waiting = s.scalar(
                select(func.count(Message.id))
                .join(Conversation, Message.conversation_id == Conversation.id)
                .where(Conversation.public_id.in_(conversations), Message.status != "done")
            )
        assert waiting == 0
    finally:
        stop_service(replica)
        db.dispose()
