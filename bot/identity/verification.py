"""Identity before disclosure: an SMS one-time code binds a channel identity (a WeChat,
Telegram or web chat conversation) to a customer, known by their mobile number.

Ticket details are told only to a verified identity, and only about the tickets of
the customer it is bound to, from whichever channel they were opened. The flow:

1. The assistant is asked for a ticket and the identity is not verified: ``start``
   opens a check and asks for the mobile number (``Conversation.verification`` =
   "phone").
2. The customer's next message reaches the webhook: ``capture`` seals the number (or,
   later, the code) onto the stored message, whose text keeps it masked.
3. The worker's ``answer`` opens the sealed secret, erases it, and either sends a
   six-digit code by SMS (the code is stored only as a keyed hash; the SMS text only
   sealed in the outbox) or checks the code the customer typed.

An SMS conversation is verified by the channel itself: the carrier vouches for the
number. Sends are limited per conversation and per number, codes expire after five
minutes and allow five tries.
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.access.disclosure import SMS_CHANNEL, is_sms_identity, not_found, visible_ticket
from bot.core.contact_vault import ContactVault
from bot.core.lang import Said, pick
from bot.core.models import Conversation, Customer, IdentityCheck, Message
from bot.core.redact import MOBILE_NUMBER
from bot.pipeline import outgoing
from bot.tickets.summary import summary

T = TypeVar("T")

CODE_TTL = timedelta(minutes=5)
MAX_CODE_TRIES = 5
SENDS_PER_CONVERSATION_PER_HOUR = 3
SENDS_PER_NUMBER_PER_DAY = 5
OPEN_STATES = ("phone", "code")
CODE_MASK = "[验证码/code]"
PHONE, CODE = "phone:", "code:"

_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
_DIGIT = re.compile(r"\d")
_CANCEL = re.compile(
    r"(?i)^\s*(取消|不验证了|算了|不用了|cancel|stop|quit|never ?mind)\s*[。.!！]?\s*$"
)


def mobile_number(text: str) -> str | None:
    """The first mainland mobile number in ``text``, as E.164 (+86 and 11 digits)."""
    found = MOBILE_NUMBER.search(text)
    if found is None:
        return None
    return "+86" + re.sub(r"\D", "", found.group(0))[-11:]


def capture(verification: str, text: str, vault: ContactVault) -> tuple[str, str | None]:
    """At the webhook, while a check waits for the customer: seal the number or the code
    the message carries. Returns the text to store (a code masked; numbers are masked
    by ``redact`` as always) and the sealed secret, or None when there is none."""
    code = _CODE.search(text) if verification == "code" else None
    if code is not None:
        masked = text[: code.start()] + CODE_MASK + text[code.end() :]
        return masked, vault.seal(CODE + code.group(0))
    phone = mobile_number(text)
    if phone is not None:
        return text, vault.seal(PHONE + phone)
    return text, None


def _sends_since(session: Session, since: datetime, **where: object) -> int:
    query = select(func.count(IdentityCheck.id)).where(IdentityCheck.sent_at >= since)
    for column, value in where.items():
        query = query.where(getattr(IdentityCheck, column) == value)
    return int(session.scalar(query) or 0)


def _open_check(session: Session, conversation: Conversation) -> IdentityCheck | None:
    return session.scalar(
        select(IdentityCheck)
        .where(
            IdentityCheck.conversation_id == conversation.id,
            IdentityCheck.state.in_(OPEN_STATES),
        )
        .order_by(IdentityCheck.id.desc())
        .limit(1)
    )


def _close(conversation: Conversation, check: IdentityCheck | None, state: str) -> None:
    conversation.verification = None
    if check is not None:
        check.state, check.code_hash = state, None


ASK_PHONE = Said(
    "为保护您的信息，查询工单前需要验证您的身份。请回复您在本行预留的手机号码，"
    "我们将发送 6 位短信验证码。（回复「取消」可退出）",
    "To protect your information, I need to verify your identity before I tell you about "
    "a ticket. Please reply with the mobile number registered with us and I will text you "
    'a 6-digit code. (Reply "cancel" to stop.)',
)
TOO_MANY_SENDS = Said(
    "验证码发送过于频繁，请稍后再试，或回复「转人工」由客服为您核实。",
    'Too many codes have been sent. Please try again later, or reply "agent" to speak to a person.',
)
NO_SMS = Said(
    "抱歉，短信验证暂不可用，请回复「转人工」由客服为您核实身份。",
    'Sorry, verification by text message is not available right now. Reply "agent" to '
    "have a person verify you.",
)


def start(
    session: Session,
    conversation: Conversation,
    ticket_number: str | None,
    now: datetime,
    *,
    sms_ready: bool,
) -> Said:
    """Open a check for ``conversation`` and say what the customer should do."""
    if not sms_ready:
        return NO_SMS
    if (
        _sends_since(session, now - timedelta(hours=1), conversation_id=conversation.id)
        >= SENDS_PER_CONVERSATION_PER_HOUR
    ):
        return TOO_MANY_SENDS
    previous = _open_check(session, conversation)
    if previous is not None:
        previous.state, previous.code_hash = "cancelled", None
    session.add(
        IdentityCheck(conversation_id=conversation.id, state="phone", ticket_number=ticket_number)
    )
    conversation.verification = "phone"
    return ASK_PHONE


def code_hash(vault: ContactVault, check_id: int, code: str) -> str:
    return vault.pseudonym(f"otp:{check_id}:{code}")


def _find_or_create(session: Session, query: Select[T], make: Callable[[], T]) -> T:
    """The row ``query`` finds, or a new one from ``make`` (another process may insert
    the same row at once: then theirs is taken)."""
    found = session.scalar(query)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            created = make()
            session.add(created)
        return created
    except IntegrityError:
        found = session.scalar(query)
        assert found is not None
        return found


def _sms_conversation(session: Session, pseudonym: str, sealed: str) -> Conversation:
    """The SMS conversation of a number (the one its own texts would use), created if new."""
    return _find_or_create(
        session,
        select(Conversation).where(is_sms_identity(pseudonym)),
        lambda: Conversation(
            public_id=str(uuid.uuid4()),
            channel=SMS_CHANNEL,
            external_user_id=pseudonym,
            recipient_sealed=sealed,
        ),
    )


def _customer(session: Session, check: IdentityCheck, tail: str) -> Customer:
    pseudonym, sealed = check.phone_pseudonym, check.phone_sealed
    assert pseudonym is not None and sealed is not None
    return _find_or_create(
        session,
        select(Customer).where(Customer.phone_pseudonym == pseudonym),
        lambda: Customer(phone_pseudonym=pseudonym, phone_sealed=sealed, phone_tail=tail),
    )


def _code_sms(language: str, code: str) -> str:
    minutes = int(CODE_TTL.total_seconds() // 60)
    return pick(
        language,
        f"【安心客服】您的验证码是 {code}，{minutes} 分钟内有效。请勿告诉任何人，"
        "本行工作人员不会向您索要验证码。",
        f"[Anxin] Your code is {code}, valid for {minutes} minutes. Never share it: "
        "bank staff will never ask you for it.",
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    replies: tuple[str, ...]
    sent_message_id: int | None = None  # the code's SMS, queued for delivery


class Identity:
    """The worker's side of a check: send the code, then check it."""

    def __init__(self, vault: ContactVault, verified_for: timedelta, tz: ZoneInfo) -> None:
        self.vault = vault
        self.verified_for = verified_for
        self.tz = tz

    def answer(self, session: Session, inbound: Message, now: datetime) -> Outcome | None:
        """Handle ``inbound`` as the customer's step in an open check; None when it is not
        one (the check is dropped and the message goes on to the assistant)."""
        conversation = session.get(Conversation, inbound.conversation_id)
        assert conversation is not None
        secret = self.vault.open(inbound.sealed_secret) if inbound.sealed_secret else None
        inbound.sealed_secret = None  # read once, then gone (even if the check has ended)
        if conversation.verification is None:
            return None
        language = conversation.language
        check = _open_check(session, conversation)
        if check is None:
            conversation.verification = None
            return None
        if secret is not None and secret.startswith(PHONE):
            return self._send_code(session, conversation, check, secret[len(PHONE) :], now)
        if secret is not None and secret.startswith(CODE) and check.state == "code":
            return self._try_code(session, conversation, check, secret[len(CODE) :], now)
        if _CANCEL.match(inbound.text):
            _close(conversation, check, "cancelled")
            return Outcome((pick(language, "已取消身份验证。", "Verification cancelled."),))
        if _DIGIT.search(inbound.text) is None:
            _close(conversation, check, "cancelled")  # a new question: let it through
            return None
        if check.state == "phone":
            again = Said(
                "这似乎不是有效的手机号码，请回复 11 位手机号码，或回复「取消」。",
                "That does not look like a mobile number. Please reply with the 11-digit "
                'number, or "cancel".',
            )
        else:
            again = Said(
                "请回复短信中的 6 位验证码，或回复「取消」。",
                'Please reply with the 6-digit code from the text message, or "cancel".',
            )
        return Outcome((again.to(language),))

    def _send_code(
        self,
        session: Session,
        conversation: Conversation,
        check: IdentityCheck,
        phone: str,
        now: datetime,
    ) -> Outcome:
        language = conversation.language
        pseudonym = self.vault.pseudonym(phone)
        if (
            _sends_since(session, now - timedelta(hours=1), conversation_id=conversation.id)
            >= SENDS_PER_CONVERSATION_PER_HOUR
            or _sends_since(session, now - timedelta(days=1), phone_pseudonym=pseudonym)
            >= SENDS_PER_NUMBER_PER_DAY
        ):
            _close(conversation, check, "failed")
            return Outcome((TOO_MANY_SENDS.to(language),))
        if check.state == "code":  # a new number instead of the code: start over
            check.state, check.code_hash = "cancelled", None
            check = IdentityCheck(
                conversation_id=conversation.id, state="phone", ticket_number=check.ticket_number
            )
            session.add(check)
        sealed = self.vault.seal(phone)
        sms = _sms_conversation(session, pseudonym, sealed)
        if sms.opted_out_at is not None:
            _close(conversation, check, "failed")
            return Outcome(
                (
                    pick(
                        language,
                        "该号码已退订本行短信，无法发送验证码。请回复「转人工」由客服为您核实。",
                        "That number has opted out of our text messages, so no code can be "
                        'sent. Reply "agent" to have a person verify you.',
                    ),
                )
            )
        session.flush()  # the check's id goes into the code's hash
        code = f"{secrets.randbelow(10**6):06d}"
        check.state, check.attempts = "code", 0
        check.phone_pseudonym, check.phone_sealed = pseudonym, sealed
        check.code_hash = code_hash(self.vault, check.id, code)
        check.sent_at, check.expires_at = now, now + CODE_TTL
        conversation.verification = "code"
        sent_id = outgoing.write(
            session,
            conversation_id=sms.id,
            channel=SMS_CHANNEL,
            provider_msg_id=f"otp-{check.id}",
            sender="system",
            text="[验证码短信/one-time code SMS]",
            language=language,
            sealed_text=self.vault.seal(_code_sms(language, code)),
        )
        minutes = int(CODE_TTL.total_seconds() // 60)
        tail = phone[-4:]
        said = Said(
            f"验证码已发送至尾号 {tail} 的手机，{minutes} 分钟内有效，请直接回复 6 位验证码。",
            f"I have texted a code to the number ending {tail}. It is valid for {minutes} "
            "minutes: reply with the 6 digits.",
        )
        return Outcome((said.to(language),), sent_message_id=sent_id)

    def _try_code(
        self,
        session: Session,
        conversation: Conversation,
        check: IdentityCheck,
        code: str,
        now: datetime,
    ) -> Outcome:
        language = conversation.language
        if check.expires_at is None or check.code_hash is None or now >= check.expires_at:
            _close(conversation, check, "expired")
            return Outcome(
                (
                    pick(
                        language,
                        "验证码已过期，请重新查询工单以获取新的验证码。",
                        "That code has expired. Ask about your ticket again for a new one.",
                    ),
                )
            )
        if not hmac.compare_digest(check.code_hash, code_hash(self.vault, check.id, code)):
            check.attempts += 1
            left = MAX_CODE_TRIES - check.attempts
            if left <= 0:
                _close(conversation, check, "failed")
                return Outcome(
                    (
                        pick(
                            language,
                            "验证码错误次数过多，本次验证失败。如需帮助请回复「转人工」。",
                            "Too many wrong codes: this verification has failed. Reply "
                            '"agent" if you need help.',
                        ),
                    )
                )
            said = Said(
                f"验证码不正确，还可以再试 {left} 次。",
                f"That code is not right. You have {left} more tries.",
            )
            return Outcome((said.to(language),))
        phone = self.vault.open(check.phone_sealed or "")
        customer = _customer(session, check, phone[-4:])
        conversation.customer_id = customer.id
        conversation.verified_until = now + self.verified_for
        _close(conversation, check, "verified")
        sms = session.scalar(select(Conversation).where(is_sms_identity(customer.phone_pseudonym)))
        if sms is not None and sms.customer_id is None:
            sms.customer_id = customer.id
        replies = [
            Said(
                f"身份验证成功（手机尾号 {customer.phone_tail}）。",
                f"You are verified (mobile ending {customer.phone_tail}).",
            ).to(language)
        ]
        if check.ticket_number:
            replies.append(self._ticket_line(session, conversation, check.ticket_number, language))
        return Outcome(tuple(replies))

    def _ticket_line(
        self, session: Session, conversation: Conversation, number: str, language: str
    ) -> str:
        ticket = visible_ticket(session, number, conversation)
        if ticket is None:
            return not_found(number).to(language)
        return summary(
            number,
            ticket.category,
            ticket.priority,
            ticket.status,
            ticket.resolution_due_at,
            self.tz,
        ).to(language)
