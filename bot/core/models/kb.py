"""The knowledge base: entries, their versions, and every question matched against it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, utcnow


class KbEntry(Base):
    """A knowledge-base entry: the standard question (标准问) and similar questions (相似问)
    in Chinese and English, the answers, and who owns it. Addressed by ``key``, the FAQ
    key the assistant recognises. Every change is a ``kb_versions`` row."""

    __tablename__ = "kb_entries"
    __retention__ = "configuration"

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
    # when a second person last approved it (review-due reminders count from here)
    reviewed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class KbChange(Base):
    """A change to the knowledge base waiting for a second person (four-eyes): what the
    editor proposed, made from which version, and the reviewer's decision. Customers
    see it only once approved, when it becomes a ``kb_versions`` row."""

    __tablename__ = "kb_changes"
    __retention__ = "configuration"
    __table_args__ = (
        Index("ix_kb_changes_state", "state", "id"),
        Index("ix_kb_changes_key", "entry_key", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_key: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete | rollback
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    base_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    reviewed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    applied_version: Mapped[int | None] = mapped_column(Integer, nullable=True)


class KbVersion(Base):
    """One change to a knowledge-base entry: who, when, what, and the entry as it became."""

    __tablename__ = "kb_versions"
    __retention__ = "configuration"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("kb_entries.id"))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # create|update|delete|restore|rollback|import
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class KbQuery(Base):
    """One question the knowledge-base matcher decided on: answered, offered as "did
    you mean" choices (and which one the customer picked), or unanswered (a gap for
    staff to fill). The text is masked before it is stored."""

    __tablename__ = "kb_queries"
    __retention__ = "kb_queries"
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


KB_ENTRIES = cast(Table, KbEntry.__table__)
KB_QUERIES = cast(Table, KbQuery.__table__)
