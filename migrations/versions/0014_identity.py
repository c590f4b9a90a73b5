"""customers and identity checks: an SMS one-time code binds a channel identity to a
customer before ticket details are told; sealed secrets on messages and outbox rows

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_pseudonym", sa.String(length=64), nullable=False),
        sa.Column("phone_sealed", sa.Text(), nullable=False),
        sa.Column("phone_tail", sa.String(length=4), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("phone_pseudonym"),
    )
    op.create_table(
        "identity_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("ticket_number", sa.String(length=16), nullable=True),
        sa.Column("phone_pseudonym", sa.String(length=64), nullable=True),
        sa.Column("phone_sealed", sa.Text(), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_identity_checks_conversation", "identity_checks", ["conversation_id", "id"]
    )
    op.create_index("ix_identity_checks_phone", "identity_checks", ["phone_pseudonym", "sent_at"])
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("verified_until", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("verification", sa.String(length=8), nullable=True))
        batch_op.create_foreign_key(
            "fk_conversations_customer_id", "customers", ["customer_id"], ["id"]
        )
        batch_op.create_index("ix_conversations_customer_id", ["customer_id"])
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_secret", sa.Text(), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("sealed_text")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("sealed_secret")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_customer_id")
        batch_op.drop_constraint("fk_conversations_customer_id", type_="foreignkey")
        batch_op.drop_column("verification")
        batch_op.drop_column("verified_until")
        batch_op.drop_column("customer_id")
    op.drop_index("ix_identity_checks_phone", table_name="identity_checks")
    op.drop_index("ix_identity_checks_conversation", table_name="identity_checks")
    op.drop_table("identity_checks")
    op.drop_table("customers")
