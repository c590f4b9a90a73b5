"""Web-chat sessions (security finding 3): a signed session token, not a bare visitor id,
opens a conversation; it lapses when idle and at its absolute end, and "end chat"
forgets it. Real Redis, SQLite and PostgreSQL, the app with its worker."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from bot.core.db import Database
from bot.core.models import Conversation, Message
from channels.webchat import ENDED_TEXT
from fakes.processes import wait_for
from tests.helpers import (
    SESSION_HEADER,
    chat_headers,
    chat_post,
    chat_socket,
    new_id,
    open_chat,
    receive_until,
    running_service,
    service_env,
)


def _refused_socket(client, first_frame: dict | None, path: str = "/chat/ws") -> int:
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(path) as ws:
        if first_frame is not None:
            ws.send_json(first_frame)
        for _ in range(3):
            ws.receive_json()
    return closed.value.code


def test_finding_3_a_visitor_id_alone_opens_nothing(channel_client, settings) -> None:
    client = channel_client()
    ack = chat_post(client, "visitor-owner", "我的卡丢了，卡号 6222021234567890")
    assert ack.status_code == 202
    db = Database(settings.database_url)
    try:
        with db.session() as s:
            visitor = s.scalar(
                select(Conversation.external_user_id).where(
                    Conversation.public_id == ack.json()["conversation_id"]
                )
            )
    finally:
        db.dispose()
    # What used to be enough: the visitor id in the URL or the body.
    assert _refused_socket(client, None, f"/chat/ws?visitor={visitor}") == 4401
    as_before = {"visitor_id": visitor, "id": new_id(), "text": "冒充客户"}
    assert client.post("/webhooks/webchat", json=as_before).status_code == 401
    with_session = client.post(
        "/webhooks/webchat", json=as_before, headers=chat_headers(client, "visitor-other")
    )
    assert with_session.status_code == 422  # the field is refused, not obeyed
    assert with_session.json()["detail"]["code"] == "unknown_field"
    # A forged or altered token, and a socket that never says hello, are refused.
    token = chat_headers(client, "visitor-owner")[SESSION_HEADER]
    nonce, mac = token.split(".")
    for forged in (f"{nonce}.{mac[::-1]}", f"{nonce[::-1]}.{mac}", "x" * 43, ""):
        response = client.post(
            "/webhooks/webchat",
            json={"id": new_id(), "text": "hi"},
            headers={SESSION_HEADER: forged},
        )
        assert response.status_code == 401
        assert response.json()["detail"]["code"] == "session_expired"
        assert _refused_socket(client, {"type": "hello", "session": forged}) == 4401
    assert _refused_socket(client, {"type": "message", "id": new_id(), "text": "hi"}) == 4401
    # The owner's page still works and sees the history (masked).
    with chat_socket(client, "visitor-owner") as ws:
        history = ws.receive_json()
    assert history["type"] == "history"
    assert "6222021234567890" not in str(history) and history["messages"][0]["sender"] == "customer"


def test_finding_3_the_session_lapses_when_idle_and_activity_keeps_it(channel_client) -> None:
    client = channel_client(webchat_idle_minutes=0.05)  # 3 seconds
    for n in range(5):  # a message a second: never idle for 3 s
        assert chat_post(client, "visitor-busy", f"第{n}条").status_code == 202
        time.sleep(1)
    chat_headers(client, "visitor-idle")
    time.sleep(4)
    lapsed = chat_post(client, "visitor-idle", "还在吗")
    assert lapsed.status_code == 401 and "过期" in lapsed.json()["detail"]["message"]
    token = chat_headers(client, "visitor-idle")[SESSION_HEADER]
    assert _refused_socket(client, {"type": "hello", "session": token}) == 4401


def test_finding_3_an_open_socket_is_closed_when_its_session_lapses(channel_client) -> None:
    client = channel_client(webchat_idle_minutes=0.05)
    with chat_socket(client, "visitor-away") as ws:
        assert ws.receive_json()["type"] == "history"
        with pytest.raises(WebSocketDisconnect) as closed:
            frame = ws.receive_json()  # nothing is said for longer than the idle time
            assert frame == {"type": "ended", "reason": "expired"}
            ws.receive_json()
    assert closed.value.code == 4401


def test_finding_3_a_session_ends_at_its_absolute_end_despite_activity(channel_client) -> None:
    client = channel_client(webchat_idle_minutes=10, webchat_session_hours=3 / 3600)
    started = time.monotonic()
    while time.monotonic() - started < 2:
        assert chat_post(client, "visitor-long", "hello").status_code == 202
        time.sleep(0.5)
    time.sleep(1.5)
    assert chat_post(client, "visitor-long", "hello").status_code == 401


def test_finding_3_end_chat_forgets_the_device_and_tells_staff(channel_client, settings) -> None:
    client = channel_client()
    ack = chat_post(client, "visitor-shared-pc", "我的信用卡丢了")
    conversation = ack.json()["conversation_id"]
    token = chat_headers(client, "visitor-shared-pc")[SESSION_HEADER]
    with chat_socket(client, "visitor-shared-pc") as ws:
        assert ws.receive_json()["type"] == "history"
        assert client.delete("/chat/session", headers={SESSION_HEADER: token}).status_code == 204
        ended = receive_until(ws, lambda f: f["type"] == "ended")
        assert ended["reason"] == "ended"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4401
    # The next person at this computer sees nothing of it and cannot write to it.
    assert chat_post(client, "visitor-shared-pc", "我是谁").status_code == 401
    assert _refused_socket(client, {"type": "hello", "session": token}) == 4401
    assert client.delete("/chat/session", headers={SESSION_HEADER: token}).status_code == 204
    client.__dict__["_anxin_chat_sessions"].pop("visitor-shared-pc")
    with chat_socket(client, "visitor-shared-pc") as ws:
        assert ws.receive_json() == {"type": "history", "messages": []}
    # Staff see that the customer left; the conversation and its ticket stay.
    db = Database(settings.database_url)
    try:

        def ended_in_transcript() -> list[str]:
            with db.session() as s:
                return list(
                    s.scalars(
                        select(Message.text)
                        .join(Conversation, Message.conversation_id == Conversation.id)
                        .where(Conversation.public_id == conversation)
                    )
                )

        texts = wait_for(lambda: (t := ended_in_transcript()) and ENDED_TEXT in t and t)
        assert texts.count(ENDED_TEXT) == 1
    finally:
        db.dispose()


def test_finding_3_sessions_per_address_are_limited(channel_client) -> None:
    client = channel_client(webchat_sessions_per_address=2)
    assert [client.post("/chat/session").status_code for _ in range(3)] == [201, 201, 429]


def test_finding_3_no_redis_no_session(channel_client) -> None:
    client = channel_client(redis_url="redis://127.0.0.1:1/0")
    opened = client.post("/chat/session")
    assert opened.status_code == 503 and opened.headers["Retry-After"]


def test_finding_3_the_token_is_never_logged(settings, fake_rasa, tmp_path) -> None:
    log = tmp_path / "service.log"
    env = service_env(settings, ANXIN_LOG_LEVEL="DEBUG")
    with running_service(env, log) as url:
        token = open_chat(httpx, url)
        for n in range(3):
            posted = httpx.post(
                f"{url}/webhooks/webchat",
                json={"id": new_id(), "text": f"问题 {n}"},
                headers={SESSION_HEADER: token},
            )
            assert posted.status_code == 202
        wait_for(lambda: len(fake_rasa.calls) == 3)
        assert (
            httpx.delete(f"{url}/chat/session", headers={SESSION_HEADER: token}).status_code == 204
        )
        refused = httpx.post(
            f"{url}/webhooks/webchat",
            json={"id": new_id(), "text": "again"},
            headers={SESSION_HEADER: token},
        )
        assert refused.status_code == 401
    logged = log.read_text()
    assert "/chat/session" in logged and "/webhooks/webchat" in logged  # requests are logged
    assert token not in logged and token.split(".")[0] not in logged


async def test_sessions_work_on_the_embedded_and_the_real_redis(redis_under_test, settings) -> None:
    """GETEX and GETDEL: Redis 6.2's, which the embedded server has."""
    from bot.core.live_events import LiveEvents
    from channels.webchat_sessions import ChatSessions

    events = LiveEvents(redis_under_test, f"t-{new_id()[:6]}")
    sessions = ChatSessions(events, settings)
    try:
        opened = await sessions.open()
        assert await sessions.visitor_of(opened.token) == opened.visitor
        assert await sessions.visitor_of(opened.token, touch=False) == opened.visitor
        assert await sessions.end(opened.token) == opened.visitor
        assert await sessions.visitor_of(opened.token) is None
        assert await sessions.end(opened.token) is None
    finally:
        await events.close()
