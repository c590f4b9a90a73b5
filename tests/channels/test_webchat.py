"""Web chat end to end through the app (fake Rasa server, real Redis, SQLite and PostgreSQL)."""

import json

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.core.db import Database
from bot.core.models import Message
from bot.pipeline.messages import InvalidInput
from bot.web.app import create_app
from channels.webchat import parse_frame
from tests.helpers import (
    SESSION_HEADER,
    chat_headers,
    chat_post,
    chat_socket,
    new_id,
    receive_until,
)

VISITOR = "visitor-" + "a" * 12


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


def _count(settings, direction: str) -> int:
    db = Database(settings.database_url)
    try:
        with db.session() as s:
            return s.scalar(select(func.count(Message.id)).where(Message.direction == direction))
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ({"id": "abcdefgh", "text": ""}, "empty"),
        ({"id": "abcdefgh", "text": "   \n\t "}, "empty"),
        ({"id": "abcdefgh", "text": "x" * 10_240}, "too_long"),
        ({"id": "abcdefgh", "text": 42}, "bad_text"),
        ({"id": "bad id!", "text": "hi"}, "bad_id"),
        ({"id": "abcdefgh", "text": "hi", "admin": True}, "unknown_field"),
        ({"type": "typing", "id": "abcdefgh", "text": "hi"}, "bad_type"),
        (["not", "an", "object"], "bad_json"),
        ({"id": "abcdefgh", "text": "hi", "lang": "fr"}, "bad_lang"),
    ],
)
def test_parse_frame_refuses_bad_input(raw, code) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_frame(VISITOR, raw, 2000)
    assert err.value.code == code
    assert "/" in err.value.message  # bilingual: Chinese / English


def test_the_language_the_customer_chose_is_a_hint_the_rest_is_detected() -> None:
    chosen = parse_frame(VISITOR, {"id": "abcdefgh", "text": "好的", "lang": "en"}, 2000)
    assert chosen.language_hint == "en"  # they tapped "English": replies follow it
    assert parse_frame(VISITOR, {"id": "abcdefgh", "text": "hi"}, 2000).language_hint is None


def test_chat_page_is_served(client) -> None:
    page = client.get("/chat")
    assert page.status_code == 200
    assert "安心客服" in page.text and "/chat/ws" in page.text and "/chat/session" in page.text


def test_message_is_acked_answered_and_resumed(client, settings) -> None:
    with chat_socket(client, VISITOR) as ws:
        assert ws.receive_json() == {"type": "history", "messages": []}
        mid = new_id()
        ws.send_json({"type": "message", "id": mid, "text": "你好"})
        ack = receive_until(ws, lambda f: f["type"] == "ack")
        assert ack["id"] == mid and ack["duplicate"] is False
        reply = receive_until(ws, lambda f: f["type"] == "message" and f["sender"] == "bot")
        assert reply["text"] == "echo: 你好" and reply["sender"] == "bot"
        # A resend of the same id (lost ack, reconnect) is acknowledged, not stored again.
        ws.send_json({"type": "message", "id": mid, "text": "你好"})
        assert receive_until(ws, lambda f: f["type"] == "ack")["duplicate"] is True
    # Reload: the same session gets the same conversation back.
    with chat_socket(client, VISITOR) as ws:
        history = ws.receive_json()
        assert [m["sender"] for m in history["messages"]] == ["customer", "bot"]
        assert history["messages"][0]["client_id"] == mid
    assert _count(settings, "in") == 1
    assert _count(settings, "out") == 1


def test_bad_frames_get_errors_and_the_socket_stays_up(client) -> None:
    with chat_socket(client, VISITOR) as ws:
        ws.receive_json()
        ws.send_text("{not json")
        assert ws.receive_json()["code"] == "bad_json"
        ws.send_bytes(b"\x00\xff\xfe")
        assert ws.receive_json()["code"] == "binary"
        ws.send_json({"id": new_id(), "text": "   "})
        assert ws.receive_json()["code"] == "empty"
        ws.send_json({"id": new_id(), "text": "x" * 10_240})
        assert ws.receive_json()["code"] == "too_long"
        ws.send_json({"id": new_id(), "text": "still here?"})
        assert (
            receive_until(ws, lambda f: f["type"] == "message" and f["sender"] == "bot")["text"]
            == "echo: still here?"
        )


def test_http_way_in_validates_and_is_idempotent(client, settings) -> None:
    url = "/webhooks/webchat"
    session = chat_headers(client, VISITOR)
    assert client.post(url, content=b"\xff\xfe garbage", headers=session).status_code == 400
    assert client.post(url, json=[1, 2], headers=session).status_code == 400
    bad = client.post(url, json={"id": new_id(), "text": ""}, headers=session)
    assert bad.status_code == 422 and bad.json()["detail"]["code"] == "empty"
    body = {"id": new_id(), "text": "hello"}
    first = client.post(url, json=body, headers=session)
    second = client.post(url, json=body, headers=session)
    assert first.status_code == second.status_code == 202
    assert first.json()["message_id"] == second.json()["message_id"]
    assert second.json()["duplicate"] is True
    assert _count(settings, "in") == 1


def test_database_down_answers_503_not_200(settings) -> None:
    """A message that cannot be stored must not be acknowledged."""
    nothing_listens = "postgresql://postgres@127.0.0.1:1/anxin"
    app = create_app(settings.model_copy(update={"database_url": nothing_listens}))
    with TestClient(app) as client:
        response = chat_post(client, VISITOR, "hi")
    assert response.status_code == 503
    assert "retry" in response.json()["detail"]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=10), c, max_size=4),
    max_leaves=10,
)


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=200),
        _json,
        st.fixed_dictionaries({"id": st.text(max_size=70), "text": st.text(max_size=50)}),
    ),
    session=st.one_of(st.none(), st.just("valid"), st.text(max_size=90)),
)
def test_fuzzed_http_bodies_never_500(client, body, session) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {}
    if session == "valid":
        headers = chat_headers(client, VISITOR)
    elif session is not None and session.isascii() and session.isprintable():
        headers = {SESSION_HEADER: session}
    status = client.post("/webhooks/webchat", content=content, headers=headers).status_code
    assert status in (202, 400, 401, 422)
    if session != "valid":
        assert status in (400, 401)


def test_too_many_messages_from_one_visitor_or_address_are_refused_not_lost(
    channel_client, settings
) -> None:
    client = channel_client(webchat_per_visitor=3, webchat_per_address=5)
    visitor = "visitor-" + "r" * 12

    def post(who: str, n: int):
        return chat_post(client, who, f"第{n}条", f"rate-msg-{who[-3:]}-{n}")

    assert [post(visitor, n).status_code for n in range(3)] == [202, 202, 202]
    refused = post(visitor, 3)
    assert refused.status_code == 429 and refused.json()["detail"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    other = "visitor-" + "s" * 12
    assert [post(other, n).status_code for n in range(3)] == [202, 202, 429]  # the address
    assert _count(settings, "in") == 5  # refused messages were not stored (the page resends)
    with chat_socket(client, "visitor-" + "t" * 12) as ws:
        assert ws.receive_json()["type"] == "history"
        ws.send_json({"type": "message", "id": "rate-msg-ws-1", "text": "你好"})
        error = ws.receive_json()
    assert error["code"] == "rate_limited" and error["id"] == "rate-msg-ws-1"
    assert error["retry_after"] >= 1


def test_finding_5_deeply_nested_json_is_a_400_everywhere(client) -> None:
    """Security finding 5: 1,000 levels of JSON were a 500 with a traceback."""
    deep = "[" * 1000 + "]" * 1000
    nested = '{"id": "deep-0001", "text": ' + deep + "}"
    session = chat_headers(client, VISITOR)
    for path in ("/webhooks/webchat", "/api/v1/internal/tickets", "/console/api/login"):
        response = client.post(
            path, content=nested.encode(), headers={"Content-Type": "application/json", **session}
        )
        assert response.status_code == 400, (path, response.status_code)
        assert response.json()["detail"]
        if path == "/webhooks/webchat":
            assert "nested too deeply" in response.json()["detail"]
    with chat_socket(client, VISITOR) as ws:
        ws.receive_json()  # history
        ws.send_text(deep)
        assert ws.receive_json()["code"] == "too_deep"
        ws.send_text(json.dumps({"id": "deep-0002", "text": "still here"}))
        assert receive_until(ws, lambda f: f["type"] == "ack")["id"] == "deep-0002"
