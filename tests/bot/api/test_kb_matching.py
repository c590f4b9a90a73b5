"""Knowledge-base matching over the API: the action server's match, staff's "try a
question" and the report of unanswered questions."""

from __future__ import annotations

from bot.access.tokens import create_token
from bot.core.db import Database
from tests.conftest import SERVICE_TOKEN

SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def test_the_action_server_gets_a_decision_and_staff_see_the_gap(customer, settings) -> None:
    answered = customer.post(
        "/api/v1/internal/kb/match",
        json={"text": "how can I change my mobile banking password", "language": "en"},
        headers=SERVICE,
    )
    assert answered.status_code == 200
    body = answered.json()
    assert body["decision"] == "answered" and body["key"] == "reset_password"
    assert "Forgot password" in body["answer"] and body["choices"] == []
    missing = customer.post(
        "/api/v1/internal/kb/match",
        json={"text": "猫咪在弹小提琴", "language": "zh"},
        headers=SERVICE,
    ).json()
    assert missing["decision"] == "unanswered" and missing["answer"] is None
    db = Database(settings.database_url)
    token = create_token(db, "kb-reader", ["kb:read"])
    db.dispose()
    staff = {"Authorization": f"Bearer {token}"}
    gaps = customer.get("/api/v1/kb/gaps", headers=staff)
    assert gaps.status_code == 200
    assert [g["examples"] for g in gaps.json()] == [["猫咪在弹小提琴"]]


def test_trying_a_question_is_not_recorded(customer, settings) -> None:
    db = Database(settings.database_url)
    token = create_token(db, "kb-tester", ["kb:read"])
    db.dispose()
    staff = {"Authorization": f"Bearer {token}"}
    tried = customer.post("/api/v1/kb/try", json={"text": "猫咪在弹小提琴"}, headers=staff)
    assert tried.status_code == 200 and tried.json()["decision"] == "unanswered"
    assert customer.get("/api/v1/kb/gaps", headers=staff).json() == []


def test_bad_requests_are_refused_with_a_reason(customer) -> None:
    assert customer.post("/api/v1/internal/kb/match", json={"text": "x"}).status_code == 401
    empty = customer.post("/api/v1/internal/kb/match", json={"text": ""}, headers=SERVICE)
    assert empty.status_code == 422
    wrong = customer.post(
        "/api/v1/internal/kb/match", json={"text": "hi", "language": "fr"}, headers=SERVICE
    )
    assert wrong.status_code == 422
    assert customer.get("/api/v1/kb/gaps").status_code == 401
    assert customer.get("/api/v1/kb/gaps?days=0", headers=SERVICE).status_code in (401, 422)
