"""WeChat Official Account: signatures, replay, de-duplication,
replies through a fake api.weixin.qq.com, token renewal and the 48-hour window."""

from __future__ import annotations

import random
import time
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.db import Database
from bot.core.models import Conversation, Message, OutboxItem
from channels.wechat_crypto import MessageCrypto, sha1_signature
from fakes.processes import wait_for
from fakes.providers import FakeWeChat
from tests.helpers import verify_identity

TOKEN, APP_ID, SECRET = "anxin-wechat-token", "wx0123456789abcdef", "app-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def text_xml(
    msg_id: int, content: str = "你好", openid: str = "o-customer-1", created: int | None = None
) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_bank]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{created or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(
    event: str, openid: str = "o-customer-1", created: int = 1_700_000_000, key: str = ""
) -> str:
    key_xml = f"<EventKey><![CDATA[{key}]]></EventKey>" if key else ""
    return (
        f"<xml><ToUserName><![CDATA[gh_bank]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event>{key_xml}</xml>"
    )


def signed_query(
    timestamp: int | None = None, nonce: str | None = None, token: str = TOKEN, **extra: str
) -> str:
    ts = str(timestamp or int(time.time()))
    nonce = nonce or str(random.randint(10**8, 10**9))
    return urlencode(
        {"signature": sha1_signature(token, ts, nonce), "timestamp": ts, "nonce": nonce, **extra}
    )


@pytest.fixture
def fake_wechat():
    fake = FakeWeChat()
    yield fake
    fake.stop()


def _config(fake: FakeWeChat, **more: str) -> dict[str, str]:
    return {
        "wechat_token": TOKEN,
        "wechat_app_id": APP_ID,
        "wechat_app_secret": SECRET,
        "wechat_api_base_url": fake.url,
        **more,
    }


@pytest.fixture
def client(channel_client, fake_wechat):
    return channel_client(**_config(fake_wechat))


def _inbound_count(settings) -> int:
    db = Database(settings.database_url)
    with db.session() as s:
        n = s.scalar(select(func.count(Message.id)).where(Message.direction == "in"))
    db.dispose()
    return n


def _outbox(settings) -> list[tuple[str, str | None]]:
    db = Database(settings.database_url)
    with db.session() as s:
        rows = [(o.status, o.route) for o in s.scalars(select(OutboxItem).order_by(OutboxItem.id))]
    db.dispose()
    return rows


def test_off_without_credentials(channel_client) -> None:
    assert (
        channel_client().post(f"/webhooks/wechat?{signed_query()}", content=text_xml(1)).status_code
        == 404
    )


def test_url_verification_echoes_only_when_signed(client) -> None:
    assert client.get(f"/webhooks/wechat?{signed_query(echostr='hello-echo')}").text == "hello-echo"
    bad = urlencode(
        {"signature": "0" * 40, "timestamp": int(time.time()), "nonce": "1", "echostr": "x"}
    )
    assert client.get(f"/webhooks/wechat?{bad}").status_code == 403


def test_signed_text_three_tries_answered_success_fast_and_replied_once(
    client, settings, fake_wechat, fake_rasa
) -> None:
    query = signed_query()
    body = text_xml(10001, "你好")
    fake_rasa.delay = 3.0  # a slow assistant: the acknowledgement must not wait for it
    for _ in range(3):  # WeChat's three tries
        response = client.post(f"/webhooks/wechat?{query}", content=body.encode())
        assert response.status_code == 200 and response.text == "success"
    assert fake_wechat.calls("/cgi-bin/message/custom/send") == []  # acked before the reply
    sent = wait_for(lambda: fake_wechat.calls("/cgi-bin/message/custom/send"), timeout=15)
    assert sent[0].json() == {
        "touser": "o-customer-1",
        "msgtype": "text",
        "text": {"content": "echo: 你好"},
    }
    assert sent[0].query["access_token"] == "token-1"
    wait_for(lambda: _outbox(settings) == [("sent", None)])
    assert _inbound_count(settings) == 1 and len(fake_rasa.calls) == 1
    assert len(fake_wechat.calls("/cgi-bin/message/custom/send")) == 1


@pytest.mark.parametrize(
    "query",
    [
        "",
        "signature=&timestamp=&nonce=",
        urlencode({"signature": "0" * 40, "timestamp": int(time.time()), "nonce": "123"}),
        "STALE",
        "WRONG_TOKEN",
    ],
)
def test_forged_missing_or_expired_signature_is_403_and_nothing_stored(
    client, settings, query
) -> None:
    if query == "STALE":
        query = signed_query(timestamp=int(time.time()) - 301)
    elif query == "WRONG_TOKEN":
        query = signed_query(token="not-the-token")
    assert client.post(f"/webhooks/wechat?{query}", content=text_xml(2)).status_code == 403
    assert _inbound_count(settings) == 0


def test_replayed_nonce_with_another_body_is_refused(client, settings) -> None:
    query = signed_query(nonce="424242")
    assert client.post(f"/webhooks/wechat?{query}", content=text_xml(3, "first")).text == "success"
    assert (
        client.post(f"/webhooks/wechat?{query}", content=text_xml(4, "forged")).status_code == 403
    )
    assert _inbound_count(settings) == 1


def test_events_and_media(client, settings, fake_wechat) -> None:
    for body in (event_xml("subscribe"), event_xml("subscribe")):  # retried event stored once
        assert client.post(f"/webhooks/wechat?{signed_query()}", content=body).text == "success"
    welcome = wait_for(lambda: fake_wechat.calls("/cgi-bin/message/custom/send"))
    assert "欢迎关注" in welcome[0].json()["text"]["content"]
    voice = (
        "<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[o-customer-1]]></FromUserName>"
        "<CreateTime>1700000001</CreateTime><MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[m]]></MediaId>"
        "<Format><![CDATA[amr]]></Format><Recognition><![CDATA[查询工单]]></Recognition><MsgId>20001</MsgId></xml>"
    )
    client.post(f"/webhooks/wechat?{signed_query()}", content=voice)
    image = (
        "<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[o-customer-1]]></FromUserName>"
        "<CreateTime>1700000002</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://x]]></PicUrl>"
        "<MediaId><![CDATA[m]]></MediaId><MsgId>20002</MsgId></xml>"
    )
    client.post(f"/webhooks/wechat?{signed_query()}", content=image)
    client.post(
        f"/webhooks/wechat?{signed_query()}",
        content=event_xml("CLICK", created=1_700_000_003, key="我的银行卡丢了"),
    )
    client.post(
        f"/webhooks/wechat?{signed_query()}",
        content=event_xml("unsubscribe", created=1_700_000_004),
    )

    def texts():
        return [
            c.json()["text"]["content"] for c in fake_wechat.calls("/cgi-bin/message/custom/send")
        ]

    wait_for(lambda: len(texts()) == 4, timeout=15)
    assert texts()[1] == "echo: 查询工单"  # voice: the Recognition text
    assert "文字" in texts()[2]  # image: polite text-only reply
    assert texts()[3] == "echo: 我的银行卡丢了"  # menu click
    assert _inbound_count(settings) == 5


def test_safe_mode_decrypts_and_refuses_plaintext(channel_client, settings, fake_wechat) -> None:
    client = channel_client(**_config(fake_wechat, wechat_aes_key=AES_KEY))
    crypto = MessageCrypto(TOKEN, AES_KEY, APP_ID)
    encrypted = crypto.encrypt(text_xml(30001, "How do I reset my password?"))
    ts, nonce = str(int(time.time())), "5551234"
    msg_signature = sha1_signature(TOKEN, ts, nonce, encrypted)
    query = signed_query(
        timestamp=int(ts), nonce=nonce, encrypt_type="aes", msg_signature=msg_signature
    )
    body = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    assert client.post(f"/webhooks/wechat?{query}", content=body).text == "success"
    sent = wait_for(lambda: fake_wechat.calls("/cgi-bin/message/custom/send"))
    assert sent[0].json()["text"]["content"] == "echo: How do I reset my password?"
    # Plaintext (a downgrade) and a wrong msg_signature are refused in safe mode.
    assert (
        client.post(f"/webhooks/wechat?{signed_query()}", content=text_xml(30002)).status_code
        == 403
    )
    bad = signed_query(encrypt_type="aes", msg_signature="0" * 40)
    assert client.post(f"/webhooks/wechat?{bad}", content=body).status_code == 403
    assert _inbound_count(settings) == 1


def test_expired_token_is_renewed_and_shared(client, settings, fake_wechat) -> None:
    fake_wechat.errcodes = [42001]  # the cached token expired early
    client.post(f"/webhooks/wechat?{signed_query()}", content=text_xml(40001))
    wait_for(lambda: _outbox(settings) == [("sent", None)])
    tokens = [c.query["access_token"] for c in fake_wechat.calls("/cgi-bin/message/custom/send")]
    assert tokens == ["token-1", "token-2"]
    client.post(f"/webhooks/wechat?{signed_query()}", content=text_xml(40002))
    wait_for(lambda: len(_outbox(settings)) == 2 and _outbox(settings)[1][0] == "sent")
    assert fake_wechat.tokens_issued == 2  # the renewed token is reused from Redis


def test_window_closed_falls_back_to_template_or_gives_up(
    channel_client, settings, fake_wechat
) -> None:
    client = channel_client(**_config(fake_wechat, wechat_template_id="TPL-1"))
    fake_wechat.errcodes = [45015]
    client.post(f"/webhooks/wechat?{signed_query()}", content=text_xml(50001))
    wait_for(lambda: _outbox(settings) == [("sent", "template")])
    template = fake_wechat.calls("/cgi-bin/message/template/send")[0].json()
    assert (
        template["template_id"] == "TPL-1" and template["data"]["content"]["value"] == "echo: 你好"
    )


def test_window_closed_without_template_is_recorded_dead(client, settings, fake_wechat) -> None:
    fake_wechat.errcodes = [45015]
    client.post(f"/webhooks/wechat?{signed_query()}", content=text_xml(50002))
    wait_for(lambda: _outbox(settings) == [("dead", None)])


def test_window_closed_reaches_a_verified_customer_by_sms(
    channel_client, settings, fake_wechat, fake_twilio
) -> None:
    client = channel_client(
        **_config(fake_wechat),
        twilio_account_sid="AC" + "2" * 32,
        twilio_auth_token="auth",
        twilio_from="+15550001111",
        twilio_api_base_url=fake_twilio.url,
        sms_public_url="https://bank.example/webhooks/sms",
    )
    client.post(f"/webhooks/wechat?{signed_query()}", content=text_xml(50003))
    wait_for(lambda: _outbox(settings) == [("sent", None)])
    db = Database(settings.database_url)
    with db.session() as s:
        public_id = s.scalar(select(Conversation.public_id).where(Conversation.channel == "wechat"))
    verify_identity(db, public_id, "+8613800002468")  # bound to a customer by SMS code
    db.dispose()
    fake_wechat.errcodes = [45015]  # the customer's 48 hours have passed
    client.post(f"/webhooks/wechat?{signed_query()}", content=text_xml(50004))
    wait_for(lambda: _outbox(settings) == [("sent", None), ("sent", "sms")])
    [sms] = fake_twilio.calls("/Messages.json")
    assert sms.form()["To"] == "+8613800002468" and sms.form()["Body"] == "echo: 你好"


def test_provider_down_then_back(client, settings, fake_wechat) -> None:
    fake_wechat.down = True
    client.post(f"/webhooks/wechat?{signed_query()}", content=text_xml(60001))
    wait_for(lambda: len(fake_wechat.requests) >= 2, timeout=15)
    fake_wechat.down = False
    wait_for(lambda: _outbox(settings) == [("sent", None)], timeout=30)
    assert len([c for c in fake_wechat.calls("/cgi-bin/message/custom/send")]) >= 1


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300),
        st.builds(text_xml, st.integers(0, 2**63), st.text(max_size=40)),
    )
)
def test_fuzzed_signed_bodies_never_500(client, body) -> None:
    content = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    response = client.post(f"/webhooks/wechat?{signed_query()}", content=content)
    assert response.status_code in (200, 400, 403), response.text


async def test_an_unreachable_api_is_a_retryable_delivery_error(redis_url: str) -> None:
    """Nothing listening on the API's port: the send fails as one to try again later,
    not as an exception out of the outbox loop."""
    from datetime import UTC, datetime

    from redis.asyncio import Redis

    from bot.pipeline.messages import DeliveryError, OutboundMessage
    from channels.wechat import WeChatSender
    from fakes.processes import free_port

    redis = Redis.from_url(redis_url)
    sender = WeChatSender(
        "wxdown", "secret", f"http://127.0.0.1:{free_port()}", redis, f"t{time.time_ns()}"
    )
    message = OutboundMessage(
        message_id=1,
        conversation_public_id="c1",
        channel="wechat",
        recipient="openid-1",
        sender="bot",
        text="您好",
        created_at=datetime.now(UTC),
    )
    try:
        with pytest.raises(DeliveryError) as failed:
            await sender.send(message)
        assert not failed.value.permanent and "Connect" in failed.value.reason
    finally:
        await sender._http.close()
        await redis.aclose()


def test_shutdown_closes_the_api_connections(settings, fake_wechat) -> None:
    """The sender's connection pool is closed with the app, not left to the collector."""
    from starlette.testclient import TestClient

    from bot.web.app import create_app

    with TestClient(create_app(settings.model_copy(update=_config(fake_wechat)))) as client:
        client.post(f"/webhooks/wechat?{signed_query()}", content=text_xml(70001))
        wait_for(lambda: _outbox(settings) == [("sent", None)])
        http = client.app.state.services.senders["wechat"]._http  # type: ignore[attr-defined]
        session = http._session
        assert session is not None and not session.closed  # replies went through it
    assert session.closed and http._session is None
