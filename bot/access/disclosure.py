"""Who may be told what about a customer's tickets: identity before disclosure.

A channel identity (a WeChat, WeCom, Telegram or web chat conversation) may be told about
a ticket only once it is verified as the customer's (an SMS one-time code,
``bot.identity.verification``), and then about every ticket of that customer, opened on
any of their channels, and nobody else's. An SMS conversation is verified by the
channel itself: the carrier vouches for the number. Staff access is decided beside this,
in ``bot.access.scopes``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.core.lang import Said
from bot.core.models import Conversation, Customer, Ticket

SMS_CHANNEL = "sms"


def is_sms_identity(pseudonym: Any) -> ColumnElement[bool]:
    """The SMS conversation of a number (its keyed pseudonym): the one its texts use."""
    return and_(Conversation.channel == SMS_CHANNEL, Conversation.external_user_id == pseudonym)


def is_verified(conversation: Conversation, now: datetime) -> bool:
    if conversation.channel == SMS_CHANNEL:
        return True
    until = conversation.verified_until
    return conversation.customer_id is not None and until is not None and until > now


def _customer_of(session: Session, conversation: Conversation) -> int | None:
    if conversation.customer_id is not None:
        return conversation.customer_id
    if conversation.channel != SMS_CHANNEL:
        return None
    # An SMS identity is its number: the customer of that number, once there is one.
    return session.scalar(
        select(Customer.id).where(Customer.phone_pseudonym == conversation.external_user_id)
    )


def same_customer(session: Session, conversation: Conversation) -> list[int]:
    """The ids of every conversation of this conversation's customer (itself included):
    the identities bound to them and their SMS conversation."""
    customer = _customer_of(session, conversation)
    if customer is None:
        return [conversation.id]
    pseudonym = select(Customer.phone_pseudonym).where(Customer.id == customer).scalar_subquery()
    ids = session.scalars(
        select(Conversation.id).where(
            or_(Conversation.customer_id == customer, is_sms_identity(pseudonym))
        )
    ).all()
    return sorted({conversation.id, *ids})


def may_see(session: Session, asking: Conversation, owner: Conversation) -> bool:
    """Whether a (verified) identity may be told about a ticket opened by ``owner``."""
    if asking.id == owner.id:
        return True
    customer = _customer_of(session, asking)
    return customer is not None and customer == _customer_of(session, owner)


def visible_ticket(session: Session, number: str, asking: Conversation) -> Ticket | None:
    """Ticket ``number`` if ``asking`` may be told about it (see ``may_see``)."""
    row = session.execute(
        select(Ticket, Conversation)
        .join(Conversation, Ticket.conversation_id == Conversation.id)
        .where(Ticket.number == number.upper())
    ).first()
    return row[0] if row is not None and may_see(session, asking, row[1]) else None


def not_found(number: str) -> Said:
    return Said(
        f"没有找到您名下的工单 {number}，请核对工单号。",
        f"I could not find ticket {number} among your tickets. Please check the number.",
    )
