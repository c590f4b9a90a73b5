"""routing: agent skills and capacity, offers, unread marks, VIP customers

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 17:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("languages", sa.String(length=32), nullable=False, server_default="zh,en")
        )
        batch_op.add_column(
            sa.Column("skills", sa.String(length=255), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=False, server_default="3"))
        batch_op.add_column(sa.Column("team", sa.String(length=64), nullable=True))

    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offered_to", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("passed_over", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("agent_read_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("team", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_handoffs_offer", ["offer_expires_at"], unique=False)

    op.create_table(
        "vip_customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_user_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "external_user_id"),
    )


def downgrade() -> None:
    op.drop_table("vip_customers")
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index("ix_handoffs_offer")
        batch_op.drop_column("team")
        batch_op.drop_column("agent_read_id")
        batch_op.drop_column("passed_over")
        batch_op.drop_column("offer_expires_at")
        batch_op.drop_column("offered_to")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("team")
        batch_op.drop_column("capacity")
        batch_op.drop_column("skills")
        batch_op.drop_column("languages")
