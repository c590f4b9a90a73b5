"""API tokens get scopes, an owner, an expiry, a last-used time and revocation. Tokens
made before have every scope ("admin"), expire 90 days from this migration and are
marked legacy. Staff accounts get ``locked_at`` (locked after many wrong passwords).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 16:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY_DAYS = 90


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as table:
        table.add_column(sa.Column("scopes", sa.String(length=255), nullable=False, server_default=""))
        table.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        table.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(
            sa.Column("legacy", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    tokens = sa.table(
        "api_tokens",
        sa.column("scopes", sa.String),
        sa.column("expires_at", sa.DateTime(timezone=True)),
        sa.column("legacy", sa.Boolean),
    )
    op.execute(
        tokens.update().values(
            scopes="admin",
            expires_at=datetime.now(UTC) + timedelta(days=LEGACY_DAYS),
            legacy=True,
        )
    )


    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as users:
        users.drop_column("locked_at")
    with op.batch_alter_table("api_tokens") as table:
        for column in ("legacy", "revoked_at", "last_used_at", "expires_at", "owner", "scopes"):
            table.drop_column(column)
