"""The real assistant behind every provider channel: a signed message in, its reply out
at the (fake) provider API exactly once."""

from __future__ import annotations

import random
import time
from urllib.parse import urlencode

import httpx
import pytest

from bot.stack import Stack
from channels.sms import twilio_signature
from channels.telegram import SECRET_HEADER
from channels.wechat_crypto import sha1_signature
from tests.e2e.conftest import CHANNEL_SECRETS, Providers
from tests.helpers import wait_for

pytestmark = pytest.mark.e2e


def _settle() -> None:
    time.sleep(3)  # time enough for a duplicate to show up, if there were one


def test_wechat_text_answered_success_fast_and_replied_once(
    stack: Stack, providers: Providers
) -> None:
    ts, nonce = str(int(time.time())), str(random.randint(10**8, 10**9))
    signature = sha1_signature(CHANNEL_SECRETS["WECHAT_TOKEN"], ts, nonce)
    query = urlencode({"signature": signature, "timestamp": ts, "nonce": nonce})
    body = (
        "<xml><ToUserName><![CDATA[gh_bank]]></ToUserName><FromUserName><![CDATA[o-e2e-1]]></FromUserName>"
        f"<CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<Content><![CDATA[你好]]></Content><MsgId>7000000001</MsgId></xml>"
    )
    response = httpx.post(
        f"{stack.service_url}/webhooks/wechat?{query}", content=body.encode(), timeout=5
    )
    assert response.text == "success"  # ack latency is measured by bench/, not timed here
    sent = wait_for(lambda: providers.wechat.calls("/cgi-bin/message/custom/send"), timeout=60)
    _settle()
    assert len(providers.wechat.calls("/cgi-bin/message/custom/send")) == 1
    payload = sent[0].json()
    assert payload["touser"] == "o-e2e-1" and "您好" in payload["text"]["content"]


def test_sms_lost_card_gets_its_p1_ticket_once(stack: Stack, providers: Providers) -> None:
    params = {
        "MessageSid": "SM-e2e-1",
        "From": "+8613900001234",
        "To": "+15550001111",
        "Body": "我的信用卡丢了",
    }
    signature = twilio_signature(
        CHANNEL_SECRETS["TWILIO_AUTH_TOKEN"],
        CHANNEL_SECRETS["SMS_PUBLIC_URL"],
        list(params.items()),
    )
    for _ in range(3):  # Twilio retries
        response = httpx.post(
            f"{stack.service_url}/webhooks/sms",
            data=params,
            headers={"X-Twilio-Signature": signature},
        )
        assert response.status_code == 200
    sent = wait_for(lambda: providers.twilio.calls("/Messages.json"), timeout=60)
    _settle()
    assert len(providers.twilio.calls("/Messages.json")) == 1
    form = sent[0].form()
    assert form["To"] == "+8613900001234" and "P1" in form["Body"] and "AX" in form["Body"]


def test_telegram_english_faq_answered_once(stack: Stack, providers: Providers) -> None:
    update = {
        "update_id": 880001,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": 5150, "type": "private"},
            "text": "How do I reset my online banking password?",
        },
    }
    headers = {SECRET_HEADER: CHANNEL_SECRETS["TELEGRAM_SECRET_TOKEN"]}
    for _ in range(2):
        assert (
            httpx.post(
                f"{stack.service_url}/webhooks/telegram", json=update, headers=headers
            ).status_code
            == 200
        )
    sent = wait_for(lambda: providers.telegram.calls("/sendMessage"), timeout=60)
    _settle()
    assert len(providers.telegram.calls("/sendMessage")) == 1
    assert "Forgot password" in sent[0].form()["text"]
