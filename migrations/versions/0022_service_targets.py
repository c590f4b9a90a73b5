"""Service targets: how often a ticket was reopened, and indexes for the reports.

The targets report counts first-contact resolution (no reopen) and average handling
over the tickets resolved in a period, and honest containment over the conversations
customers wrote in during a period: ``tickets.reopen_count`` (filled from the tickets'
history), an index on ``tickets.resolved_at`` and a partial index on the inbound
messages' time.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INBOUND = "direction = 'in'"


def upgrade() -> None:
    with op.batch_alter_table("tickets") as table:
        table.add_column(
            sa.Column("reopen_count", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE tickets SET reopen_count = (SELECT count(*) FROM ticket_events e "
        "WHERE e.ticket_id = tickets.id AND e.action = 'status' AND e.to_value = 'open' "
        "AND e.from_value IN ('resolved', 'closed'))"
    )
    op.create_index("ix_tickets_resolved", "tickets", ["resolved_at", "id"])
    op.create_index(
        "ix_messages_inbound_created",
        "messages",
        ["created_at", "conversation_id"],
        postgresql_where=sa.text(INBOUND),
        sqlite_where=sa.text(INBOUND),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_inbound_created", table_name="messages")
    op.drop_index("ix_tickets_resolved", table_name="tickets")
    with op.batch_alter_table("tickets") as table:
        table.drop_column("reopen_count")
