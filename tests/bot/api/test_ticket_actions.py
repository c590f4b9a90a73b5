"""Working a ticket over the API: lifecycle with history, replies on the customer's
channel, SLA configuration and the figures."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.access.tokens import create_token
from bot.core.db import Database
from bot.core.models import Message, OutboxItem
from bot.web.app import create_app
from fakes.processes import wait_for
from tests.conftest import SERVICE_TOKEN
from tests.helpers import chat_post, new_id


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def staff(settings) -> dict[str, str]:
    db = Database(settings.database_url)
    token = create_token(db, "agent.wang", ["admin"])
    db.dispose()
    return {"Authorization": f"Bearer {token}"}


def _ticket(client, category: str = "complaint", sub: str | None = None) -> str:
    ack = chat_post(client, "visitor-lifecycle", "柜员态度差")
    body = {
        "conversation_id": ack.json()["conversation_id"],
        "category": category,
        "subcategory": sub,
        "description": "柜员态度差",
        "idempotency_key": new_id(),
    }
    return client.post(
        "/api/v1/internal/tickets", json=body, headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}
    ).json()["number"]


def test_lifecycle_with_history_and_refused_moves(client, staff) -> None:
    number = _ticket(client)
    url = f"/api/v1/tickets/{number}"
    assert client.post(f"{url}/transition", json={"to": "closed"}, headers=staff).status_code == 409
    for to in ("open", "pending_customer", "open", "resolved", "open", "resolved", "closed"):
        assert (
            client.post(f"{url}/transition", json={"to": to}, headers=staff).status_code == 200
        ), to
    assert client.post(f"{url}/transition", json={"to": "limbo"}, headers=staff).status_code == 422
    assert (
        client.post(
            "/api/v1/tickets/AX00000000000/transition", json={"to": "open"}, headers=staff
        ).status_code
        == 404
    )
    client.post(f"{url}/notes", json={"body": "客户来电，卡号 4111111111111111"}, headers=staff)
    events = client.get(f"{url}/events", headers=staff).json()
    statuses = [(e["from_value"], e["to_value"]) for e in events if e["action"] == "status"]
    assert statuses[0] == ("new", "open") and statuses[-1] == ("resolved", "closed")
    assert {e["actor"] for e in events if e["action"] != "created"} == {"agent.wang"}
    note = next(e for e in events if e["action"] == "note")
    assert "4111111111111111" not in note["body"]
    assert client.get(f"{url}/events").status_code == 401


def test_reply_goes_to_the_customer_and_counts_as_first_response(client, settings, staff) -> None:
    number = _ticket(client)
    assert (
        client.post(
            f"/api/v1/tickets/{number}/replies",
            json={"body": "您好，我们已联系网点核实。"},
            headers=staff,
        ).status_code
        == 200
    )
    ticket = client.get(f"/api/v1/tickets/{number}", headers=staff).json()
    assert ticket["status"] == "open" and ticket["first_responded_at"] is not None
    db = Database(settings.database_url)

    def delivered() -> bool:
        with db.session() as s:
            row = s.execute(
                select(Message, OutboxItem)
                .join(OutboxItem, OutboxItem.message_id == Message.id)
                .where(Message.sender == "agent")
            ).first()
            return bool(row) and row[1].status == "sent"

    wait_for(delivered)
    db.dispose()


def test_staff_edit_policies_rules_and_holidays(client, staff) -> None:
    policy = {
        "priority": "P3",
        "category": "inquiry",
        "first_response_minutes": 60,
        "next_response_minutes": 120,
        "resolution_minutes": 600,
        "calendar": "business",
    }
    assert client.put("/api/v1/sla/policies", json=policy, headers=staff).status_code == 200
    assert policy in client.get("/api/v1/sla/policies", headers=staff).json()
    assert (
        client.put(
            "/api/v1/sla/policies", json={**policy, "calendar": "lunar"}, headers=staff
        ).status_code
        == 422
    )
    rule = {"category": "suggestion", "subcategory": "*", "priority": "P3"}
    assert client.put("/api/v1/priority-rules", json=rule, headers=staff).status_code == 200
    assert _ticket(client, "suggestion")  # opened with the edited rule
    listed = client.get("/api/v1/tickets", params={"category": "suggestion"}, headers=staff).json()
    assert listed[0]["priority"] == "P3"
    assert (
        client.put(
            "/api/v1/holidays", json={"day": "2026-10-01", "name": "国庆节"}, headers=staff
        ).status_code
        == 200
    )
    assert client.get("/api/v1/holidays", headers=staff).json() == [
        {"day": "2026-10-01", "name": "国庆节"}
    ]
    assert client.delete("/api/v1/holidays/2026-10-01", headers=staff).status_code == 200
    assert client.delete("/api/v1/holidays/2026-10-01", headers=staff).status_code == 404


def test_figures(client, staff) -> None:
    number = _ticket(client, "incident", "card_lost")
    client.post(f"/api/v1/tickets/{number}/replies", json={"body": "已冻结"}, headers=staff)
    client.post(f"/api/v1/tickets/{number}/transition", json={"to": "resolved"}, headers=staff)
    figures = client.get("/api/v1/figures", headers=staff).json()
    assert figures["overall"]["tickets"] == 1
    p1 = figures["by_priority"]["P1"]
    assert p1["p1_within_4h_rate"] == 1.0 and p1["breach_rate"] == 0.0
    assert p1["first_response_avg_minutes"] is not None and "webchat" in figures["by_channel"]
    assert figures["by_team"]["unassigned"]["tickets"] == 1


def test_escalations_reach_staff_live_and_are_listed(client, staff, settings) -> None:
    from starlette.websockets import WebSocketDisconnect

    token = staff["Authorization"].split()[1]
    for hello in ({"type": "hello", "token": "nope"}, {"type": "message"}):
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect(f"/api/v1/notifications/ws?token={token}") as ws,
        ):
            ws.send_json(hello)  # a token in the URL is not read: it would be logged
            ws.receive_json()
        assert refused.value.code == 4401
    with client.websocket_connect("/api/v1/notifications/ws") as ws:
        ws.send_json({"type": "hello", "token": token})
        assert ws.receive_json() == {"type": "ready"}
        number = _ticket(client, "incident", "fraud")
        frame = ws.receive_json()
    assert (frame["ticket"], frame["step"], frame["target"]) == (number, "page:1", "oncall:1")
    steps = client.get(f"/api/v1/tickets/{number}/escalations", headers=staff).json()
    assert [s["step"] for s in steps] == ["page:1"] and steps[0]["notified_at"]
    assert client.post(f"/api/v1/tickets/{number}/acknowledge", headers=staff).status_code == 200
    assert client.get(f"/api/v1/tickets/{number}", headers=staff).json()["acknowledged_at"]
