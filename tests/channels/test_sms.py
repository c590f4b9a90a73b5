"""SMS: Twilio-signed inbound, outbound through a fake Twilio, the generic gateway, STOP."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.db import Database
from bot.core.models import Conversation, Message, OutboxItem
from bot.pipeline.messages import Button, OutboundMessage
from channels.sms import split_message, twilio_signature
from fakes.processes import wait_for

SID, AUTH = "AC" + "1" * 32, "twilio-auth-token"
PUBLIC = "https://bank.example/webhooks/sms"
PHONE = "+8613812345678"


@pytest.fixture
def client(channel_client, fake_twilio):
    return channel_client(
        twilio_account_sid=SID,
        twilio_auth_token=AUTH,
        twilio_from="+15550001111",
        twilio_api_base_url=fake_twilio.url,
        sms_public_url=PUBLIC,
    )


def signed(params: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": twilio_signature(AUTH, PUBLIC, list(params.items()))}


def sms(sid: str, body: str = "你好", phone: str = PHONE) -> dict[str, str]:
    return {"MessageSid": sid, "From": phone, "To": "+15550001111", "Body": body, "NumMedia": "0"}


def _db(settings) -> Database:
    return Database(settings.database_url)


def test_twilio_published_signature_vectors() -> None:
    # The worked example of Twilio's request-validation documentation and SDK tests.
    params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ]
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert twilio_signature("12345", url + "&extra=1", params) != "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    repeated = [
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
        ("Digits", "1234"),
    ]
    assert twilio_signature("12345", url, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


@pytest.mark.parametrize("signature", [None, "", "AAAA", "RSOYDt4T1cUTdK1PDd93/VVr8B8="])
def test_forged_or_missing_signature_is_403(client, settings, signature) -> None:
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    assert client.post("/webhooks/sms", data=sms("SM1"), headers=headers).status_code == 403
    db = _db(settings)
    with db.session() as s:
        assert s.scalar(select(func.count(Message.id))) == 0
    db.dispose()


def test_signed_sms_three_times_stores_once_replies_once_phone_never_in_clear(
    client, settings, fake_twilio, fake_rasa
) -> None:
    params = sms("SM0001", "我的卡号 4111111111111111 丢了")
    for _ in range(3):
        response = client.post("/webhooks/sms", data=params, headers=signed(params))
        assert response.status_code == 200 and "<Response>" in response.text
    sent = wait_for(lambda: fake_twilio.calls("/Messages.json"))
    form = sent[0].form()
    assert form["To"] == PHONE and form["From"] == "+15550001111"
    assert "4111111111111111" not in form["Body"] and "****1111" in form["Body"]
    assert sent[0].headers["authorization"].startswith("Basic ")
    db = _db(settings)
    with db.session() as s:
        assert s.scalar(select(func.count(Message.id)).where(Message.direction == "in")) == 1
        conversation = s.scalar(select(Conversation))
        assert PHONE not in conversation.external_user_id
        assert conversation.recipient_sealed and PHONE not in conversation.recipient_sealed
        texts = " ".join(s.scalars(select(Message.text)))
        assert "13812345678" not in texts
    db.dispose()
    assert len(fake_rasa.calls) == 1
    assert len(fake_twilio.calls("/Messages.json")) == 1


def test_long_reply_is_split_and_a_retry_does_not_resend_parts(
    client, settings, fake_twilio, fake_rasa
) -> None:
    fake_rasa.reply = lambda text: [{"text": "长" * 1500}]
    fake_twilio.statuses = [201, 503]  # part 1 accepted, part 2 fails once
    params = sms("SM0002")
    client.post("/webhooks/sms", data=params, headers=signed(params))
    db = _db(settings)

    def sent() -> bool:
        with db.session() as s:
            return s.scalar(select(OutboxItem.status)) == "sent"

    wait_for(sent, timeout=20)
    db.dispose()
    bodies = [r.form()["Body"] for r in fake_twilio.calls("/Messages.json")]
    assert [b[:6] for b in bodies] == ["(1/3) ", "(2/3) ", "(2/3) ", "(3/3) "]  # part 1 once
    assert all(len(b) <= 670 for b in bodies)


def test_stop_opts_out_and_start_opts_back_in(client, settings, fake_twilio, fake_rasa) -> None:
    stop = sms("SM0003", "退订")
    client.post("/webhooks/sms", data=stop, headers=signed(stop))
    db = _db(settings)

    def opted_out() -> bool:
        with db.session() as s:
            return s.scalar(select(Conversation.opted_out_at)) is not None

    wait_for(opted_out)
    hello = sms("SM0004", "hello")
    client.post("/webhooks/sms", data=hello, headers=signed(hello))

    def suppressed() -> bool:
        with db.session() as s:
            return "suppressed" in s.scalars(select(OutboxItem.status)).all()

    wait_for(suppressed)
    assert fake_twilio.calls("/Messages.json") == []
    start = sms("SM0005", "START")
    client.post("/webhooks/sms", data=start, headers=signed(start))
    again = sms("SM0006", "hello again")
    client.post("/webhooks/sms", data=again, headers=signed(again))
    wait_for(lambda: fake_twilio.calls("/Messages.json"))
    assert fake_twilio.calls("/Messages.json")[0].form()["Body"] == "echo: hello again"
    db.dispose()


def test_generic_gateway_in_and_out(channel_client, settings, fake_twilio) -> None:
    client = channel_client(
        sms_gateway_url=f"{fake_twilio.url}/gateway/send", sms_gateway_token="gw-token-123456"
    )
    assert client.post("/webhooks/sms", data=sms("SM9")).status_code == 404  # Twilio is off
    bad = client.post("/webhooks/sms/gateway", json={"id": "1", "from": PHONE, "text": "hi"})
    assert bad.status_code == 403
    auth = {"Authorization": "Bearer gw-token-123456"}
    assert client.post("/webhooks/sms/gateway", content=b"nope", headers=auth).status_code == 400
    for _ in range(2):
        assert (
            client.post(
                "/webhooks/sms/gateway",
                json={"id": "g1", "from": PHONE, "text": "hi"},
                headers=auth,
            ).status_code
            == 200
        )
    sent = wait_for(lambda: fake_twilio.calls("/gateway/send"))
    assert sent[0].json() == {"to": PHONE, "text": "echo: hi", "id": sent[0].json()["id"]}
    assert sent[0].headers["authorization"] == "Bearer gw-token-123456"


def test_split_message_and_quick_replies_as_lines() -> None:
    assert split_message("short", 670) == ["short"]
    parts = split_message("x" * 1400, 670)
    assert len(parts) == 3 and all(len(p) <= 670 for p in parts)
    from datetime import UTC, datetime

    from bot.pipeline.messages import quick_reply_lines

    message = OutboundMessage(
        1, "c", "sms", PHONE, "bot", "您好", datetime.now(UTC), (Button("转人工", "转人工"),)
    )
    assert quick_reply_lines(message) == "您好\n· 转人工"


@hsettings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fields=st.dictionaries(
        st.sampled_from(["MessageSid", "From", "Body", "NumMedia", "To", "x"]),
        st.text(max_size=30),
        max_size=6,
    )
)
def test_fuzzed_signed_forms_never_500(client, fields) -> None:
    response = client.post("/webhooks/sms", data=fields, headers=signed(fields))
    assert response.status_code in (200, 400), response.text
