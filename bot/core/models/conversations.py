"""Conversations, their messages both ways, delivery, customers and their identity checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from bot.core.models.base import Base, utcnow


class Conversation(Base):
    """One customer identity on one channel, with its running dialogue."""

    __tablename__ = "conversations"
    __retention__ = "transcripts"
    __table_args__ = (UniqueConstraint("channel", "external_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_user_id: Mapped[str] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    mode: Mapped[str] = mapped_column(String(16), default="bot")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The reply address when it is personal data (a phone number): encrypted.
    recipient_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Set when the customer opted out (SMS STOP / 退订); nothing is sent while set.
    opted_out_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Set when the customer declined satisfaction surveys (consent withdrawn).
    survey_opt_out_at: Mapped[datetime | None] = mapped_column(nullable=True)
    tier: Mapped[str] = mapped_column(String(16), default="standard")
    # The customer this channel identity was bound to by an SMS one-time code, and
    # until when that proof counts (ticket details are told only while it does).
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id"), nullable=True, index=True
    )
    verified_until: Mapped[datetime | None] = mapped_column(nullable=True)
    # An identity check in progress: "phone" (waiting for the number) or "code".
    verification: Mapped[str | None] = mapped_column(String(8), nullable=True)
    # Set when the retention rule removed the messages while tickets still needed the
    # conversation; it goes once they have gone too.
    purged_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Customer(Base):
    """A person, known by their mobile number; one customer, several channel identities
    (conversations). The number is kept only sealed, found by its keyed pseudonym."""

    __tablename__ = "customers"
    __retention__ = "contact_vault"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    phone_sealed: Mapped[str] = mapped_column(Text)
    phone_tail: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdentityCheck(Base):
    """One attempt to bind a channel identity to a customer with an SMS one-time code.

    The code itself is never stored: only its keyed hash, for five minutes."""

    __tablename__ = "identity_checks"
    __retention__ = "contact_vault"
    __table_args__ = (
        Index("ix_identity_checks_conversation", "conversation_id", "id"),
        Index("ix_identity_checks_phone", "phone_pseudonym", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    # phone -> code -> verified | failed | expired | cancelled; query (a ticket's query
    # code, where no SMS can be sent); callback (a call-back number for a ticket)
    state: Mapped[str] = mapped_column(String(16), default="phone")
    ticket_number: Mapped[str | None] = mapped_column(String(16), nullable=True)
    phone_pseudonym: Mapped[str | None] = mapped_column(String(64), nullable=True)
    phone_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)


# Inbound messages still waiting for an answer (the inbox claims the oldest per conversation).
INBOUND = "direction = 'in'"
# who wrote a message (``messages.sender``)
SENDERS = ("customer", "bot", "agent", "system")
OPEN_INBOUND = "direction = 'in' AND status IN ('pending', 'processing')"
# Outbox rows waiting to be sent.
PENDING_OUTBOX = "status = 'pending'"


def is_open_inbound(message: Any) -> ColumnElement[bool]:
    """``OPEN_INBOUND`` for ``message`` (the model or an alias), its values written inline
    so PostgreSQL can prove it implies the partial index's predicate even in a prepared
    statement."""
    return and_(
        message.direction == literal_column("'in'"),
        message.status.in_([literal_column("'pending'"), literal_column("'processing'")]),
    )


def is_pending(item: Any) -> ColumnElement[bool]:
    """An outbox row waiting to be sent, inline for the ``ix_outbox_pending`` index."""
    return item.status == literal_column("'pending'")  # type: ignore[no-any-return]


class Message(Base):
    """Every message both ways. Inbound rows double as the durable inbox."""

    __tablename__ = "messages"
    __retention__ = "transcripts"
    __table_args__ = (
        UniqueConstraint("channel", "provider_msg_id", name="uq_messages_channel_provider_id"),
        Index("ix_messages_inbox", "direction", "status", "conversation_id", "id"),
        Index("ix_messages_inbox_order", "direction", "status", "id"),
        Index("ix_messages_conversation", "conversation_id", "id"),
        Index(
            "ix_messages_open_inbound",
            "conversation_id",
            "id",
            postgresql_where=text(OPEN_INBOUND),
            sqlite_where=text(OPEN_INBOUND),
        ),
        # deleting a message checks what replied to it (the retention purge)
        Index(
            "ix_messages_reply_to",
            "reply_to_id",
            postgresql_where=text("reply_to_id IS NOT NULL"),
            sqlite_where=text("reply_to_id IS NOT NULL"),
        ),
        # who wrote in during a period (the service targets' containment)
        Index(
            "ix_messages_inbound_created",
            "created_at",
            "conversation_id",
            postgresql_where=text(INBOUND),
            sqlite_where=text(INBOUND),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(32))
    provider_msg_id: Mapped[str] = mapped_column(String(128))
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    sender: Mapped[str] = mapped_column(String(16))  # customer | bot | agent | system
    author: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the agent's name
    # text | image | voice | event:subscribe | event:unsubscribe | optout | optin
    kind: Mapped[str] = mapped_column(String(24), default="text")
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    intent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Inbox state for inbound rows: pending -> processing -> done.
    status: Mapped[str] = mapped_column(String(16), default="done")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(nullable=True)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A phone number or one-time code given during an identity check, sealed at the
    # webhook (the stored text has it masked) and erased once the worker has read it.
    sealed_secret: Mapped[str | None] = mapped_column(Text, nullable=True)


class OutboxItem(Base):
    """Delivery state of one outbound message: sent with retry and backoff."""

    __tablename__ = "outbox"
    __retention__ = "deliveries"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index(
            "ix_outbox_pending",
            "message_id",
            postgresql_where=text(PENDING_OUTBOX),
            sqlite_where=text(PENDING_OUTBOX),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    # pending | sent | dead (gave up) | suppressed (customer opted out)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Parts already accepted by the provider (long SMS go out in several parts).
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    # How it finally went out when the normal way was closed (e.g. "template").
    route: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The text to send when it must not be stored in clear (a one-time code): sealed,
    # and erased once sent or given up; the message row holds a masked text.
    sealed_text: Mapped[str | None] = mapped_column(Text, nullable=True)


class DeliveryAttempt(Base):
    """One try at sending one outbox item: every attempt is recorded."""

    __tablename__ = "delivery_attempts"
    __retention__ = "deliveries"
    __table_args__ = (Index("ix_delivery_attempts_outbox", "outbox_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(String(255), nullable=True)


class ChannelState(Base):
    """Small durable values a channel must keep (e.g. the WeCom sync_msg cursor)."""

    __tablename__ = "channel_state"
    __retention__ = "operational"
    __table_args__ = (UniqueConstraint("channel", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class VipCustomer(Base):
    """A channel identity configured as a VIP: handed to a person sooner, served first."""

    __tablename__ = "vip_customers"
    __retention__ = "customer_profile"
    __table_args__ = (UniqueConstraint("channel", "external_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_user_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


MESSAGES = cast(Table, Message.__table__)
CONVERSATIONS = cast(Table, Conversation.__table__)
OUTBOX = cast(Table, OutboxItem.__table__)
DELIVERY_ATTEMPTS = cast(Table, DeliveryAttempt.__table__)
