"""Supervisors' transcript search and the conversation timeline."""

from __future__ import annotations

from sqlalchemy import select

from bot.access.tokens import create_token
from bot.core.models import AuditEntry, SurveyResponse
from fakes.processes import wait_for
from tests.helpers import agent_client, ask_for_human, beat, chat_post, texts, visitor_of

A = "visitor-" + "a" * 12
B = "visitor-" + "b" * 12


def _say(customer, visitor: str, text: str) -> str:
    return chat_post(customer, visitor, text).json()["conversation_id"]


def _score(db) -> int | None:
    with db.session() as s:
        return s.scalar(select(SurveyResponse.score))


def _scene(customer, settings, app_db):
    """A: card fraud, a person, a low score. B: English, a percent sign."""
    _say(customer, A, "我的信用卡被盗刷了")
    beat(settings, "li.na")
    conversation_a, _ = ask_for_human(customer, A)
    li = agent_client(settings, "li.na", "pw-li-na-123")
    try:
        [item] = li.get("/console/api/queue").json()
        url = f"/console/api/handoffs/{item['handoff_id']}"
        li.post(f"{url}/accept")
        li.post(f"{url}/messages", json={"text": "已为您冻结卡片"})
        li.post(f"{url}/end", json={"disposition": "resolved"})
    finally:
        li.__exit__(None, None, None)
    wait_for(lambda: any("打分" in t for t in texts(app_db, "bot")))
    _say(customer, A, "2")
    wait_for(lambda: _score(app_db) == 2)
    conversation_b = _say(customer, B, "How do I OPEN an account? 利率是100%吗")
    return conversation_a, conversation_b, item["ticket"]


def test_search_by_every_filter_and_the_timeline(customer, settings, app_db, fake_rasa) -> None:
    conversation_a, conversation_b, ticket = _scene(customer, settings, app_db)
    token = create_token(app_db, "supervisor-tool", ["tickets:read"])
    auth = {"Authorization": f"Bearer {token}"}

    def found(**params) -> list[str]:
        response = customer.get("/api/v1/transcripts", params=params, headers=auth)
        assert response.status_code == 200, response.text
        return [c["conversation_id"] for c in response.json()]

    wait_for(lambda: found(intent="echo"))
    assert found(q="盗刷") == [conversation_a]
    assert found(q="open AN") == [conversation_b]  # case-insensitive
    assert found(q="100%") == [conversation_b] and found(q="_") == []  # % and _ are literal
    assert found(agent="li.na") == [conversation_a]
    assert found(ticket=ticket.lower()) == [conversation_a]
    assert found(csat_max=2) == [conversation_a] and found(csat_max=1) == []
    assert found(customer=visitor_of(app_db, conversation_a)) == [conversation_a]
    assert set(found(channel="webchat")) == {conversation_a, conversation_b}
    assert found(channel="sms") == []
    assert found(since="2099-01-01T00:00:00Z") == []
    assert set(found(since="2020-01-01T00:00:00Z")) == {conversation_a, conversation_b}
    assert found(intent="greet") == []
    hit = customer.get("/api/v1/transcripts", params={"q": "盗刷"}, headers=auth).json()[0]
    assert hit["snippet"] == "我的信用卡被盗刷了" and hit["tickets"] == [ticket]

    timeline = customer.get(f"/api/v1/conversations/{conversation_a}/timeline", headers=auth)
    assert timeline.status_code == 200
    kinds = [
        (e["kind"], e.get("event") or e.get("action") or e.get("sender")) for e in timeline.json()
    ]
    assert kinds[0] == ("message", "customer")
    assert kinds.index(("handoff", "queued")) < kinds.index(("handoff", "accepted"))
    assert kinds.index(("handoff", "accepted")) < kinds.index(("handoff", "ended"))
    assert ("ticket", "created") in kinds
    first = timeline.json()[0]
    assert first["intent"] == "echo" and first["confidence"] == 0.87

    assert customer.get("/api/v1/transcripts").status_code == 401
    assert (
        customer.get("/api/v1/transcripts", params={"csat_max": 9}, headers=auth).status_code == 422
    )
    bad_window = {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}
    assert customer.get("/api/v1/transcripts", params=bad_window, headers=auth).status_code == 422
    assert customer.get("/api/v1/conversations/nope/timeline", headers=auth).status_code == 404
    with app_db.session() as s:
        actions = [
            (e.action, e.object_type)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.actor == "supervisor-tool"))
        ]
    assert ("search", "transcripts") in actions and ("read", "timeline") in actions
