"""Whom a privacy request is about: one customer, found by their phone number, a ticket
number, or a channel identity; with every channel identity (conversation) bound to them
and the pseudonyms whose vault keys hold their numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.core.contact_vault import ContactVault
from bot.core.models import Conversation, Customer, Ticket
from bot.identity.verification import mobile_number

CHANNELS = ("webchat", "wechat", "wecom", "sms", "telegram")


class SubjectError(LookupError):
    pass


@dataclass(slots=True)
class Subject:
    """One customer's data: ``label`` is how staff and the records name them (never
    their number: its last four digits at most)."""

    label: str
    customer_id: int | None = None
    conversation_ids: list[int] = field(default_factory=list)
    pseudonyms: list[str] = field(default_factory=list)
    # set when the customer was named by a ticket: a hold is then on that ticket
    ticket_id: int | None = None


def phone_number(typed: str) -> str:
    """A phone number as the channels and the vault write it (+86 and 11 digits for a
    mainland mobile, else the digits with their +)."""
    mainland = mobile_number(typed)
    if mainland is not None:
        return mainland
    digits = re.sub(r"[\s()-]", "", typed)
    if not re.fullmatch(r"\+?\d{6,15}", digits):
        raise SubjectError("not a phone number / 不是有效的手机号码")
    return digits


def find(
    session: Session,
    vault: ContactVault | None,
    *,
    phone: str | None = None,
    ticket: str | None = None,
    channel: str | None = None,
    user: str | None = None,
) -> Subject:
    """Exactly one way of naming the customer must be given."""
    given = [x for x in (phone, ticket, channel and user) if x]
    if len(given) != 1:
        raise SubjectError(
            "name the customer one way: a phone number, a ticket number, or a channel and "
            "its user id / 请用一种方式指定客户：手机号、工单号，或渠道与用户标识"
        )
    if phone:
        if vault is None:
            raise SubjectError("ANXIN_DATA_KEY is needed to find a customer by phone number")
        number = phone_number(phone)
        pseudonym = vault.pseudonym(number)
        customer = session.scalar(select(Customer).where(Customer.phone_pseudonym == pseudonym))
        sms = session.scalar(
            select(Conversation).where(
                Conversation.channel == "sms", Conversation.external_user_id == pseudonym
            )
        )
        if customer is None and sms is None:
            raise SubjectError("no customer with this phone number / 没有使用该号码的客户")
        return _expand(session, customer, [sms] if sms else [], f"尾号 {number[-4:]}")
    if ticket:
        found = session.scalar(select(Ticket).where(Ticket.number == ticket.strip().upper()))
        if found is None:
            raise SubjectError(f"no ticket {ticket} / 没有工单 {ticket}")
        conversation = session.get(Conversation, found.conversation_id)
        assert conversation is not None
        subject = _start(session, conversation, f"工单 {found.number}")
        subject.ticket_id = found.id
        return subject
    assert channel and user
    if channel not in CHANNELS:
        raise SubjectError(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")
    key = user
    if channel == "sms":
        if vault is None:
            raise SubjectError("ANXIN_DATA_KEY is needed to find an SMS customer")
        key = vault.pseudonym(phone_number(user))
    conversation = session.scalar(
        select(Conversation).where(
            Conversation.channel == channel, Conversation.external_user_id == key
        )
    )
    if conversation is None:
        raise SubjectError(f"no {channel} customer with this id / 没有该{channel}客户")
    return _start(session, conversation, f"{channel} #{conversation.id}")


def _start(session: Session, conversation: Conversation, label: str) -> Subject:
    if conversation.customer_id is not None:
        customer = session.get(Customer, conversation.customer_id)
    elif conversation.channel == "sms":  # keyed by the number's pseudonym, as customers are
        customer = session.scalar(
            select(Customer).where(Customer.phone_pseudonym == conversation.external_user_id)
        )
    else:
        customer = None
    return _expand(session, customer, [conversation], label)


def _expand(
    session: Session, customer: Customer | None, known: list[Conversation], label: str
) -> Subject:
    """Every conversation of the customer: bound to them, or their number's SMS one."""
    subject = Subject(label=label, customer_id=customer.id if customer else None)
    found = {c.id: c for c in known}
    if customer is not None:
        subject.pseudonyms.append(customer.phone_pseudonym)
        for conversation in session.scalars(
            select(Conversation).where(
                or_(
                    Conversation.customer_id == customer.id,
                    (Conversation.channel == "sms")
                    & (Conversation.external_user_id == customer.phone_pseudonym),
                )
            )
        ):
            found[conversation.id] = conversation
    for conversation in found.values():
        if conversation.channel == "sms" and conversation.external_user_id.startswith("p-"):
            if conversation.external_user_id not in subject.pseudonyms:
                subject.pseudonyms.append(conversation.external_user_id)
    subject.conversation_ids = sorted(found)
    return subject
