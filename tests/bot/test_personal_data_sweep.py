"""1,000 customer messages laced with synthetic personal data, through every channel
(web chat, WeChat Official Account, WeCom, SMS, Telegram), then a search of every
database table, every Redis key of the service and everything it logged: no card
number, ID number, mobile or account number, CVV, PIN, password, one-time code, card
expiry, e-mail address or passport number may be found in clear."""

from __future__ import annotations

import random
import time

import pytest
import redis
from sqlalchemy import func, inspect, select, text

from bot.core.db import Database
from bot.core.models import Message
from channels.telegram import SECRET_HEADER
from fakes.processes import wait_for
from fakes.providers import FakeTelegram, FakeTwilio, FakeWeChat, FakeWeCom
from tests.channels import test_sms as sms_test
from tests.channels import test_telegram as telegram_test
from tests.channels import test_wechat as wechat_test
from tests.channels import test_wecom as wecom_test
from tests.helpers import chat_post

MESSAGES = 1000
CHANNELS = ("webchat", "wechat", "wecom", "sms", "telegram")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def card(rnd: random.Random) -> str:
    body = "6222" + "".join(rnd.choice("0123456789") for _ in range(11))
    for check in "0123456789":
        digits = body + check
        total = sum(
            (d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 else d
            for i, d in enumerate(int(c) for c in reversed(digits))
        )
        if total % 10 == 0:
            return digits
    raise AssertionError("no Luhn digit")


def resident_id(rnd: random.Random) -> str:
    body = "110101" + f"{rnd.randint(1950, 2005)}{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}"
    body += "".join(rnd.choice("0123456789") for _ in range(3))
    total = sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def mobile(rnd: random.Random) -> str:
    return "1" + rnd.choice("3456789") + "".join(rnd.choice("0123456789") for _ in range(9))


def account(rnd: random.Random) -> str:
    return "".join(rnd.choice("123456789") for _ in range(19))


TEMPLATES = [
    "我的卡号是{card}，身份证{id}，手机{mobile}，请帮我查一下",
    "卡号 {card_spaced} 被冻结了，安全码是{cvv}",
    "my account {account} was charged twice, card {card}, CVV {cvv}",
    "取款密码 {pin} 忘了，身份证号{id}，电话 +86 {mobile}",
    "转账到账户{account}失败，my PIN: {pin}，联系我 {mobile}",
    "登录密码是 {password}，验证码 {code}，邮箱 {email}",
    "my password is {password}, the OTP is {code}, write to {email}",
    "卡号 {card} 有效期 {expiry}，CVN2 {cvv}，护照号 {passport}",
    "card {card_spaced} exp {expiry}, passport no. {passport}, 账号 {short_account}",
]


def laced(rnd: random.Random) -> tuple[str, list[str]]:
    """A message and the secrets in it, in the forms that must not appear anywhere."""
    values = {
        "card": card(rnd),
        "id": resident_id(rnd),
        "mobile": mobile(rnd),
        "account": account(rnd),
        "cvv": f"{rnd.randint(100, 999)}",
        "pin": f"{rnd.randint(100000, 999999)}",
        "password": f"Pw@{rnd.randint(10_000, 99_999)}x",
        "code": f"{rnd.randint(100000, 999999)}",
        "email": f"user.{rnd.randint(10_000, 99_999)}@mail-example.cn",
        "passport": f"E{rnd.randint(10_000_000, 99_999_999)}",
        "expiry": f"{rnd.randint(1, 12):02d}/{rnd.randint(27, 35)}",
        "short_account": f"{rnd.randint(10_000_000, 99_999_999)}",
    }
    spaced = " ".join(values["card"][i : i + 4] for i in range(0, 16, 4))
    message = rnd.choice(TEMPLATES).format(card_spaced=spaced, **values)
    secrets = [values["card"], spaced, values["id"], values["mobile"], values["account"]]
    secrets += [f"安全码是{values['cvv']}", f"CVV {values['cvv']}", f"密码 {values['pin']}"]
    secrets += [f"PIN: {values['pin']}", values["password"], values["email"], values["passport"]]
    secrets += [f"验证码 {values['code']}", f"OTP is {values['code']}", values["expiry"]]
    secrets += [f"账号 {values['short_account']}"]
    return message, [s for s in secrets if s.split()[-1] in message or s in message]


@pytest.fixture
def providers():
    fakes = (FakeWeChat(), FakeWeCom(), FakeTwilio(), FakeTelegram())
    yield fakes
    for fake in fakes:
        fake.stop()


def database_text(db: Database) -> str:
    """Every value of every row of every table, as text."""
    chunks = []
    with db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


def redis_text(url: str, prefix: str) -> str:
    client = redis.Redis.from_url(url, decode_responses=True)
    chunks = []
    for key in client.scan_iter(f"{prefix}*"):
        kind = client.type(key)
        chunks.append(key)
        if kind == "string":
            chunks.append(str(client.get(key)))
        elif kind == "hash":
            chunks.append(str(client.hgetall(key)))
        elif kind == "list":
            chunks.append(str(client.lrange(key, 0, -1)))
        elif kind in ("set", "zset"):
            chunks.append(
                str(client.zrange(key, 0, -1) if kind == "zset" else client.smembers(key))
            )
        elif kind == "stream":
            chunks.append(str(client.xrange(key)))
    client.close()
    return "\n".join(chunks)


def test_no_personal_data_in_clear_anywhere(
    channel_client, settings, fake_rasa, providers, capfd
) -> None:
    wechat, wecom, twilio, telegram = providers
    fake_rasa.reply = lambda said: [{"text": f"您说：{said}"}]  # an assistant that echoes
    client = channel_client(
        log_level="DEBUG",
        sender_per_min=10_000,  # a few senders write all 1,000: every one must reach Rasa
        **wechat_test._config(wechat),
        wecom_corp_id=wecom_test.CORP,
        wecom_secret=wecom_test.SECRET,
        wecom_token=wecom_test.TOKEN,
        wecom_aes_key=wecom_test.AES_KEY,
        wecom_api_base_url=wecom.url,
        twilio_account_sid=sms_test.SID,
        twilio_auth_token=sms_test.AUTH,
        twilio_from="+15550001111",
        twilio_api_base_url=twilio.url,
        sms_public_url=sms_test.PUBLIC,
        telegram_bot_token=telegram_test.TOKEN,
        telegram_secret_token=telegram_test.SECRET,
        telegram_api_base_url=telegram.url,
    )
    rnd = random.Random(20261128)
    secrets: list[str] = []
    wecom.page_size = 100
    for n in range(MESSAGES):
        message, found = laced(rnd)
        secrets += found
        channel = CHANNELS[n % len(CHANNELS)]
        if channel == "webchat":
            visitor = f"visitor-{n % 40:012d}"
            response = chat_post(client, visitor, message)
        elif channel == "wechat":
            xml = wechat_test.text_xml(900_000 + n, message, openid=f"o-sweep-{n % 40}")
            response = client.post(f"/webhooks/wechat?{wechat_test.signed_query()}", content=xml)
        elif channel == "wecom":
            wecom.pending.append(wecom_test.customer_msg(f"sweep-{n}", message))
            query, body = wecom_test.callback()
            response = client.post(f"/webhooks/wecom?{query}", content=body)
        elif channel == "sms":
            phone = "+86" + mobile(rnd)
            secrets.append(phone[3:])
            form = sms_test.sms(f"SM{n:032d}", message, phone=phone)
            response = client.post("/webhooks/sms", data=form, headers=sms_test.signed(form))
        else:
            update = telegram_test.update(700_000 + n, message, chat_id=50_000 + n % 40)
            response = client.post(
                "/webhooks/telegram",
                json=update,
                headers={SECRET_HEADER: telegram_test.SECRET},
            )
        assert response.status_code in (200, 202), (channel, response.status_code, response.text)

    db = Database(settings.database_url)
    try:

        def all_done() -> bool:
            with db.session() as session:
                stored = session.scalar(
                    select(func.count(Message.id)).where(Message.direction == "in")
                )
                waiting = session.scalar(
                    select(func.count(Message.id)).where(
                        Message.direction == "in", Message.status != "done"
                    )
                )
            return stored == MESSAGES and waiting == 0

        wait_for(all_done, timeout=600)
        time.sleep(1)  # deliveries in flight log their outcome
        stored = database_text(db)
    finally:
        db.dispose()
    cached = redis_text(settings.redis_url, settings.redis_prefix)
    logged = capfd.readouterr().err
    assert len(fake_rasa.calls) == MESSAGES
    assert "[卡号/card ****" in stored and "[已隐藏/hidden]" in stored  # the masks are there
    for place, content in (("database", stored), ("redis", cached), ("logs", logged)):
        leaked = sorted({s for s in secrets if s in content})
        assert not leaked, f"{len(leaked)} personal values in clear in the {place}: {leaked[:5]}"
    sent_to_rasa = " ".join(call["message"] for call in fake_rasa.calls)
    assert not [s for s in secrets if s in sent_to_rasa]
