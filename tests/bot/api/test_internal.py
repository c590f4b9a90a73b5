"""The internal API the action server uses: service token, tickets, ownership, FAQ."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.access.accounts import add_user
from bot.core.db import Database
from bot.core.models import Conversation
from bot.handoff import shifts
from bot.pipeline.inbox import get_or_create_conversation
from bot.web.app import create_app
from tests.conftest import SERVICE_TOKEN
from tests.helpers import beat, verify_identity

AUTH = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def conversations(settings):
    db = Database(settings.database_url)
    owner = get_or_create_conversation(db, "webchat", "visitor-owner-01").public_id
    other = get_or_create_conversation(db, "webchat", "visitor-other-01").public_id
    db.dispose()
    return owner, other


def _ticket(conversation: str, key: str = "k-1", **extra):
    return {
        "conversation_id": conversation,
        "category": "incident",
        "subcategory": "card_lost",
        "description": "我的信用卡丢了",
        "idempotency_key": key,
        **extra,
    }


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}]
)
def test_missing_or_wrong_token_is_refused(client, headers) -> None:
    assert client.get("/api/v1/internal/kb/reset_password", headers=headers).status_code in (
        401,
        403,
    )
    assert client.post("/api/v1/internal/tickets", json={}, headers=headers).status_code in (
        401,
        403,
    )


def test_open_ticket_once_per_key(client, conversations) -> None:
    owner, _ = conversations
    first = client.post("/api/v1/internal/tickets", json=_ticket(owner), headers=AUTH)
    again = client.post("/api/v1/internal/tickets", json=_ticket(owner), headers=AUTH)
    assert first.status_code == 201 and again.status_code == 200
    body = first.json()
    assert body["number"] == again.json()["number"]
    assert body["priority"] == "P1" and body["status"] == "new"
    assert body["status_label"] == {"zh": "已受理，待处理", "en": "received, waiting to be handled"}
    assert len(body["resolution_due_display"]) == 16


def test_ticket_status_for_its_opener_or_verified_owner(client, conversations, settings) -> None:
    owner, other = conversations
    number = client.post("/api/v1/internal/tickets", json=_ticket(owner), headers=AUTH).json()[
        "number"
    ]
    opener = client.get(
        f"/api/v1/internal/tickets/{number}", params={"conversation_id": owner}, headers=AUTH
    )
    assert opener.status_code == 200  # the conversation that opened it, no check needed
    unverified = client.get(
        f"/api/v1/internal/tickets/{number}", params={"conversation_id": other}, headers=AUTH
    )
    assert unverified.status_code == 403 and unverified.json()["detail"] == "identity not verified"
    db = Database(settings.database_url)
    verify_identity(db, owner, "+8613800001111")
    verify_identity(db, other, "+8613900002222")
    db.dispose()
    mine = client.get(
        f"/api/v1/internal/tickets/{number}", params={"conversation_id": owner}, headers=AUTH
    )
    theirs = client.get(
        f"/api/v1/internal/tickets/{number}", params={"conversation_id": other}, headers=AUTH
    )
    missing = client.get(
        "/api/v1/internal/tickets/AX00000000000", params={"conversation_id": owner}, headers=AUTH
    )
    assert mine.status_code == 200 and mine.json()["number"] == number
    assert mine.json()["summary"]["zh"].startswith(f"工单 {number}（紧急事件，优先级 P1）")
    assert theirs.status_code == 404 and missing.status_code == 404
    # Nothing tells a stranger the ticket exists: the same answer as for no ticket at all,
    # with what the assistant says, in both languages.
    assert theirs.json()["detail"] == {
        k: v.replace("AX00000000000", number) for k, v in missing.json()["detail"].items()
    }
    assert theirs.json()["detail"]["zh"] == f"没有找到您名下的工单 {number}，请核对工单号。"
    assert number in theirs.json()["detail"]["en"]


def test_bad_ticket_requests_get_clear_errors(client, conversations) -> None:
    owner, _ = conversations
    bad_category = client.post(
        "/api/v1/internal/tickets", json=_ticket(owner, category="gossip"), headers=AUTH
    )
    unknown_field = client.post(
        "/api/v1/internal/tickets", json=_ticket(owner, extra=1), headers=AUTH
    )
    unknown_conv = client.post("/api/v1/internal/tickets", json=_ticket("nope"), headers=AUTH)
    assert bad_category.status_code == unknown_field.status_code == unknown_conv.status_code == 422
    assert "unknown conversation" in unknown_conv.json()["detail"]


def test_kb_answers_in_both_languages(client) -> None:
    zh = client.get("/api/v1/internal/kb/reset_password", params={"language": "zh"}, headers=AUTH)
    en = client.get("/api/v1/internal/kb/reset_password", params={"language": "en"}, headers=AUTH)
    assert "忘记密码" in zh.json()["answer"]
    assert "Forgot password" in en.json()["answer"]
    assert client.get("/api/v1/internal/kb/nope", headers=AUTH).status_code == 404
    assert (
        client.get(
            "/api/v1/internal/kb/reset_password", params={"language": "fr"}, headers=AUTH
        ).status_code
        == 422
    )


def test_an_identity_check_asks_for_the_number_when_sms_can_carry_a_code(
    channel_client, conversations
) -> None:
    owner, _ = conversations
    sms_ready = channel_client(
        twilio_account_sid="AC" + "1" * 32,
        twilio_auth_token="auth",
        twilio_from="+15550001111",
        sms_public_url="https://bank.example/webhooks/sms",
    )
    url = "/api/v1/internal/identity/checks"
    asked = sms_ready.post(
        url, json={"conversation_id": owner, "ticket_number": "AX26112800001"}, headers=AUTH
    )
    assert asked.status_code == 200 and "手机号码" in asked.json()["zh"]
    assert "mobile number" in asked.json()["en"]
    unknown = sms_ready.post(url, json={"conversation_id": "nobody"}, headers=AUTH)
    assert unknown.status_code == 404
    bad = sms_ready.post(
        url, json={"conversation_id": owner, "ticket_number": "../../etc"}, headers=AUTH
    )
    assert bad.status_code == 422
    assert sms_ready.post(url, json={"conversation_id": owner}).status_code == 401


def test_without_sms_an_identity_check_asks_for_the_query_code(client, conversations):
    owner, _ = conversations
    url = "/api/v1/internal/identity/checks"
    said = client.post(url, json={"conversation_id": owner}, headers=AUTH)
    assert said.status_code == 200 and said.json()["zh"].startswith("请发送「查询工单」加工单号")
    said = client.post(
        url, json={"conversation_id": owner, "ticket_number": "AX26112800001"}, headers=AUTH
    )
    assert "8 位查询码" in said.json()["zh"] and "query code" in said.json()["en"]


def test_a_new_ticket_has_a_query_code_and_the_opener_lists_its_open_tickets(
    client, conversations
) -> None:
    owner, other = conversations
    opened = client.post("/api/v1/internal/tickets", json=_ticket(owner), headers=AUTH).json()
    assert opened["query_code"] is True and opened["reused"] is False
    again = client.post(
        "/api/v1/internal/tickets",
        json=_ticket(owner, "k-2", description="还是那张卡", reuse="same_need"),
        headers=AUTH,
    ).json()
    assert again["reused"] is True and again["number"] == opened["number"]
    mine = client.get(f"/api/v1/internal/conversations/{owner}/tickets", headers=AUTH).json()
    assert [t["number"] for t in mine["tickets"]] == [opened["number"]]
    theirs = client.get(f"/api/v1/internal/conversations/{other}/tickets", headers=AUTH).json()
    assert theirs["tickets"] == []
    bad = client.post(
        "/api/v1/internal/tickets", json=_ticket(owner, "k-3", reuse="any"), headers=AUTH
    )
    assert bad.status_code == 422


SHANGHAI = ZoneInfo("Asia/Shanghai")


def _handoff(app: TestClient, owner: str, number: str | None) -> dict:
    return app.post(
        "/api/v1/internal/handoffs",
        json={"conversation_id": owner, "ticket_number": number, "reason": "customer_request"},
        headers=AUTH,
    ).json()


def test_with_nobody_on_shift_the_customer_hears_when_the_next_shift_starts(
    client, conversations, settings
) -> None:
    """22:00 on 3 December: li.na is online but her shift starts at 08:30 tomorrow. Moving
    the shift moves the answer; a shift that covers now takes the queue again."""
    owner, _ = conversations
    db = Database(settings.database_url)
    add_user(db, "li.na", "agent", "pw-li-na-123")
    local = datetime(2026, 12, 3, 22, 0, tzinfo=SHANGHAI)
    with time_machine.travel(local, tick=True):
        shifts.add(
            db, "li.na", local - timedelta(hours=13, minutes=30), local - timedelta(hours=4), "t"
        )  # today 08:30-18:00, over
        (tomorrow,) = shifts.add(
            db,
            "li.na",
            datetime(2026, 12, 4, 8, 30, tzinfo=SHANGHAI),
            datetime(2026, 12, 4, 17, 30, tzinfo=SHANGHAI),
            "t",
        )
        beat(settings, "li.na")  # online, but off shift
        number = client.post("/api/v1/internal/tickets", json=_ticket(owner), headers=AUTH).json()[
            "number"
        ]
        said = _handoff(client, owner, number)
        assert said["queued"] is False and said["back_at_display"] == "2026-12-04 08:30"
        assert said["callback_asked"] is True
        with db.session() as session:
            conversation = session.scalar(
                select(Conversation).where(Conversation.public_id == owner)
            )
            assert conversation.verification == "callback"  # the desk waits for the number

        shifts.change(
            db,
            tomorrow,
            datetime(2026, 12, 4, 9, 0, tzinfo=SHANGHAI),
            datetime(2026, 12, 4, 18, 0, tzinfo=SHANGHAI),
        )
        assert _handoff(client, owner, None)["back_at_display"] == "2026-12-04 09:00"

        shifts.add(db, "li.na", local - timedelta(hours=1), local + timedelta(hours=2), "t")
        said = _handoff(client, owner, None)
        assert said["queued"] is True and said["back_at_display"] is None
    db.dispose()


def test_without_a_calendar_an_online_agent_takes_the_queue(
    client, conversations, settings
) -> None:
    owner, _ = conversations
    beat(settings, "li.na")
    said = _handoff(client, owner, None)
    assert said["queued"] is True and said["back_at_display"] is None
