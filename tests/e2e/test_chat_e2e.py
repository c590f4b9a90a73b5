"""The chat console's handoff summary, for real (Rasa, actions, the service on
PostgreSQL): a web-chat customer reports a lost card while an agent is on shift; the
assistant opens a P1 ticket and queues the chat; the agent accepts it and the summary
names the P1 ticket and the intent the model understood; the customer's chat shows the
agent's display name and staff number."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from redis.asyncio import Redis

from bot.access.accounts import add_user, set_public_name
from bot.core.db import Database
from bot.handoff.presence import Presence
from fakes.processes import wait_for
from launcher.stack import Stack
from tests.e2e.test_desk_e2e import TICKET, talk
from tests.helpers import open_chat

pytestmark = pytest.mark.e2e


def on_shift(stack: Stack, agent: str, here: bool = True) -> None:
    """A heartbeat for ``agent`` (or, ``here`` False, their leaving: the stack is shared
    with the other end-to-end tests, which expect nobody on shift)."""

    async def beat() -> None:
        redis = Redis.from_url(stack.redis_url)
        presence = Presence(redis, stack.service_env()["ANXIN_REDIS_PREFIX"])
        await (presence.beat(agent) if here else presence.leave(agent))
        await redis.aclose()

    asyncio.run(beat())


def test_the_handoff_summary_names_the_p1_ticket_and_the_intent(stack: Stack) -> None:
    url = stack.service_url
    db = Database(stack.config.database_url)
    add_user(db, "sun.e2e", "agent", "pw-sun-e2e-123", team="cards")
    set_public_name(db, "sun.e2e", "小孙", "2046")
    db.dispose()
    on_shift(stack, "sun.e2e")
    session = open_chat(httpx, url)
    replies = talk(url, session, "我的信用卡丢了")
    said = " ".join(r["text"] for r in replies)
    found = TICKET.search(said)
    assert found, said
    number = found.group(0)
    with httpx.Client(base_url=url) as agent:
        signed = agent.post(
            "/console/api/login", json={"name": "sun.e2e", "password": "pw-sun-e2e-123"}
        )
        assert signed.status_code == 200
        csrf = {"X-CSRF-Token": agent.cookies.get("anxin_csrf") or ""}
        on_shift(stack, "sun.e2e")
        wait_for(lambda: any(i["ticket"] == number for i in agent.get("/console/api/queue").json()))
        item = next(i for i in agent.get("/console/api/queue").json() if i["ticket"] == number)
        chat = f"/console/api/handoffs/{item['handoff_id']}"
        assert agent.post(f"{chat}/accept", headers=csrf).status_code == 200
        summary = agent.get(f"{chat}/summary").json()
        try:
            wait_for(
                lambda: any(m.get("agent_name") == "小孙 · 工号 2046" for m in talk(url, session)),
                timeout=30,
            )
        finally:
            agent.post(f"{chat}/end", json={"disposition": "resolved"}, headers=csrf)
            on_shift(stack, "sun.e2e", here=False)
    assert "report_card_lost" in summary["intents"], summary
    assert summary["reason"] == "p1"
    assert [(t["number"], t["priority"], t["subcategory"]) for t in summary["tickets"]] == [
        (number, "P1", "card_lost")
    ]
    assert summary["last_messages"][-1]["text"] == "我的信用卡丢了"
