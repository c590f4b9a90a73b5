"""WeCom 微信客服: published vectors, encrypted callbacks, pulling with a durable cursor,
kf/send_msg with our own msgid, session state, and the 5-per-48-hours budget."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.db import Database
from bot.core.models import ChannelState, Message, OutboxItem
from channels.wechat_crypto import MessageCrypto, sha1_signature
from fakes.processes import wait_for
from fakes.providers import FakeWeCom

CORP, SECRET, TOKEN = "ww0123456789abcdef", "wecom-secret", "wecom-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
KFID, USER = "wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyAAA", "wmAJ2GCAAAZSfhHCt7IFSvLKtMPxyBBB"


@pytest.fixture
def fake_wecom():
    fake = FakeWeCom()
    yield fake
    fake.stop()


@pytest.fixture
def client(channel_client, fake_wecom):
    return channel_client(
        wecom_corp_id=CORP,
        wecom_secret=SECRET,
        wecom_token=TOKEN,
        wecom_aes_key=AES_KEY,
        wecom_api_base_url=fake_wecom.url,
    )


def customer_msg(msgid: str, content: str, origin: int = 3) -> dict:
    return {
        "msgid": msgid,
        "open_kfid": KFID,
        "external_userid": USER,
        "send_time": int(time.time()),
        "origin": origin,
        "msgtype": "text",
        "text": {"content": content},
    }


def callback(token: str = "SYNC-TOKEN", signature: str | None = None) -> tuple[str, str]:
    crypto = MessageCrypto(TOKEN, AES_KEY, CORP)
    event = (
        f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><CreateTime>{int(time.time())}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
        f"<Token><![CDATA[{token}]]></Token><OpenKfId><![CDATA[{KFID}]]></OpenKfId></xml>"
    )
    encrypted = crypto.encrypt(event)
    ts, nonce = str(int(time.time())), "98765"
    query = urlencode(
        {
            "msg_signature": signature or sha1_signature(TOKEN, ts, nonce, encrypted),
            "timestamp": ts,
            "nonce": nonce,
        }
    )
    return (
        query,
        f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>",
    )


def _db_value(settings, query):
    db = Database(settings.database_url)
    with db.session() as s:
        value = query(s)
    db.dispose()
    return value


def test_url_verification(client) -> None:
    crypto = MessageCrypto(TOKEN, AES_KEY, CORP)
    echostr = crypto.encrypt("1616140317555161061")
    ts, nonce = str(int(time.time())), "1"
    query = urlencode(
        {
            "msg_signature": sha1_signature(TOKEN, ts, nonce, echostr),
            "timestamp": ts,
            "nonce": nonce,
            "echostr": echostr,
        }
    )
    assert client.get(f"/webhooks/wecom?{query}").text == "1616140317555161061"
    forged = urlencode(
        {"msg_signature": "0" * 40, "timestamp": ts, "nonce": nonce, "echostr": echostr}
    )
    assert client.get(f"/webhooks/wecom?{forged}").status_code == 403


def test_off_without_credentials(channel_client) -> None:
    query, body = callback()
    assert channel_client().post(f"/webhooks/wecom?{query}", content=body).status_code == 404


def test_forged_signature_is_403_and_nothing_pulled(client, fake_wecom) -> None:
    query, body = callback(signature="0" * 40)
    assert client.post(f"/webhooks/wecom?{query}", content=body).status_code == 403
    assert client.post("/webhooks/wecom", content=b"<xml/>").status_code == 403
    assert fake_wecom.calls("/cgi-bin/kf/sync_msg") == []


def test_callbacks_pull_from_the_durable_cursor_and_reply_once(
    client, settings, fake_wecom, fake_rasa
) -> None:
    fake_wecom.pending = [
        customer_msg("m1", "你好"),
        customer_msg("m2", "ignored: sent by an agent", origin=5),
        customer_msg("m3", "查询工单"),
    ]
    for _ in range(3):  # the same notification three times
        query, body = callback()
        assert client.post(f"/webhooks/wecom?{query}", content=body).text == "success"
    wait_for(lambda: len(fake_wecom.calls("/cgi-bin/kf/send_msg")) == 2, timeout=15)
    sends = [c.json() for c in fake_wecom.calls("/cgi-bin/kf/send_msg")]
    assert [s["text"]["content"] for s in sends] == ["echo: 你好", "echo: 查询工单"]
    assert all(
        s["touser"] == USER and s["open_kfid"] == KFID and s["msgid"].startswith("anxin-")
        for s in sends
    )
    assert (
        _db_value(
            settings,
            lambda s: s.scalar(select(func.count(Message.id)).where(Message.direction == "in")),
        )
        == 2
    )
    cursor = _db_value(
        settings,
        lambda s: s.scalar(select(ChannelState.value).where(ChannelState.channel == "wecom")),
    )
    assert cursor == "3"  # all read; the next pull starts after them
    first_sync = fake_wecom.calls("/cgi-bin/kf/sync_msg")[0].json()
    assert first_sync["token"] == "SYNC-TOKEN" and first_sync["open_kfid"] == KFID
    trans = [c.json() for c in fake_wecom.calls("/cgi-bin/kf/service_state/trans")]
    assert trans and trans[0]["service_state"] == 1
    # A new message later is read from the stored cursor, not from the start.
    fake_wecom.pending.append(customer_msg("m4", "谢谢"))
    query, body = callback()
    client.post(f"/webhooks/wecom?{query}", content=body)
    wait_for(lambda: len(fake_wecom.calls("/cgi-bin/kf/send_msg")) == 3, timeout=15)
    cursors = [int(c.json()["cursor"] or 0) for c in fake_wecom.calls("/cgi-bin/kf/sync_msg")]
    assert cursors == sorted(cursors) and cursors.count(0) == 1  # never re-read from the start
    assert len(fake_rasa.calls) == 3


def test_five_messages_per_48_hours(client, settings, fake_wecom, fake_rasa) -> None:
    fake_rasa.reply = lambda text: [{"text": f"reply {i}"} for i in range(7)]
    fake_wecom.pending = [customer_msg("b1", "hello")]
    query, body = callback()
    client.post(f"/webhooks/wecom?{query}", content=body)

    def statuses() -> list[str]:
        return _db_value(
            settings, lambda s: list(s.scalars(select(OutboxItem.status).order_by(OutboxItem.id)))
        )

    wait_for(lambda: len(statuses()) == 7 and "pending" not in statuses(), timeout=20)
    assert statuses() == ["sent"] * 5 + ["dead"] * 2
    assert len(fake_wecom.calls("/cgi-bin/kf/send_msg")) == 5


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_fuzzed_bodies_never_500(client, body) -> None:
    content = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    query, _ = callback()
    assert client.post(f"/webhooks/wecom?{query}", content=content).status_code in (400, 403)
