"""The data's lifecycle: retention rules, legal holds, per-person vault keys, audit
checkpoints, and the record of every purge, erasure and export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, utcnow


class RetentionRule(Base):
    """How many days one kind of data is kept (0: kept until erased), when a bank
    changes the documented default (``bot.privacy.policy``)."""

    __tablename__ = "retention_rules"
    __retention__ = "configuration"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LegalHold(Base):
    """Nothing under a hold is purged or erased: a customer (every identity bound to
    them), one conversation (a channel identity), or one ticket (with its chat)."""

    __tablename__ = "legal_holds"
    __retention__ = "privacy"
    __table_args__ = (
        Index("ix_legal_holds_live", "lifted_at", "id"),
        # deleting a customer, conversation or ticket checks the holds that name it
        *(
            Index(
                f"ix_legal_holds_{column}",
                column,
                postgresql_where=text(f"{column} IS NOT NULL"),
                sqlite_where=text(f"{column} IS NOT NULL"),
            )
            for column in ("customer_id", "conversation_id", "ticket_id")
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # customer | conversation | ticket
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), nullable=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id"), nullable=True
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    # what it is known by to staff: a ticket number, a channel and identity, a phone's tail
    label: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lifted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    lift_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class VaultKey(Base):
    """One person's key in the contact vault: every phone number of theirs that is
    stored is sealed with it (the key itself sealed with ANXIN_DATA_KEY). Erasure
    destroys the row, and with it every copy of the sealed number (crypto-shredding)."""

    __tablename__ = "vault_keys"
    __retention__ = "contact_vault"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    wrapped: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditCheckpoint(Base):
    """Where the audit trail starts after its oldest entries were pruned: the id and
    hash of the last entry removed, so ``audit verify`` checks the rest from there."""

    __tablename__ = "audit_checkpoints"
    __retention__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    last_id: Mapped[int] = mapped_column(Integer, unique=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    pruned: Mapped[int] = mapped_column(Integer)


class PrivacyRecord(Base):
    """One purge run, erasure or export: when, by whom, of what (never the person's
    data: a ticket number, a channel, counts), and the report."""

    __tablename__ = "privacy_records"
    __retention__ = "privacy"
    __table_args__ = (Index("ix_privacy_records_kind", "kind", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # purge | erase | export | refused
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(120), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
