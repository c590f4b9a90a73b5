"""The real assistant behind every provider channel: a signed message in, its reply out
at the (fake) provider API exactly once."""

from __future__ import annotations

import random
import re
import time
from urllib.parse import urlencode

import httpx
import pytest

from channels.sms import twilio_signature
from channels.telegram import SECRET_HEADER
from channels.wechat_crypto import sha1_signature
from fakes.processes import wait_for
from launcher.stack import Stack
from tests.e2e.conftest import CHANNEL_SECRETS, Providers, sms_code, texts_to

pytestmark = pytest.mark.e2e


def _settle() -> None:
    time.sleep(3)  # time enough for a duplicate to show up, if there were one


def wechat_text(stack: Stack, openid: str, msg_id: int, content: str) -> httpx.Response:
    ts, nonce = str(int(time.time())), str(random.randint(10**8, 10**9))
    signature = sha1_signature(CHANNEL_SECRETS["WECHAT_TOKEN"], ts, nonce)
    query = urlencode({"signature": signature, "timestamp": ts, "nonce": nonce})
    body = (
        "<xml><ToUserName><![CDATA[gh_bank]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
    return httpx.post(
        f"{stack.service_url}/webhooks/wechat?{query}", content=body.encode(), timeout=5
    )


def sms_text(stack: Stack, sid: str, phone: str, body: str) -> httpx.Response:
    params = {"MessageSid": sid, "From": phone, "To": "+15550001111", "Body": body}
    signature = twilio_signature(
        CHANNEL_SECRETS["TWILIO_AUTH_TOKEN"],
        CHANNEL_SECRETS["SMS_PUBLIC_URL"],
        list(params.items()),
    )
    return httpx.post(
        f"{stack.service_url}/webhooks/sms", data=params, headers={"X-Twilio-Signature": signature}
    )


def test_wechat_text_answered_success_fast_and_replied_once(
    stack: Stack, providers: Providers
) -> None:
    response = wechat_text(stack, "o-e2e-1", 7000000001, "你好")
    assert response.text == "success"  # ack latency is measured by bench/, not timed here
    sent = wait_for(lambda: providers.wechat.calls("/cgi-bin/message/custom/send"), timeout=60)
    _settle()
    assert len(providers.wechat.calls("/cgi-bin/message/custom/send")) == 1
    payload = sent[0].json()
    assert payload["touser"] == "o-e2e-1" and "您好" in payload["text"]["content"]


def test_sms_lost_card_gets_its_p1_ticket_once(stack: Stack, providers: Providers) -> None:
    for _ in range(3):  # Twilio retries
        assert sms_text(stack, "SM-e2e-1", "+8613900001234", "我的信用卡丢了").status_code == 200
    sent = wait_for(lambda: texts_to(providers, "+8613900001234"), timeout=60)
    _settle()
    assert len(texts_to(providers, "+8613900001234")) == 1
    form = sent[0]
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


def _wechat_to(providers: Providers, openid: str) -> list[str]:
    payloads = [call.json() for call in providers.wechat.calls("/cgi-bin/message/custom/send")]
    return [p["text"]["content"] for p in payloads if p["touser"] == openid and "text" in p]


def test_a_wechat_identity_verified_by_sms_code_hears_about_the_sms_ticket(
    stack: Stack, providers: Providers
) -> None:
    """One customer, two channel identities: a ticket opened by text message is told to
    their WeChat only after the SMS one-time code binds the WeChat identity to them."""
    phone, openid = "+8613900005678", "o-e2e-identity"
    assert sms_text(stack, "SM-e2e-id-1", phone, "我的借记卡丢了").status_code == 200
    first = wait_for(lambda: texts_to(providers, phone), timeout=60)
    number = re.search(r"AX\d{11}", first[0]["Body"])
    assert number is not None, first[0]["Body"]

    def wechat_says(msg_id: int, text: str, expect: int = 1) -> list[str]:
        seen = len(_wechat_to(providers, openid))
        assert wechat_text(stack, openid, msg_id, text).text == "success"
        wait_for(lambda: len(_wechat_to(providers, openid)) >= seen + expect, timeout=60)
        return _wechat_to(providers, openid)[seen:]

    asked = wechat_says(7100000001, f"查询工单 {number.group(0)}")
    assert "手机号码" in asked[0] and number.group(0) not in asked[0]
    told = wechat_says(7100000002, "13900005678")
    assert "尾号 5678" in told[0]
    answers = wechat_says(7100000003, sms_code(providers, phone), expect=2)
    assert answers[0] == "身份验证成功（手机尾号 5678）。"
    assert answers[1].startswith(f"工单 {number.group(0)}（")


def _next_wechat_reply(
    stack: Stack, providers: Providers, openid: str, msg_id: int, text: str
) -> str:
    """Send one message as ``openid``; the replies it brought, joined."""
    before = len(_wechat_to(providers, openid))
    assert wechat_text(stack, openid, msg_id, text).text == "success"
    wait_for(lambda: len(_wechat_to(providers, openid)) > before, timeout=60)
    time.sleep(2)  # a turn's replies come close together
    return "\n".join(_wechat_to(providers, openid)[before:])


def test_a_wechat_conversation_finishes_as_on_the_web(stack: Stack, providers: Providers) -> None:
    """The same conversation behaviour on WeChat: a complaint with its details opens the
    ticket at once, asking for a person joins that ticket (and WeChat, which can reach
    the customer later, is not asked for a call-back number), the status is told to the
    identity that opened it, and 「ok」 keeps the conversation in Chinese."""
    openid = "o-e2e-finish"
    opened = _next_wechat_reply(
        stack, providers, openid, 7100000101, "投诉：网点的取号机坏了一上午也没人修"
    )
    number = re.search(r"AX\d{11}", opened)
    assert number is not None and "已为您登记工单" in opened and "请简要描述" not in opened
    person = _next_wechat_reply(stack, providers, openid, 7100000102, "帮我找人工客服")
    assert number.group(0) in person and "正在处理中" in person, person
    assert "如需回电" not in person
    status = _next_wechat_reply(stack, providers, openid, 7100000103, "我的工单现在怎么样了")
    assert number.group(0) in status and "当前状态" in status, status
    kept = _next_wechat_reply(stack, providers, openid, 7100000104, "ok")
    assert re.search(r"[\u4e00-\u9fff]", kept), kept


def test_a_telegram_complaint_with_details_opens_its_ticket_in_english(
    stack: Stack, providers: Providers
) -> None:
    headers = {SECRET_HEADER: CHANNEL_SECRETS["TELEGRAM_SECRET_TOKEN"]}
    chat = 5151

    def says(update_id: int, text: str) -> str:
        before = len(
            [
                c
                for c in providers.telegram.calls("/sendMessage")
                if c.form()["chat_id"] == str(chat)
            ]
        )
        update = {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private"},
                "text": text,
            },
        }
        response = httpx.post(
            f"{stack.service_url}/webhooks/telegram", json=update, headers=headers
        )
        assert response.status_code == 200

        def mine() -> list[str]:
            calls = providers.telegram.calls("/sendMessage")
            return [c.form()["text"] for c in calls if c.form()["chat_id"] == str(chat)]

        wait_for(lambda: len(mine()) > before, timeout=60)
        time.sleep(2)
        return "\n".join(mine()[before:])

    opened = says(880101, "Complaint: the airport ATM kept 500 yuan and gave me no cash")
    assert "Your ticket" in opened and "Please describe" not in opened, opened
    thanks = says(880102, "ok thanks")
    assert not re.search(r"[\u4e00-\u9fff]", thanks), thanks
