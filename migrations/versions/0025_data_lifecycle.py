"""The data's lifecycle: retention rules, legal holds, per-person vault keys, audit
checkpoints and the record of purges, erasures and exports.

``conversations.purged_at`` marks a conversation whose messages the retention rule
removed while tickets still need it. Indexes on the columns that point at what the
purge deletes (so a delete checks its references by index, not by a scan).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_NULL = {
    "ix_messages_reply_to": ("messages", "reply_to_id"),
    "ix_tickets_merged_into": ("tickets", "merged_into_id"),
    "ix_staff_notices_ticket": ("staff_notices", "ticket_id"),
    "ix_legal_holds_customer_id": ("legal_holds", "customer_id"),
    "ix_legal_holds_conversation_id": ("legal_holds", "conversation_id"),
    "ix_legal_holds_ticket_id": ("legal_holds", "ticket_id"),
}
PLAIN = {
    "ix_followups_ticket": ("followups", ["ticket_id"]),
    "ix_survey_responses_ticket": ("survey_responses", ["ticket_id"]),
    "ix_handoffs_conversation": ("handoffs", ["conversation_id", "id"]),
    "ix_handoffs_ticket": ("handoffs", ["ticket_id"]),
    "ix_qa_flags_conversation": ("qa_flags", ["conversation_id"]),
    "ix_qa_reviews_handoff": ("qa_reviews", ["handoff_id"]),
}


def upgrade() -> None:
    with op.batch_alter_table("conversations") as table:
        table.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "retention_rules",
        sa.Column("kind", sa.String(length=32), primary_key=True),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id"), nullable=True),
        sa.Column(
            "conversation_id", sa.Integer(), sa.ForeignKey("conversations.id"), nullable=True
        ),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=True),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_by", sa.String(length=64), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_legal_holds_live", "legal_holds", ["lifted_at", "id"])
    op.create_table(
        "vault_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pseudonym", sa.String(length=64), nullable=False, unique=True),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False, unique=True),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("pruned", sa.Integer(), nullable=False),
    )
    op.create_table(
        "privacy_records",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False, server_default=""),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("report", sa.JSON(), nullable=False),
    )
    op.create_index("ix_privacy_records_kind", "privacy_records", ["kind", "id"])
    for name, (table, column) in NOT_NULL.items():
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            name, table, [column], postgresql_where=where, sqlite_where=where
        )
    for name, (table, columns) in PLAIN.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _) in {**NOT_NULL, **PLAIN}.items():
        op.drop_index(name, table_name=table)
    op.drop_index("ix_privacy_records_kind", table_name="privacy_records")
    op.drop_table("privacy_records")
    op.drop_table("audit_checkpoints")
    op.drop_table("vault_keys")
    op.drop_index("ix_legal_holds_live", table_name="legal_holds")
    op.drop_table("legal_holds")
    op.drop_table("retention_rules")
    with op.batch_alter_table("conversations") as table:
        table.drop_column("purged_at")
