"""People and shifts: accounts an administrator disables or resets, teams as records, and
the shift calendar.

``users.disabled_at`` (no sign-in; sessions and tokens refused) and
``users.must_change_password`` (set by a reset); ``teams`` filled from the teams users
already name; ``shifts``, one person on shift over a span of time.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as table:
        table.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    teams = op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=64), nullable=False, unique=True),
        sa.Column("title_zh", sa.String(length=64), nullable=False),
        sa.Column("title_en", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    named = op.get_bind().execute(
        sa.text("SELECT DISTINCT team FROM users WHERE team IS NOT NULL AND team <> ''")
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        teams,
        [
            {"name": name, "title_zh": name, "title_en": name, "created_at": now}
            for (name,) in sorted(named)
        ],
    )
    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_shifts_starts", "shifts", ["starts_at"])
    op.create_index("ix_shifts_ends", "shifts", ["ends_at"])
    op.create_index("ix_shifts_user", "shifts", ["user_name", "starts_at"])


def downgrade() -> None:
    op.drop_table("shifts")
    op.drop_table("teams")
    with op.batch_alter_table("users") as table:
        table.drop_column("must_change_password")
        table.drop_column("disabled_at")
