"""Staff accounts and API tokens, handoffs to agents, the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, utcnow


class User(Base):
    """A staff account (agent, supervisor, admin)."""

    __tablename__ = "users"
    __retention__ = "staff"

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
    # set when too many wrong passwords came in; only an admin clears it
    locked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # what customers see (never the login name): a display name and a staff number
    display_name: Mapped[str | None] = mapped_column(String(32), nullable=True)
    staff_number: Mapped[str | None] = mapped_column(String(16), unique=True, nullable=True)
    # disabled by an administrator: no sign-in, their sessions and tokens refused
    disabled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # set by a password reset: the next sign-in must choose a new password first
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)


class Team(Base):
    """A team of staff: ``name`` is what users, tickets, chats and canned replies carry;
    the titles are what people read."""

    __tablename__ = "teams"
    __retention__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title_zh: Mapped[str] = mapped_column(String(64))
    title_en: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Shift(Base):
    """One person on shift from ``starts_at`` to ``ends_at`` (UTC): the shift calendar.
    The assistant tells customers when people are back from it; the live floor sets it
    beside who is online."""

    __tablename__ = "shifts"
    __retention__ = "staff"
    __table_args__ = (
        Index("ix_shifts_starts", "starts_at"),
        Index("ix_shifts_ends", "ends_at"),
        Index("ix_shifts_user", "user_name", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def public_name(display_name: str | None, staff_number: str | None) -> str | None:
    """How a customer sees a member of staff: 「小李 · 工号 1024」; None when neither is
    set (the chat then says 客服 / Agent). Never the login name."""
    parts = [display_name] if display_name else []
    if staff_number:
        parts.append(f"工号 {staff_number}")
    return " · ".join(parts) or None


class CannedReply(Base):
    """A reply agents insert with one click, per team (None: every team), in Chinese and
    English, with variables filled in for the chat ({customer}, {ticket}, {agent})."""

    __tablename__ = "canned_replies"
    __retention__ = "configuration"
    __table_args__ = (Index("ix_canned_replies_team", "team", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str | None] = mapped_column(String(64), nullable=True)
    title_zh: Mapped[str] = mapped_column(String(64))
    title_en: Mapped[str] = mapped_column(String(64))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """An API token; only its SHA-256 is stored. ``scopes``: space-separated (see
    ``bot.access.tokens``); a token is refused once expired or revoked."""

    __tablename__ = "api_tokens"
    __retention__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    scopes: Mapped[str] = mapped_column(String(255), default="")
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # made before tokens had scopes: given every scope and 90 days
    legacy: Mapped[bool] = mapped_column(default=False)


class Handoff(Base):
    """A conversation handed from the assistant to people: queued, then active, then ended."""

    __tablename__ = "handoffs"
    __retention__ = "transcripts"
    __table_args__ = (
        Index("ix_handoffs_state", "state", "id"),
        Index("ix_handoffs_offer", "offer_expires_at"),
        Index("ix_handoffs_conversation", "conversation_id", "id"),
        Index("ix_handoffs_ticket", "ticket_id"),
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


class AuditEntry(Base):
    """Who read or changed what, when, from where. Append-only and hash-chained: each
    row's ``hash`` covers its content and the previous row's hash, so editing or
    deleting a row breaks the chain (``python -m bot audit verify``)."""

    __tablename__ = "audit_log"
    __retention__ = "audit"

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
