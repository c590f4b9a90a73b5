"""knowledge base: similar questions, category, validity, owner, versions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kb_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("similar_zh", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("similar_en", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("category", sa.String(length=32), nullable=False, server_default="general")
        )
        batch_op.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("valid_to", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column(
                "updated_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(
            sa.Column(
                "updated_by", sa.String(length=64), nullable=False, server_default="migration"
            )
        )
    op.create_table(
        "kb_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["kb_entries.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "version"),
    )


def downgrade() -> None:
    op.drop_table("kb_versions")
    with op.batch_alter_table("kb_entries", schema=None) as batch_op:
        for column in (
            "updated_by",
            "updated_at",
            "version",
            "active",
            "owner",
            "valid_to",
            "valid_from",
            "category",
            "similar_en",
            "similar_zh",
        ):
            batch_op.drop_column(column)
