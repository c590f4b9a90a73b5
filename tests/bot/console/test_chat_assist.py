"""What helps an agent in a chat, through the service: the handoff summary, suggestions
for each customer message and the pick kept as a labelled pair, canned replies with the
chat's variables, the compliance check before sending (an override audited), typing
signs both ways, the transfer picker, and the wrap-up that resolves the ticket."""

from __future__ import annotations

import json

import redis
from sqlalchemy import select

from bot.access.accounts import set_public_name
from bot.core.models import AuditEntry, KbQuery, Ticket
from fakes.processes import wait_for
from tests.helpers import SERVICE, agent_client, beat, chat_post, new_id, texts

VISITOR = "visitor-assist"


def accepted_chat(customer, settings, fake_rasa) -> tuple[object, str, str, str]:
    """A customer reported a lost card, then asked for a person; li.na took the chat.
    Returns (li.na's client, the handoff's url, the conversation id, the ticket number)."""
    fake_rasa.intents["我的信用卡丢了"] = "report_lost_card"
    fake_rasa.intents["转人工"] = "human_handoff"
    beat(settings, "li.na")
    conversation = chat_post(customer, VISITOR, "我的信用卡丢了").json()["conversation_id"]
    number = customer.post(
        "/api/v1/internal/tickets",
        json={
            "conversation_id": conversation,
            "category": "incident",
            "subcategory": "card_lost",
            "description": "客户信用卡丢失",
            "idempotency_key": new_id(),
        },
        headers=SERVICE,
    ).json()["number"]
    chat_post(customer, VISITOR, "转人工")
    # the assistant's turn runs first (in production its action asks for the handoff)
    wait_for(lambda: any(c.get("message") == "转人工" for c in fake_rasa.calls))
    queued = customer.post(
        "/api/v1/internal/handoffs",
        json={"conversation_id": conversation, "ticket_number": number, "reason": "p1"},
        headers=SERVICE,
    )
    assert queued.json()["queued"] is True
    li = agent_client(settings, "li.na", "pw-li-na-123")
    [item] = [i for i in li.get("/console/api/queue").json() if i["state"] == "queued"]
    url = f"/console/api/handoffs/{item['handoff_id']}"
    assert li.post(f"{url}/accept").status_code == 200
    return li, url, conversation, number


def test_summary_suggestions_canned_compliance_and_wrap_up(
    customer, settings, app_db, fake_rasa
) -> None:
    set_public_name(app_db, "li.na", "小李", "1024")
    li, url, _, number = accepted_chat(customer, settings, fake_rasa)
    try:
        # the summary names the P1 ticket and what the customer wanted
        wait_for(lambda: "human_handoff" in li.get(f"{url}/summary").json()["intents"])
        summary = li.get(f"{url}/summary").json()
        assert summary["intents"][:2] == ["report_lost_card", "human_handoff"]
        [ticket] = summary["tickets"]
        assert (ticket["number"], ticket["priority"], ticket["subcategory"]) == (
            number,
            "P1",
            "card_lost",
        )
        assert summary["reason"] == "p1" and summary["verified"] is False
        assert [m["text"] for m in summary["last_messages"]] == ["我的信用卡丢了", "转人工"]

        # suggestions follow the customer's latest question
        chat_post(customer, VISITOR, "网银密码忘记了怎么办")
        wait_for(lambda: li.get(f"{url}/suggestions").json()["text"] == "网银密码忘记了怎么办")
        first = li.get(f"{url}/suggestions").json()
        assert first["suggestions"][0]["key"] == "reset_password"
        chat_post(customer, VISITOR, "每天转账限额是多少")
        wait_for(lambda: li.get(f"{url}/suggestions").json()["message_id"] != first["message_id"])
        second = li.get(f"{url}/suggestions").json()
        assert second["suggestions"][0]["key"] == "transfer_limit"
        # the earlier message's suggestions are still there to look at
        again = li.get(f"{url}/suggestions", params={"message_id": first["message_id"]}).json()
        assert again["suggestions"][0]["key"] == "reset_password"
        picked = li.post(
            f"{url}/suggestions/pick",
            json={
                "message_id": second["message_id"],
                "key": "transfer_limit",
                "offered": [s["key"] for s in second["suggestions"]],
                "score": second["suggestions"][0]["score"],
            },
        )
        assert picked.status_code == 200
        with app_db.session() as session:
            pair = session.scalar(select(KbQuery).where(KbQuery.decision == "agent_pick"))
            assert pair is not None and pair.chosen_key == "transfer_limit"
            assert pair.text == "每天转账限额是多少"

        # canned replies with the chat's variables
        canned = {c["title"]: c["text"] for c in li.get(f"{url}/canned").json()}
        assert canned["工单进度"] == f"您的工单 {number} 正在处理中，有进展会第一时间通知您。"
        assert canned["问候"].startswith("尊敬的客户您好，我是小李 · 工号 1024")

        # 事中质检: a warning stops the message; an override sends it and is audited
        draft = "这款理财保本保收益"
        findings = li.post(f"{url}/check", json={"text": draft}).json()["findings"]
        assert {f["key"] for f in findings} == {"no_guaranteed_returns", "risk_disclosure"}
        stopped = li.post(f"{url}/messages", json={"text": draft})
        assert stopped.status_code == 409 and len(stopped.json()["detail"]["findings"]) == 2
        assert draft not in texts(app_db, "agent")
        clean = "理财非存款，产品有风险，投资须谨慎。"
        assert li.post(f"{url}/check", json={"text": clean}).json()["findings"] == []
        sent = li.post(f"{url}/messages", json={"text": draft, "override": True})
        assert sent.status_code == 200
        wait_for(lambda: draft in texts(app_db, "agent"))
        with app_db.session() as session:
            override = session.scalar(
                select(AuditEntry).where(AuditEntry.action == "compliance.override")
            )
            assert override is not None and override.actor == "li.na"
            assert "no_guaranteed_returns" in (override.detail or "")

        # the wrap-up resolves the ticket with its note and category
        ended = li.post(
            f"{url}/end",
            json={"disposition": "resolved", "category": "incident", "resolution": "已挂失并补卡"},
        )
        assert ended.status_code == 200
        with app_db.session() as session:
            status = session.scalar(select(Ticket.status).where(Ticket.number == number))
        assert status == "resolved"
        wait_for(lambda: any("回复「1」" in t for t in texts(app_db, "bot")))
    finally:
        li.__exit__(None, None, None)


def test_typing_signs_and_the_transfer_picker(customer, settings, app_db, fake_rasa) -> None:
    li, url, conversation, _ = accepted_chat(customer, settings, fake_rasa)
    frames = redis.Redis.from_url(settings.redis_url).pubsub(ignore_subscribe_messages=True)
    frames.subscribe(f"{settings.redis_prefix}:conv:{conversation}")
    try:
        assert li.post(f"{url}/typing").status_code == 200
        seen: list[dict] = []

        def typed() -> bool:
            message = frames.get_message(timeout=0.2)
            if message is not None:
                seen.append(json.loads(message["data"]))
            return {"type": "typing", "sender": "agent"} in seen

        wait_for(typed)
        beat(settings, "wang.wei")
        picker = li.get("/console/api/agents").json()
        wang = next(a for a in picker["agents"] if a["name"] == "wang.wei")
        assert wang["status"] == "online" and wang["load"] == 0 and wang["capacity"] >= 1
        assert "li.na" not in {a["name"] for a in picker["agents"]}
        # another agent's chat: no typing, no check, no summary
        wang_client = agent_client(settings, "wang.wei", "pw-wang-wei-123")
        try:
            assert wang_client.post(f"{url}/typing").status_code == 403
            assert wang_client.post(f"{url}/check", json={"text": "x"}).status_code == 403
            assert wang_client.get(f"{url}/summary").status_code == 404
        finally:
            wang_client.__exit__(None, None, None)
    finally:
        frames.close()
        li.__exit__(None, None, None)
