"""Identity before disclosure: a Telegram customer proves their number with an SMS code
(sent through a fake Twilio API), and only then hears about the ticket they opened by
text message; where no SMS can be sent, the ticket's query code is the other way."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.core.config import Settings
from bot.core.contact_vault import ContactVault
from bot.core.models import (
    Conversation,
    Customer,
    IdentityCheck,
    Message,
    OutboxItem,
    Ticket,
    TicketEvent,
    utcnow,
)
from bot.identity.verification import (
    ASK_NUMBER_FOR_CODE,
    ASK_PHONE,
    ASK_QUERY_CODE,
    CALLBACK_AGAIN,
    NO_CALLBACK,
    NO_WAY,
    SENDS_PER_CONVERSATION_PER_HOUR,
    TOO_MANY_SENDS,
    Identity,
    ask_callback,
    capture,
    mobile_number,
    start,
)
from bot.pipeline.inbox import accept, get_or_create_conversation
from bot.pipeline.messages import InboundMessage
from bot.pipeline.outbox import Delivery
from bot.pipeline.rasa_client import RasaClient
from bot.pipeline.turn import process
from bot.tickets import followup
from bot.tickets.service import NotVerified, get_ticket_for_customer, open_ticket
from channels.sms import TwilioSender
from fakes.providers import FakeTwilio
from tests.conftest import DATA_KEY
from tests.helpers import verify_identity

VAULT = ContactVault(DATA_KEY)
PHONE = "+8613800001111"
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def rasa(fake_rasa):
    return RasaClient(fake_rasa.url, "", 5)


def ticket_for(db, conversation: Conversation, category: str, vault=None) -> str:
    """Open a ticket for ``conversation``; its number."""
    ticket, _ = open_ticket(
        db,
        Settings(),
        conversation_public_id=conversation.public_id,
        category=category,
        subcategory=None,
        description="",
        idempotency_key=f"identity-{conversation.public_id}-{category}",
        vault=vault,
    )
    return ticket.number


class Customer5150:
    """A Telegram identity, the complaint its customer opened by text message earlier
    (the identity that opens a ticket is told about it without a check), and the steps
    it can take."""

    def __init__(self, db, rasa, twilio: FakeTwilio) -> None:
        self.db, self.rasa, self.twilio = db, rasa, twilio
        VAULT.engine = db.engine  # numbers are sealed with each person's key, kept there
        self.conversation = get_or_create_conversation(db, "telegram", "5150")
        self.sms = get_or_create_conversation(db, "sms", VAULT.pseudonym(PHONE))
        with db.session() as session:  # as the SMS channel's inbox stores its number
            session.get(Conversation, self.sms.id).recipient_sealed = VAULT.seal(PHONE)
        self.number = ticket_for(db, self.sms, "complaint", VAULT)
        self.identity = Identity(VAULT, timedelta(hours=24), TZ)
        self.sent = 0

    def start(self, sms_ready: bool = True) -> str:
        with self.db.session() as session:
            conversation = session.get(Conversation, self.conversation.id)
            return start(session, conversation, self.number, utcnow(), sms_ready=sms_ready).zh

    async def says(self, text: str) -> list[str]:
        self.sent += 1
        inbound = InboundMessage("telegram", f"tg-{self.sent}", "5150", text, datetime.now(UTC))
        message_id = accept(self.db, inbound, VAULT).message_id
        stored = await process(self.db, self.rasa, message_id, Settings(), self.identity)
        with self.db.session() as session:
            return [
                m.text
                for m in session.scalars(
                    select(Message).where(Message.id.in_(stored), Message.channel == "telegram")
                )
            ]

    async def deliver_sms(self) -> list[str]:
        """Send the queued code SMS through the fake Twilio; the bodies it received."""
        sender = TwilioSender("AC" + "1" * 32, "auth", "+15550001111", self.twilio.url, 670)
        delivery = Delivery(self.db, {"sms": sender}, VAULT)
        with self.db.session() as session:
            items = session.scalars(
                select(OutboxItem.id)
                .join(Message, OutboxItem.message_id == Message.id)
                .where(Message.channel == "sms", OutboxItem.status == "pending")
            ).all()
        for item in items:
            assert await delivery.deliver(item)
        return [call.form()["Body"] for call in self.twilio.calls("/Messages.json")]

    def tells_ticket(self) -> bool:
        try:
            return (
                get_ticket_for_customer(self.db, self.number, self.conversation.public_id)
                is not None
            )
        except NotVerified:
            return False


@pytest.fixture
def customer(db, rasa, fake_twilio) -> Customer5150:
    return Customer5150(db, rasa, fake_twilio)


def _code(body: str) -> str:
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None, body
    return found.group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_numbers_and_codes_are_sealed_at_the_webhook() -> None:
    assert mobile_number("我的手机号是 138 0000 1111 谢谢") == PHONE
    assert mobile_number("+86 13800001111") == PHONE
    assert mobile_number("12345") is None
    text, sealed = capture("phone", "手机 13800001111", VAULT)
    assert sealed is not None and VAULT.open(sealed) == "phone:" + PHONE
    text, sealed = capture("code", "验证码 042917", VAULT)
    assert text == "验证码 [验证码/code]" and sealed is not None
    assert VAULT.open(sealed) == "code:042917"
    assert capture("phone", "042917", VAULT) == ("042917", None)  # not a phone number
    assert capture("code", "你好", VAULT) == ("你好", None)


async def test_a_code_by_sms_binds_the_identity_and_tells_the_ticket(
    db, customer, fake_rasa
) -> None:
    assert not customer.tells_ticket()
    assert customer.start() == ASK_PHONE.zh
    sent = await customer.says("我的手机号是 138 0000 1111")
    assert sent == ["验证码已发送至尾号 1111 的手机，5 分钟内有效，请直接回复 6 位验证码。"]
    bodies = await customer.deliver_sms()
    assert len(bodies) == 1 and "验证码" in bodies[0]
    assert fake_twilio_recipients(customer.twilio) == [PHONE]
    code = _code(bodies[0])

    assert await customer.says(_wrong(code)) == ["验证码不正确，还可以再试 4 次。"]
    assert not customer.tells_ticket()
    replies = await customer.says(f"验证码是{code}")
    assert replies[0] == "身份验证成功（手机尾号 1111）。"
    assert replies[1].startswith(f"工单 {customer.number}（投诉，优先级 ")
    assert customer.tells_ticket()
    assert fake_rasa.calls == []  # every step was the service's, none the assistant's

    with db.session() as session:
        texts = [m.text for m in session.scalars(select(Message))]
        assert not any(code in t for t in texts)  # the code is masked where it was typed
        assert not any("13800001111" in t for t in texts)
        assert session.scalars(select(Message.sealed_secret)).all() == [None] * len(texts)
        assert session.scalars(select(OutboxItem.sealed_text)).all() == [None] * len(
            session.scalars(select(OutboxItem.id)).all()
        )  # the SMS text is gone once sent
        check = session.scalars(select(IdentityCheck)).one()
        assert check.state == "verified" and check.code_hash is None
        customer_row = session.scalars(select(Customer)).one()
        assert customer_row.phone_tail == "1111" and "13800001111" not in customer_row.phone_sealed
        assert VAULT.open(customer_row.phone_sealed) == PHONE


def fake_twilio_recipients(twilio: FakeTwilio) -> list[str]:
    return [call.form()["To"] for call in twilio.calls("/Messages.json")]


async def test_one_customer_sees_tickets_opened_on_their_other_channels(db, customer) -> None:
    # The same person texted us earlier; that SMS conversation opened a ticket.
    sms = customer.sms
    sms_ticket = ticket_for(db, sms, "inquiry")
    telegram_ticket = ticket_for(db, customer.conversation, "suggestion")
    stranger = get_or_create_conversation(db, "sms", VAULT.pseudonym("+8613999999999"))
    customer.start()
    await customer.says("13800001111")
    code = _code((await customer.deliver_sms())[0])
    await customer.says(code)
    telegram = customer.conversation.public_id
    assert get_ticket_for_customer(db, sms_ticket, telegram) is not None
    # and the SMS identity sees the Telegram one's ticket; another number sees neither
    assert get_ticket_for_customer(db, telegram_ticket, sms.public_id) is not None
    assert get_ticket_for_customer(db, customer.number, stranger.public_id) is None
    assert get_ticket_for_customer(db, telegram_ticket, stranger.public_id) is None


async def test_five_wrong_codes_fail_the_check(customer) -> None:
    customer.start()
    await customer.says("13800001111")
    code = _code((await customer.deliver_sms())[0])
    for left in (4, 3, 2, 1):
        assert await customer.says(_wrong(code)) == [f"验证码不正确，还可以再试 {left} 次。"]
    assert (await customer.says(_wrong(code)))[0].startswith("错误次数过多")
    await customer.says(code)  # too late: the check is closed, the code goes to the assistant
    assert not customer.tells_ticket()


async def test_an_expired_code_is_refused(db, customer) -> None:
    customer.start()
    await customer.says("13800001111")
    code = _code((await customer.deliver_sms())[0])
    with db.session() as session:
        session.execute(update(IdentityCheck).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await customer.says(code))[0].startswith("验证码已过期")
    assert not customer.tells_ticket()


async def test_texts_are_limited_per_conversation(customer) -> None:
    for _ in range(SENDS_PER_CONVERSATION_PER_HOUR):
        customer.start()
        assert (await customer.says("13800001111"))[0].startswith("验证码已发送")
    assert customer.start() == TOO_MANY_SENDS.zh
    assert len(await customer.deliver_sms()) == SENDS_PER_CONVERSATION_PER_HOUR


async def test_cancel_or_a_new_question_ends_the_check(customer, fake_rasa) -> None:
    customer.start()
    assert await customer.says("取消") == ["已取消身份验证。"]
    customer.start()
    assert await customer.says("1380000") == [
        "这似乎不是有效的手机号码，请回复 11 位手机号码，或回复「取消」。"
    ]
    assert await customer.says("信用卡怎么激活") == ["echo: 信用卡怎么激活"]  # to the assistant
    assert len(fake_rasa.calls) == 1 and not customer.tells_ticket()


async def test_no_code_to_a_number_that_opted_out(db, customer) -> None:
    sms = get_or_create_conversation(db, "sms", VAULT.pseudonym(PHONE))
    with db.session() as session:
        session.get(Conversation, sms.id).opted_out_at = utcnow()
    customer.start()
    assert (await customer.says("13800001111"))[0].startswith("该号码已退订本行短信")
    assert await customer.deliver_sms() == []


def test_without_sms_or_vault_the_customer_is_told_where_to_ask(customer) -> None:
    assert customer.start(sms_ready=False) == NO_WAY.zh
    assert "同一对话" in NO_WAY.zh and "转人工" in NO_WAY.zh


async def test_without_sms_the_query_code_tells_the_ticket(db, customer, fake_rasa) -> None:
    """The code was told (sealed) when the SMS conversation opened the ticket; from
    Telegram, with no SMS gateway, the right code tells that ticket, five wrong ones end
    the check, and the code is masked wherever it was typed."""
    with db.session() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == customer.number))
        code = VAULT.open(ticket.query_code_sealed)
        assert ticket.query_code_hash and code not in ticket.query_code_hash
    assert re.fullmatch(r"[A-Z2-9]{8}", code)
    with db.session() as session:
        conversation = session.get(Conversation, customer.conversation.id)
        said = start(
            session, conversation, customer.number, utcnow(), sms_ready=False, query_ready=True
        )
    assert said == ASK_QUERY_CODE
    wrong = ("B" if code[0] != "B" else "C") + code[1:]
    assert await customer.says(wrong.lower()) == ["工单号或查询码不正确，还可以再试 4 次。"]
    replies = await customer.says(f"查询码是 {code.lower()}")
    assert replies[0].startswith(f"工单 {customer.number}（投诉，优先级 ")
    assert not customer.tells_ticket()  # told once; nobody was bound to the customer
    assert fake_rasa.calls == []
    with db.session() as session:
        assert not any(code in m.text.upper() for m in session.scalars(select(Message)))
        assert session.scalar(select(IdentityCheck.state).order_by(IdentityCheck.id.desc())) == (
            "verified"
        )


async def test_five_wrong_query_codes_end_the_check(db, customer) -> None:
    with db.session() as session:
        conversation = session.get(Conversation, customer.conversation.id)
        start(session, conversation, "AX00000000000", utcnow(), sms_ready=False, query_ready=True)
    for left in (4, 3, 2, 1):  # a ticket that does not exist is asked for all the same
        assert await customer.says("ABCD2345") == [f"工单号或查询码不正确，还可以再试 {left} 次。"]
    assert (await customer.says("ABCD2345"))[0].startswith("错误次数过多")


def test_a_ticket_number_alone_is_asked_for_first(customer) -> None:
    with customer.db.session() as session:
        conversation = session.get(Conversation, customer.conversation.id)
        said = start(session, conversation, None, utcnow(), sms_ready=False, query_ready=True)
    assert said == ASK_NUMBER_FOR_CODE


def test_what_staff_see_live_has_the_code_masked(db, customer) -> None:
    with db.session() as session:
        session.get(Conversation, customer.conversation.id).verification = "code"
    inbound = InboundMessage("telegram", "tg-live", "5150", "验证码 042917", datetime.now(UTC))
    # the text pushed live to an agent's console or the customer's other tabs
    assert accept(db, inbound, VAULT).text == "验证码 [验证码/code]"


def test_a_followup_question_is_answered_from_the_customers_other_channel(db) -> None:
    """The 「solved?」 question went out by SMS (WeChat's window was closed): the answer
    texted back counts for the WeChat conversation's ticket."""
    wechat = get_or_create_conversation(db, "wechat", "o-followup")
    number = ticket_for(db, wechat, "complaint")
    verify_identity(db, wechat.public_id, PHONE)
    with db.session() as session:
        row = session.scalar(select(Ticket).where(Ticket.number == number))
        followup.on_status_change(session, row, "open", "resolved")
    sms = get_or_create_conversation(db, "sms", VAULT.pseudonym(PHONE))
    stranger = get_or_create_conversation(db, "sms", VAULT.pseudonym("+8613999999999"))
    with db.session() as session:
        assert followup.answer(session, stranger.id, "1") is None
        handled = followup.answer(session, sms.id, "1")
    assert handled is not None and handled.move_to == "closed"
    assert handled.ticket_number == number


async def test_a_number_sealed_after_the_check_ended_is_erased_all_the_same(db, customer) -> None:
    customer.start()
    with db.session() as session:  # 「取消」 and the number arrive before either is answered
        session.get(Conversation, customer.conversation.id).verification = "phone"
    first = InboundMessage("telegram", "tg-a", "5150", "取消", datetime.now(UTC))
    second = InboundMessage("telegram", "tg-b", "5150", "13800001111", datetime.now(UTC))
    ids = [accept(db, m, VAULT).message_id for m in (first, second)]
    for message_id in ids:
        await process(db, customer.rasa, message_id, Settings(), customer.identity)
    with db.session() as session:
        assert session.scalars(select(Message.sealed_secret)).all().count(None) == len(
            session.scalars(select(Message.id)).all()
        )


class Visitor:
    """An anonymous web-chat visitor whose ticket nobody could take: the desk waits for
    a call-back number (as the handoff endpoint arranges)."""

    def __init__(self, db, rasa, name: str) -> None:
        self.db, self.rasa, self.name = db, rasa, name
        VAULT.engine = db.engine
        self.conversation = get_or_create_conversation(db, "webchat", name)
        self.number = ticket_for(db, self.conversation, "inquiry")
        with db.session() as session:
            ask_callback(session, session.get(Conversation, self.conversation.id), self.number)
        self.identity = Identity(VAULT, timedelta(hours=24), TZ)
        self.sent = 0

    async def says(self, text: str) -> list[str]:
        self.sent += 1
        inbound = InboundMessage(
            "webchat", f"{self.name}-{self.sent}", self.name, text, datetime.now(UTC)
        )
        message_id = accept(self.db, inbound, VAULT).message_id
        stored = await process(self.db, self.rasa, message_id, Settings(), self.identity)
        with self.db.session() as session:
            return [m.text for m in session.scalars(select(Message).where(Message.id.in_(stored)))]

    def ticket(self) -> Ticket:
        with self.db.session() as session:
            ticket = session.scalar(select(Ticket).where(Ticket.number == self.number))
            session.expunge(ticket)
            return ticket


async def test_a_call_back_number_becomes_the_tickets_call_back(db, rasa, fake_rasa) -> None:
    visitor = Visitor(db, rasa, "visitor-callback01")
    assert await visitor.says("我的号码是 12345") == [CALLBACK_AGAIN.zh]  # not a mobile number
    replies = await visitor.says("13800001111")
    assert replies[0].startswith("好的，已记录尾号 1111 的手机号码，客服人员将在 ")
    assert f"（工单 {visitor.number}）" in replies[0]
    ticket = visitor.ticket()
    assert VAULT.open(ticket.callback_phone_sealed) == PHONE
    assert ticket.callback_round == 1 and ticket.callback_due_at is not None
    assert fake_rasa.calls == []
    with db.session() as session:
        assert not any("13800001111" in m.text for m in session.scalars(select(Message)))
        consent = session.scalar(select(TicketEvent).where(TicketEvent.action == "callback"))
        assert consent.actor == "customer" and "consent" in consent.body
    # the check is over: the next message is a question for the assistant
    assert await visitor.says("信用卡怎么激活") == ["echo: 信用卡怎么激活"]


async def test_no_thanks_is_respected_and_a_question_goes_on(db, rasa, fake_rasa) -> None:
    visitor = Visitor(db, rasa, "visitor-callback02")
    assert await visitor.says("不用了") == [NO_CALLBACK.zh]
    assert visitor.ticket().callback_phone_sealed is None
    other = Visitor(db, rasa, "visitor-callback03")
    assert await other.says("年费怎么减免") == ["echo: 年费怎么减免"]
    assert other.ticket().callback_phone_sealed is None
