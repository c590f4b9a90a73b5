"""The handoff queue through the service: request, accept (one winner), chat, end, requeue."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import redis
from sqlalchemy import select

from bot.access.accounts import add_user, set_public_name
from bot.core.models import Conversation, Handoff
from bot.pipeline.channel_store import recent_messages
from fakes.processes import wait_for
from tests.helpers import agent_client, ask_for_human, beat, chat_post, texts


def test_nobody_on_shift_is_said_honestly(customer) -> None:
    _, handoff = ask_for_human(customer)
    assert handoff == {
        "queued": False,
        "agents_online": 0,
        "position": None,
        "wait_minutes": None,
        "back_at_display": None,  # no shift calendar kept: no time is promised
        "callback_asked": True,  # a web-chat visitor is asked for a call-back number
    }


def test_two_agents_accept_the_same_chat_exactly_one_wins(
    customer, settings, app_db, fake_rasa
) -> None:
    beat(settings, "li.na", "wang.wei")
    conversation, handoff = ask_for_human(customer)
    assert handoff["queued"] is True and handoff["position"] == 1 and handoff["agents_online"] == 2
    li, wang = (
        agent_client(settings, "li.na", "pw-li-na-123"),
        agent_client(settings, "wang.wei", "pw-wang-wei-123"),
    )
    try:
        [item] = li.get("/console/api/queue").json()
        url = f"/console/api/handoffs/{item['handoff_id']}/accept"
        with ThreadPoolExecutor(max_workers=2) as pool:
            codes = sorted(pool.map(lambda c: c.post(url).status_code, [li, wang]))
        assert codes == [200, 409]
        with app_db.session() as s:
            assert (
                s.scalar(select(Conversation.mode).where(Conversation.public_id == conversation))
                == "human"
            )
        winner = li if li.get("/console/api/queue").json() else wang  # the loser sees nothing
        loser = wang if winner is li else li
        assert (
            loser.post(
                f"/console/api/handoffs/{item['handoff_id']}/messages", json={"text": "hi"}
            ).status_code
            == 403
        )
        # While a person has the chat the assistant stays silent.
        calls = len(fake_rasa.calls)
        chat_post(customer, "visitor-handoff", "我的卡被冻结了")
        assert (
            winner.post(
                f"/console/api/handoffs/{item['handoff_id']}/messages",
                json={"text": "我来帮您查询"},
            ).status_code
            == 200
        )
        wait_for(lambda: texts(app_db, "agent")[-1:] == ["我来帮您查询"])
        assert len(fake_rasa.calls) == calls
        transcript = winner.get(f"/console/api/handoffs/{item['handoff_id']}/messages").json()
        assert [m["sender"] for m in transcript][-3:] == ["agent", "customer", "agent"]
        marks = [(m["event"], m.get("agent_name")) for m in transcript if m["sender"] == "system"]
        assert marks[0][0] == "queued" and marks[1][0] == "accepted" and len(marks) == 2
        assert (
            winner.post(
                f"/console/api/handoffs/{item['handoff_id']}/end", json={"disposition": "resolved"}
            ).status_code
            == 200
        )
        wait_for(lambda: any("打分" in t for t in texts(app_db, "bot")))  # the survey
        with app_db.session() as s:
            assert (
                s.scalar(select(Conversation.mode).where(Conversation.public_id == conversation))
                == "bot"
            )
            assert s.scalar(select(Handoff.disposition)) == "resolved"
    finally:
        for client in (li, wang):
            client.__exit__(None, None, None)


def test_agent_going_offline_returns_the_chat_to_the_queue(customer, settings, app_db) -> None:
    beat(settings, "li.na")
    ask_for_human(customer)
    li = agent_client(settings, "li.na", "pw-li-na-123")
    try:
        [item] = li.get("/console/api/queue").json()
        assert li.post(f"/console/api/handoffs/{item['handoff_id']}/accept").status_code == 200
        li.post("/console/api/logout")  # gone mid-chat

        def requeued() -> bool:
            with app_db.session() as s:
                return s.scalar(select(Handoff.state)) == "queued"

        customer.app.state.services.wake_scanner()
        wait_for(requeued, timeout=15)
    finally:
        li.__exit__(None, None, None)


def test_customer_who_leaves_the_queue_keeps_the_ticket(customer, settings, app_db) -> None:
    beat(settings, "li.na")
    conversation, handoff = ask_for_human(customer)
    assert handoff["queued"] is True
    chat_post(customer, "visitor-handoff", "不等了")
    wait_for(lambda: any("取消排队" in t for t in texts(app_db, "bot")))
    with app_db.session() as s:
        assert s.scalar(select(Handoff.state)) == "ended"
        assert s.scalar(select(Handoff.disposition)) == "left_queue"
        assert (
            s.scalar(select(Conversation.mode).where(Conversation.public_id == conversation))
            == "bot"
        )
    [text] = [t for t in texts(app_db, "bot") if "取消排队" in t]
    assert "AX" in text  # the ticket number, kept


def test_transfer_to_a_colleague_or_back_to_the_queue_with_a_note(
    customer, settings, app_db
) -> None:
    beat(settings, "li.na", "wang.wei")
    ask_for_human(customer)
    li, wang = (
        agent_client(settings, "li.na", "pw-li-na-123"),
        agent_client(settings, "wang.wei", "pw-wang-wei-123"),
    )
    try:
        [item] = li.get("/console/api/queue").json()
        url = f"/console/api/handoffs/{item['handoff_id']}"
        li.post(f"{url}/accept")
        assert wang.post(f"{url}/transfer", json={"to": "li.na"}).status_code == 403  # not his chat
        assert (
            li.post(
                f"{url}/transfer", json={"to": "wang.wei", "note": "客户需要办理挂失"}
            ).status_code
            == 200
        )
        assert (
            wang.post(f"{url}/messages", json={"text": "您好，我来继续为您服务"}).status_code == 200
        )
        assert li.post(f"{url}/messages", json={"text": "x"}).status_code == 403
        assert wang.post(f"{url}/transfer", json={"note": "退回队列"}).status_code == 200
        assert li.get("/console/api/queue").json()[0]["state"] == "queued"
        with app_db.session() as s:
            from bot.core.models import TicketEvent

            notes = [
                (e.to_value, e.body)
                for e in s.scalars(select(TicketEvent).where(TicketEvent.action == "transfer"))
            ]
        assert notes == [("wang.wei", "客户需要办理挂失"), ("queue", "退回队列")]
    finally:
        for client in (li, wang):
            client.__exit__(None, None, None)


def test_the_customer_sees_the_display_name_and_staff_number_never_the_login(
    customer, settings, app_db
) -> None:
    set_public_name(app_db, "li.na", "小李", "1024")
    beat(settings, "li.na")
    conversation, _ = ask_for_human(customer, "visitor-public-name")
    frames = redis.Redis.from_url(settings.redis_url).pubsub(ignore_subscribe_messages=True)
    frames.subscribe(f"{settings.redis_prefix}:conv:{conversation}")
    li = agent_client(settings, "li.na", "pw-li-na-123")
    try:
        [item] = li.get("/console/api/queue").json()
        assert li.post(f"/console/api/handoffs/{item['handoff_id']}/accept").status_code == 200
        wait_for(lambda: len(texts(app_db, "agent")) == 1)
        [greeting] = texts(app_db, "agent")
        assert "小李（工号 1024）" in greeting and "li.na" not in greeting
        # the frames the web chat page gets, live and from history, name 小李 · 工号 1024
        seen: list[dict] = []

        def agent_frame() -> bool:
            message = frames.get_message(timeout=0.2)
            if message is not None:
                seen.append(json.loads(message["data"]))
            return any(f.get("sender") == "agent" for f in seen)

        wait_for(agent_frame)
        assert {f["agent_name"] for f in seen if f.get("sender") == "agent"} == {"小李 · 工号 1024"}
        with app_db.session() as session:
            identity = session.scalar(
                select(Conversation.external_user_id).where(Conversation.public_id == conversation)
            )
        _, history = recent_messages(app_db, "webchat", identity, 20)
        assert [m.author for m in history if m.sender == "agent"] == ["小李 · 工号 1024"]
        # without a display name or number nothing of the login shows
        set_public_name(app_db, "li.na", None, None)
        _, history = recent_messages(app_db, "webchat", identity, 20)
        assert [m.author for m in history if m.sender == "agent"] == [None]
    finally:
        frames.close()
        li.__exit__(None, None, None)


def test_a_supervisor_on_shift_is_offered_chats_only_after_choosing_to(
    customer, settings, app_db
) -> None:
    add_user(app_db, "zhou.sup", "supervisor", "pw-zhou-sup-123")
    sup = agent_client(settings, "zhou.sup", "pw-zhou-sup-123")
    try:
        with sup.websocket_connect("/console/ws") as ws:
            ws.send_text("ping")
            _, handoff = ask_for_human(customer, "visitor-sup-optin")
            assert handoff["queued"] is False  # nobody who takes chats is on shift
            assert sup.get("/console/api/status").json()["status"] == "watching"
            assert sup.post("/console/api/status", json={"status": "online"}).status_code == 200
            _, handoff = ask_for_human(customer, "visitor-sup-optin-2")
            assert handoff["queued"] is True and handoff["agents_online"] == 1
    finally:
        sup.__exit__(None, None, None)
