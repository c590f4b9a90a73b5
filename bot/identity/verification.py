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

A web-chat visitor nobody can reach once the page is closed is asked for a call-back
number when no agent is on shift (``ask_callback``): the check then waits for it
("callback"), and the number, sealed as above, becomes the ticket's call-back.

Where no SMS can be sent, the ticket's query code (``bot.tickets.query_code``, told when
the ticket was opened) is the other way: the check waits for it ("query"), and the right
code tells that one ticket's status, binding nobody. Five tries as well.
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
from bot.core.models import Conversation, Customer, IdentityCheck, Message, Ticket
from bot.core.redact import MOBILE_NUMBER
from bot.pipeline import outgoing
from bot.tickets import lifecycle, query_code
from bot.tickets.summary import due_display, summary

T = TypeVar("T")

CODE_TTL = timedelta(minutes=5)
MAX_CODE_TRIES = 5
SENDS_PER_CONVERSATION_PER_HOUR = 3
SENDS_PER_NUMBER_PER_DAY = 5
OPEN_STATES = ("phone", "code", "query", "callback")
CODE_MASK = "[验证码/code]"
PHONE, CODE, QUERY = "phone:", "code:", "query:"

_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
_DIGIT = re.compile(r"\d")
# a number (five digits or more) and a few words around it: 「12345」, "138-0000",
# 「我的号码是 12345」; not 「查询工单 AX…」 (letters) nor 「卡丢了3天了」
_NUMBER_ONLY = re.compile(r"^[^A-Za-z\d]{0,8}\d[\d\s+\-()（）]{4,}[^A-Za-z\d]{0,4}$")
_DECLINE = re.compile(  # said at the start of a short answer
    r"(?i)^\s*(不用了?|不需要|不要|算了|不用回电|no(?: thanks| thank you)?|nope|not needed|"
    r"cancel|no need)(?![A-Za-z])"
)
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
    if verification == "query":
        typed = query_code.IN_TEXT.search(text)
        if typed is not None:
            masked = text[: typed.start()] + query_code.MASK + text[typed.end() :]
            return masked, vault.seal(QUERY + typed.group(0).upper())
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
ASK_QUERY_CODE = Said(
    "为保护您的信息，请回复该工单的 8 位查询码（登记工单时与工单号一起告知您），"
    "核对无误后我会告诉您处理进度。（回复「取消」可退出）",
    "To protect your information, please reply with the ticket's 8-character query code "
    "(given with the ticket number when it was opened) and I will tell you where it stands. "
    '(Reply "cancel" to stop.)',
)
ASK_NUMBER_FOR_CODE = Said(
    "请发送「查询工单」加工单号，例如「查询工单 AX26112800001」，再按提示回复查询码。"
    "在登记工单的同一对话中查询则无需查询码。",
    'Please send "check ticket" with the ticket number, for example "check ticket '
    'AX26112800001", then the query code when I ask for it. In the chat where the ticket '
    "was opened, no code is needed.",
)


NO_WAY = Said(
    "抱歉，短信验证暂不可用。您可以在登记该工单的同一对话中查询进度，或回复「转人工」由客服为您核实身份。",
    "Sorry, verification by text message is not available right now. You can ask in the "
    'chat where the ticket was opened, or reply "agent" to have a person verify you.',
)
NO_CALLBACK = Said(
    "好的，不为您回电。您可以随时回到这里发送「查询工单」加工单号了解进度。",
    'All right, no call-back. You can come back any time and send "check ticket" with the '
    "ticket number to see where it stands.",
)
CALLBACK_AGAIN = Said(
    "这似乎不是有效的手机号码，请回复 11 位手机号码；不需要回电请回复「不用了」。",
    "That does not look like a mobile number. Please reply with the 11-digit number, or "
    '"no thanks" if you do not want a call.',
)
CALLBACK_LEAD = timedelta(minutes=30)  # the soonest a call-back is promised for
TOO_MANY_TRIES = Said(
    "错误次数过多，本次验证失败。如需帮助请回复「转人工」。",
    'Too many wrong tries: this verification has failed. Reply "agent" if you need help.',
)


def start(
    session: Session,
    conversation: Conversation,
    ticket_number: str | None,
    now: datetime,
    *,
    sms_ready: bool,
    query_ready: bool = False,
) -> Said:
    """Open a check for ``conversation`` and say what the customer should do: the SMS
    one-time code, or, where none can be sent, the ticket's query code."""
    if not sms_ready:
        if not query_ready:
            return NO_WAY
        if ticket_number is None:
            return ASK_NUMBER_FOR_CODE
        # Asked whether or not the ticket exists: the answer must not tell which.
        _open(session, conversation, "query", ticket_number)
        return ASK_QUERY_CODE
    if (
        _sends_since(session, now - timedelta(hours=1), conversation_id=conversation.id)
        >= SENDS_PER_CONVERSATION_PER_HOUR
    ):
        return TOO_MANY_SENDS
    _open(session, conversation, "phone", ticket_number)
    return ASK_PHONE


def _open(
    session: Session, conversation: Conversation, state: str, ticket_number: str | None
) -> None:
    previous = _open_check(session, conversation)
    if previous is not None:
        previous.state, previous.code_hash = "cancelled", None
    session.add(
        IdentityCheck(conversation_id=conversation.id, state=state, ticket_number=ticket_number)
    )
    conversation.verification = state


def _wrong_try(
    conversation: Conversation, check: IdentityCheck, again: Callable[[int], Said]
) -> Outcome:
    """A wrong code: the tries left said (``again``), or the check failed after the last."""
    check.attempts += 1
    left = MAX_CODE_TRIES - check.attempts
    if left <= 0:
        _close(conversation, check, "failed")
        return Outcome((TOO_MANY_TRIES.to(conversation.language),))
    return Outcome((again(left).to(conversation.language),))


def ask_callback(session: Session, conversation: Conversation, ticket_number: str) -> None:
    """Wait for a call-back number for ``ticket_number`` (the assistant asks for it)."""
    _open(session, conversation, "callback", ticket_number)


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
        if check.state == "callback":
            return self._callback(session, conversation, check, secret, inbound.text, now)
        if secret is not None and secret.startswith(PHONE):
            return self._send_code(session, conversation, check, secret[len(PHONE) :], now)
        if secret is not None and secret.startswith(CODE) and check.state == "code":
            return self._try_code(session, conversation, check, secret[len(CODE) :], now)
        if secret is not None and secret.startswith(QUERY) and check.state == "query":
            return self._try_query_code(session, conversation, check, secret[len(QUERY) :])
        if _CANCEL.match(inbound.text):
            _close(conversation, check, "cancelled")
            return Outcome((pick(language, "已取消身份验证。", "Verification cancelled."),))
        if _DIGIT.search(inbound.text) is None:
            _close(conversation, check, "cancelled")  # a new question: let it through
            return None
        if check.state == "query":
            again = Said(
                "请回复 8 位查询码（字母和数字），或回复「取消」。",
                'Please reply with the 8-character query code (letters and digits), or "cancel".',
            )
        elif check.state == "phone":
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
        sealed = self.vault.seal_phone(phone, session.connection())
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
            return _wrong_try(
                conversation,
                check,
                lambda left: Said(
                    f"验证码不正确，还可以再试 {left} 次。",
                    f"That code is not right. You have {left} more tries.",
                ),
            )
        phone = self.vault.open(check.phone_sealed or "", session.connection())
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

    def _callback(
        self,
        session: Session,
        conversation: Conversation,
        check: IdentityCheck,
        secret: str | None,
        text: str,
        now: datetime,
    ) -> Outcome | None:
        """The visitor's answer to "may we call you back?": a number becomes the
        ticket's call-back (replying with it is the consent asked for); "no" is
        respected; digits that are no mobile number are asked again; anything else (a
        question, 「查询工单 AX…」) is a new message for the assistant."""
        language = conversation.language
        if secret is None or not secret.startswith(PHONE):
            if _DECLINE.match(text) and len(text) <= 40:
                _close(conversation, check, "cancelled")
                return Outcome((NO_CALLBACK.to(language),))
            if _NUMBER_ONLY.match(text) is None:
                _close(conversation, check, "cancelled")
                return None
            return Outcome((CALLBACK_AGAIN.to(language),))
        phone = secret[len(PHONE) :]
        ticket = session.scalar(
            select(Ticket)
            .where(
                Ticket.number == (check.ticket_number or ""),
                Ticket.conversation_id == conversation.id,
            )
            .with_for_update()
        )
        _close(conversation, check, "verified")
        if ticket is None or ticket.status not in ("new", "open", "pending_customer"):
            return Outcome((NO_CALLBACK.to(language),))
        due = max(ticket.first_response_due_at, now + CALLBACK_LEAD)
        lifecycle.set_callback(
            session,
            ticket,
            due,
            self.vault.seal_phone(phone, session.connection()),
            "customer",
            body="客户在对话中留下回电号码（同意回电） / call-back number given by the customer in "
            "the chat (consent to be called)",
        )
        when = due_display(due, self.tz)
        said = Said(
            f"好的，已记录尾号 {phone[-4:]} 的手机号码，客服人员将在 {when} 前给您回电"
            f"（工单 {ticket.number}）。此号码仅用于本次回电。",
            f"Thank you. We will call the number ending {phone[-4:]} by {when} about ticket "
            f"{ticket.number}. The number is used for this call only.",
        )
        return Outcome((said.to(language),))

    def _try_query_code(
        self, session: Session, conversation: Conversation, check: IdentityCheck, code: str
    ) -> Outcome:
        """The ticket's query code: the right one tells that ticket's status (and binds
        nobody); five wrong ones end the check."""
        language = conversation.language
        number = check.ticket_number or ""
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        if ticket is None or not query_code.matches(ticket, self.vault, code):
            return _wrong_try(
                conversation,
                check,
                lambda left: Said(
                    f"工单号或查询码不正确，还可以再试 {left} 次。",
                    f"That ticket number or query code is not right. You have {left} more tries.",
                ),
            )
        _close(conversation, check, "verified")
        line = summary(
            number,
            ticket.category,
            ticket.priority,
            ticket.status,
            ticket.resolution_due_at,
            self.tz,
        )
        return Outcome((line.to(language),))

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
