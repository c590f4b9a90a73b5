"""Quality inspection (质检): the rubric, automatic flags, supervisors' reviews."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, utcnow


class QaRule(Base):
    """One line of the quality rubric (质检), edited by supervisors.

    ``kind`` says how it is checked automatically: ``greeting`` (the agent's first
    message must match ``pattern``), ``forbidden`` (no agent message may match),
    ``disclosure`` (once ``trigger`` is mentioned, an agent message must match),
    ``empathy`` (an upset customer must hear one), ``identity`` (no account details,
    ``trigger``, before the agent asked to verify identity, ``pattern``), or ``manual``
    (scored by hand only)."""

    __tablename__ = "qa_rules"
    __retention__ = "configuration"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    pattern: Mapped[str] = mapped_column(Text, default="")
    trigger: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # How most rules are written: phrases (any one of them counts; English ones as whole
    # words, case ignored) and examples a supervisor keeps to test the rule with. With
    # ``advanced`` the regular expressions ``pattern``/``trigger`` are used instead.
    phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    trigger_phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    examples: Mapped[list[str]] = mapped_column(JSON, default=list)
    advanced: Mapped[bool] = mapped_column(Boolean, default=False)


class QaFlag(Base):
    """A rule an ended chat broke, found by the automatic inspection."""

    __tablename__ = "qa_flags"
    __retention__ = "quality"
    __table_args__ = (
        UniqueConstraint("handoff_id", "rule_key"),
        Index("ix_qa_flags_conversation", "conversation_id"),
    )

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
    __retention__ = "quality"
    __table_args__ = (Index("ix_qa_reviews_handoff", "handoff_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"))
    agent: Mapped[str] = mapped_column(String(64))
    reviewer: Mapped[str] = mapped_column(String(64))
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[float] = mapped_column(Float)  # weighted, 0-100
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QaAppeal(Base):
    """An agent's appeal of a score: why, and the supervisor's decision (the score
    stands, or a new total with the reason)."""

    __tablename__ = "qa_appeals"
    __retention__ = "quality"
    __table_args__ = (
        UniqueConstraint("review_id"),
        Index("ix_qa_appeals_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("qa_reviews.id"))
    agent: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | upheld | changed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decision: Mapped[str] = mapped_column(Text, default="")
    old_total: Mapped[float | None] = mapped_column(Float, nullable=True)
