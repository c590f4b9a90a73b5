"""the inbox in arrival order: (direction, status, id), so claiming the oldest pending
messages reads them in id order and stops at the first few instead of reading and
sorting the whole backlog for every claim (a tenth of the worker's CPU in a backlog of
2,600 messages)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 13:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_messages_inbox_order", "messages", ["direction", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_messages_inbox_order", table_name="messages")
