"""Telegram webhook and replies against a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.db import Database
from bot.core.models import DeliveryAttempt, Message, OutboxItem
from channels.telegram import SECRET_HEADER, parse_update
from fakes.processes import wait_for
from fakes.providers import FakeTelegram

SECRET = "telegram-secret-0123456789"
TOKEN = "123456:TEST-token"
URL = "/webhooks/telegram"


@pytest.fixture
def fake_telegram():
    fake = FakeTelegram()
    yield fake
    fake.stop()


@pytest.fixture
def client(channel_client, fake_telegram, fake_rasa):
    fake_rasa.reply = lambda text: [
        {"text": f"echo: {text}", "buttons": [{"title": "查询工单", "payload": "查询工单进度"}]}
    ]
    return channel_client(
        telegram_bot_token=TOKEN,
        telegram_secret_token=SECRET,
        telegram_api_base_url=fake_telegram.url,
    )


def update(update_id: int, text: str = "你好", chat_id: int = 4242) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Li"},
            "text": text,
        },
    }


def _count(settings, direction: str) -> int:
    db = Database(settings.database_url)
    with db.session() as s:
        n = s.scalar(select(func.count(Message.id)).where(Message.direction == direction))
    db.dispose()
    return n


def test_channel_without_credentials_is_off(channel_client) -> None:
    response = channel_client().post(URL, json=update(1), headers={SECRET_HEADER: SECRET})
    assert response.status_code == 404
    assert "not configured" in response.json()["detail"]


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}])
def test_missing_or_wrong_secret_is_403_and_nothing_stored(client, settings, headers) -> None:
    assert client.post(URL, json=update(1), headers=headers).status_code == 403
    assert _count(settings, "in") == 0


def test_same_update_three_times_one_message_one_reply(client, settings, fake_telegram) -> None:
    for _ in range(3):
        assert client.post(
            URL, json=update(77, "你好"), headers={SECRET_HEADER: SECRET}
        ).json() == {"ok": True}
    sent = wait_for(lambda: fake_telegram.calls("/sendMessage"))
    assert _count(settings, "in") == 1
    wait_for(lambda: _count(settings, "out") == 1)
    fields = sent[0].form()
    assert fields["chat_id"] == "4242" and fields["text"] == "echo: 你好"
    keyboard = json.loads(fields["reply_markup"])["inline_keyboard"]
    assert keyboard == [[{"text": "查询工单", "callback_data": "查询工单进度"}]]
    assert sent[0].path == f"/bot{TOKEN}/sendMessage"
    wait_for(lambda: True)
    assert len(fake_telegram.calls("/sendMessage")) == 1


def test_callback_query_is_a_customer_message_and_is_answered(client, fake_telegram) -> None:
    body = {
        "update_id": 90,
        "callback_query": {
            "id": "cb-1",
            "from": {"id": 4242, "is_bot": False, "first_name": "Li"},
            "chat_instance": "x",
            "data": "查询工单进度",
            "message": {
                "message_id": 5,
                "date": 1_700_000_000,
                "chat": {"id": 4242, "type": "private"},
            },
        },
    }
    assert client.post(URL, json=body, headers={SECRET_HEADER: SECRET}).status_code == 200
    sent = wait_for(lambda: fake_telegram.calls("/sendMessage"))
    assert sent[0].form()["text"] == "echo: 查询工单进度"
    assert (
        wait_for(lambda: fake_telegram.calls("/answerCallbackQuery"))[0].form()["callback_query_id"]
        == "cb-1"
    )


def test_provider_down_then_back_reply_arrives_once(client, settings, fake_telegram) -> None:
    fake_telegram.down = True
    client.post(URL, json=update(5), headers={SECRET_HEADER: SECRET})
    wait_for(
        lambda: len(fake_telegram.calls("/sendMessage")) >= 2, timeout=15
    )  # retried while down
    fake_telegram.down = False
    fake_telegram.requests.clear()
    wait_for(lambda: _status(settings) == "sent", timeout=30)
    assert len(fake_telegram.calls("/sendMessage")) == 1
    assert _attempts(settings)[-1] is True and False in _attempts(settings)


def test_rate_limit_waits_and_blocked_user_gives_up(client, settings, fake_telegram) -> None:
    fake_telegram.errors = [(429, "Too Many Requests: retry after 1", 1)]
    client.post(URL, json=update(6), headers={SECRET_HEADER: SECRET})
    wait_for(lambda: _status(settings) == "sent", timeout=20)
    assert _attempts(settings) == [False, True]
    fake_telegram.errors = [(403, "Forbidden: bot was blocked by the user", None)]
    client.post(URL, json=update(7), headers={SECRET_HEADER: SECRET})
    wait_for(lambda: _statuses(settings) == ["sent", "dead"], timeout=20)


def _statuses(settings) -> list[str]:
    db = Database(settings.database_url)
    with db.session() as s:
        out = list(s.scalars(select(OutboxItem.status).order_by(OutboxItem.id)))
    db.dispose()
    return out


def _status(settings) -> str | None:
    statuses = _statuses(settings)
    return statuses[-1] if statuses else None


def _attempts(settings) -> list[bool]:
    db = Database(settings.database_url)
    with db.session() as s:
        out = list(s.scalars(select(DeliveryAttempt.ok).order_by(DeliveryAttempt.id)))
    db.dispose()
    return out


def test_bad_bodies_are_400(client) -> None:
    headers = {SECRET_HEADER: SECRET}
    assert client.post(URL, content=b"{not json", headers=headers).status_code == 400
    assert client.post(URL, json={"hello": 1}, headers=headers).status_code == 400
    assert client.post(URL, json=[1, 2], headers=headers).status_code == 400
    assert client.post(URL, content=b"x" * 300_000, headers=headers).status_code == 413


def test_parse_update_ignores_what_it_does_not_handle() -> None:
    assert parse_update({"update_id": 1, "edited_message": update(1)["message"]}) == (None, None)
    inbound, _ = parse_update(
        {
            **update(2),
            "message": {
                **update(2)["message"],
                "text": None,
                "voice": {"file_id": "f", "file_unique_id": "u", "duration": 1},
            },
        }
    )
    assert inbound is not None and inbound.kind == "voice"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
fuzzed_update = st.fixed_dictionaries(
    {"update_id": st.integers(min_value=1, max_value=2**31)},
    optional={"message": json_values, "callback_query": json_values, "edited_message": json_values},
)


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.one_of(json_values, fuzzed_update, st.binary(max_size=200)))
def test_fuzzed_payloads_never_500(client, body) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post(URL, content=content, headers={SECRET_HEADER: SECRET})
    assert response.status_code in (200, 400), response.text
