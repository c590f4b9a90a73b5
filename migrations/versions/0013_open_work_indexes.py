"""partial indexes for the work still open: inbound messages waiting for an answer and
outbox rows waiting to be sent (the inbox and outbox claims look up "the oldest open
one of this conversation" for every candidate; without these that was a scan of the
conversation's whole history, quadratic in a backlog)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_INBOUND = sa.text("direction = 'in' AND status IN ('pending', 'processing')")
PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_index(
        "ix_messages_open_inbound",
        "messages",
        ["conversation_id", "id"],
        postgresql_where=OPEN_INBOUND,
        sqlite_where=OPEN_INBOUND,
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["message_id"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_index("ix_messages_open_inbound", table_name="messages")
