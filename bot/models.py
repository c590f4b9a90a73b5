"""ORM models: the database is the source of truth for every message and ticket."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
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
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON}


class Conversation(Base):
    """One customer identity on one channel, with its running dialogue."""

    __tablename__ = "conversations"
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


class Customer(Base):
    """A person, known by their mobile number; one customer, several channel identities
    (conversations). The number is kept only sealed, found by its keyed pseudonym."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    phone_sealed: Mapped[str] = mapped_column(Text)
    phone_tail: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdentityCheck(Base):
    """One attempt to bind a channel identity to a customer with an SMS one-time code.

    The code itself is never stored: only its keyed hash, for five minutes."""

    __tablename__ = "identity_checks"
    __table_args__ = (
        Index("ix_identity_checks_conversation", "conversation_id", "id"),
        Index("ix_identity_checks_phone", "phone_pseudonym", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    # phone -> code -> verified | failed | expired | cancelled
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
    __table_args__ = (UniqueConstraint("channel", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Ticket(Base):
    """A customer issue with a quotable number, priority and SLA deadlines.

    Deadlines are columns, and so is ``next_escalation_at``: the earliest moment the
    escalation ladder has something to do for this ticket (indexed; the scanner reads it).
    """

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_next_escalation", "next_escalation_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    category: Mapped[str] = mapped_column(String(16))
    subcategory: Mapped[str | None] = mapped_column(String(32), nullable=True)
    priority: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(20), default="new")
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    first_response_due_at: Mapped[datetime] = mapped_column()
    resolution_due_at: Mapped[datetime] = mapped_column()
    calendar: Mapped[str] = mapped_column(String(16), default="24x7")
    team: Mapped[str | None] = mapped_column(String(64), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(64), nullable=True)
    first_responded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    paused_at: Mapped[datetime | None] = mapped_column(nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    next_escalation_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Set when the customer writes after a first response; cleared by the next reply.
    next_response_due_at: Mapped[datetime | None] = mapped_column(nullable=True)
    response_round: Mapped[int] = mapped_column(Integer, default=0)


class TicketEvent(Base):
    """Every change to a ticket: who, when, what, from, to (and notes and replies)."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(24))  # created|status|assign|note|reply|acknowledge
    from_value: Mapped[str | None] = mapped_column(String(64), nullable=True)
    to_value: Mapped[str | None] = mapped_column(String(64), nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)


class EscalationEvent(Base):
    """One step of the escalation ladder for one ticket; UNIQUE, so it happens once."""

    __tablename__ = "escalation_events"
    __table_args__ = (
        UniqueConstraint("ticket_id", "step", name="uq_escalation_ticket_step"),
        Index("ix_escalation_unnotified", "notified_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    step: Mapped[str] = mapped_column(
        String(32)
    )  # page:1, warn:50, warn:before, breach:resolution...
    target: Mapped[str] = mapped_column(String(128))  # who is told
    due_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)  # overtaken (e.g. after downtime)
    notified_at: Mapped[datetime | None] = mapped_column(nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class SlaPolicyRow(Base):
    """SLA targets per priority (and optionally category), edited by staff."""

    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("priority", "category", name="uq_sla_priority_category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    priority: Mapped[str] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(16), default="*")  # "*" = any category
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    next_response_minutes: Mapped[int] = mapped_column(Integer, default=1440)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    calendar: Mapped[str] = mapped_column(String(16), default="24x7")  # 24x7 | business


class PriorityRule(Base):
    """category/subcategory → priority, edited by staff ("*" matches any subcategory)."""

    __tablename__ = "priority_rules"
    __table_args__ = (UniqueConstraint("category", "subcategory", name="uq_priority_rule"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(16))
    subcategory: Mapped[str] = mapped_column(String(32), default="*")
    priority: Mapped[str] = mapped_column(String(2))


class Holiday(Base):
    """A day the business-hours calendar skips."""

    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(64), default="")


class KbEntry(Base):
    """A knowledge-base entry: the standard question (标准问) and similar questions (相似问)
    in Chinese and English, the answers, and who owns it. Addressed by ``key``, the FAQ
    key the assistant recognises. Every change is a ``kb_versions`` row."""

    __tablename__ = "kb_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    question_zh: Mapped[str] = mapped_column(Text)
    question_en: Mapped[str] = mapped_column(Text)
    answer_zh: Mapped[str] = mapped_column(Text)
    answer_en: Mapped[str] = mapped_column(Text)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    similar_zh: Mapped[list[str]] = mapped_column(JSON, default=list)
    similar_en: Mapped[list[str]] = mapped_column(JSON, default=list)
    category: Mapped[str] = mapped_column(String(32), default="general")
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: deleted
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="migration")


class KbVersion(Base):
    """One change to a knowledge-base entry: who, when, what, and the entry as it became."""

    __tablename__ = "kb_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("kb_entries.id"))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # create|update|delete|restore|rollback|import
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)


class User(Base):
    """A staff account (agent, supervisor, admin)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Routing: the languages an agent serves, their skills (ticket categories and
    # "vip"), how many chats they take at once, and their team.
    languages: Mapped[str] = mapped_column(String(32), default="zh,en")
    skills: Mapped[str] = mapped_column(String(255), default="")
    capacity: Mapped[int] = mapped_column(Integer, default=3)
    team: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ApiToken(Base):
    """An API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Followup(Base):
    """A question put to the customer after resolution: confirm (solved?) or survey (1-5)."""

    __tablename__ = "followups"
    __table_args__ = (
        Index("ix_followups_open", "conversation_id", "state"),
        Index("ix_followups_expiry", "state", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    kind: Mapped[str] = mapped_column(String(16))  # confirm | survey
    state: Mapped[str] = mapped_column(
        String(16), default="awaiting"
    )  # awaiting | answered | expired
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    answer: Mapped[str | None] = mapped_column(String(16), nullable=True)


class SurveyResponse(Base):
    """A customer's satisfaction score (1-5) and comment for a ticket."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id"), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowupPlan(Base):
    """回访 plan: which closed tickets get a follow-up contact, and when."""

    __tablename__ = "followup_plans"
    __table_args__ = (UniqueConstraint("category", "tier", name="uq_followup_plan"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(16), default="*")
    tier: Mapped[str] = mapped_column(String(16), default="*")
    delay_hours: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FollowupTask(Base):
    """One 回访 contact to make (by staff), from a plan; coverage = done / due."""

    __tablename__ = "followup_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("followup_plans.id"))
    reason: Mapped[str] = mapped_column(String(32), default="plan")  # plan | low_score
    due_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)


class Handoff(Base):
    """A conversation handed from the assistant to people: queued, then active, then ended."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_state", "state", "id"),
        Index("ix_handoffs_offer", "offer_expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    reason: Mapped[str] = mapped_column(String(32))  # customer_request | p1 | ...
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued | active | ended
    agent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The agent the router offered the chat to, until when, and who let it pass.
    offered_to: Mapped[str | None] = mapped_column(String(64), nullable=True)
    offer_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    passed_over: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Set when the chat was transferred to a team: only its agents are offered it.
    team: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The last message the agent has seen (for unread counts).
    agent_read_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class VipCustomer(Base):
    """A channel identity configured as a VIP: handed to a person sooner, served first."""

    __tablename__ = "vip_customers"
    __table_args__ = (UniqueConstraint("channel", "external_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_user_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who read or changed what, when, from where. Append-only and hash-chained: each
    row's ``hash`` covers its content and the previous row's hash, so editing or
    deleting a row breaks the chain (``python -m bot audit verify``)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class QaRule(Base):
    """One line of the quality rubric (质检), edited by supervisors.

    ``kind`` says how it is checked automatically: ``greeting`` (the agent's first
    message must match ``pattern``), ``forbidden`` (no agent message may match),
    ``disclosure`` (once ``trigger`` is mentioned, an agent message must match),
    ``empathy`` (an upset customer must hear one), ``identity`` (no account details,
    ``trigger``, before the agent asked to verify identity, ``pattern``), or ``manual``
    (scored by hand only)."""

    __tablename__ = "qa_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    pattern: Mapped[str] = mapped_column(Text, default="")
    trigger: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class QaFlag(Base):
    """A rule an ended chat broke, found by the automatic inspection."""

    __tablename__ = "qa_flags"
    __table_args__ = (UniqueConstraint("handoff_id", "rule_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    agent: Mapped[str] = mapped_column(String(64))
    rule_key: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaReview(Base):
    """A supervisor's scores for one chat (0-5 per rubric line) and comment."""

    __tablename__ = "qa_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"))
    agent: Mapped[str] = mapped_column(String(64))
    reviewer: Mapped[str] = mapped_column(String(64))
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[float] = mapped_column(Float)  # weighted, 0-100
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KbQuery(Base):
    """One question the knowledge-base matcher decided on: answered, offered as "did
    you mean" choices (and which one the customer picked), or unanswered (a gap for
    staff to fill). The text is masked before it is stored."""

    __tablename__ = "kb_queries"
    __table_args__ = (
        Index("ix_kb_queries_conversation", "conversation_id", "id"),
        Index("ix_kb_queries_decision", "decision", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id"), nullable=True
    )
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16))  # answered | suggested | unanswered
    confidence: Mapped[float] = mapped_column(Float)
    best_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    chosen_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# The tables behind the models, typed as Core tables: the hot paths (webhook store,
# claims, replies, deliveries) run prebuilt Core statements against them.
MESSAGES = cast(Table, Message.__table__)
CONVERSATIONS = cast(Table, Conversation.__table__)
OUTBOX = cast(Table, OutboxItem.__table__)
DELIVERY_ATTEMPTS = cast(Table, DeliveryAttempt.__table__)
KB_ENTRIES = cast(Table, KbEntry.__table__)
KB_QUERIES = cast(Table, KbQuery.__table__)
