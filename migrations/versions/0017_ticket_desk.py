"""The ticket desk: each ticket's channel, its running deadline (``due_at``) and the
moment a quarter of its time is left (``at_risk_at``), stored and indexed so the desk
lists stay index scans at a million tickets; merged duplicates point at the ticket that
survived; staff notices (@mentions). On PostgreSQL a trigram index serves the desk's
text search when the pg_trgm extension can be created.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AT_RISK_SHARE = 0.25
INDEXES = {
    "ix_tickets_due": ["due_at", "id"],
    "ix_tickets_created": ["created_at", "id"],
    "ix_tickets_team_due": ["team", "due_at", "id"],
    "ix_tickets_assignee_due": ["assignee", "due_at", "id"],
    "ix_tickets_status_due": ["status", "due_at", "id"],
    "ix_tickets_conversation": ["conversation_id"],
}


def upgrade() -> None:
    with op.batch_alter_table("tickets") as table:
        table.add_column(sa.Column("channel", sa.String(length=32), nullable=False, server_default=""))
        table.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("at_risk_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        table.create_foreign_key(
            "fk_tickets_merged_into", "tickets", ["merged_into_id"], ["id"]
        )
    op.execute(
        "UPDATE tickets SET channel = (SELECT channel FROM conversations "
        "WHERE conversations.id = tickets.conversation_id)"
    )
    _backfill_clocks()
    for name, columns in INDEXES.items():
        op.create_index(name, "tickets", columns)
    op.create_table(
        "staff_notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_staff_notices_user", "staff_notices", ["user_name", "read_at", "id"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _trigram_index(bind)


def _backfill_clocks() -> None:
    """The same rule as ``bot.tickets.clock.refresh`` for the tickets already there."""
    bind = op.get_bind()
    stamp = sa.DateTime(timezone=True)
    tickets = sa.table(
        "tickets",
        sa.column("id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("created_at", stamp),
        sa.column("first_response_due_at", stamp),
        sa.column("resolution_due_at", stamp),
        sa.column("first_responded_at", stamp),
        sa.column("due_at", stamp),
        sa.column("at_risk_at", stamp),
    )
    c = tickets.c
    rows = bind.execute(
        sa.select(
            c.id, c.status, c.created_at, c.first_response_due_at, c.resolution_due_at,
            c.first_responded_at,
        ).where(c.status.in_(("new", "open", "pending_customer")))
    ).all()
    for tid, status, created, first_due, resolution_due, responded in rows:
        if responded is None:
            due = min(first_due, resolution_due)
        elif status == "pending_customer":
            due = None
        else:
            due = resolution_due
        risk = None if due is None else due - (due - created) * AT_RISK_SHARE
        bind.execute(
            tickets.update().where(c.id == tid).values(due_at=due, at_risk_at=risk)
        )


def _trigram_index(bind: sa.engine.Connection) -> None:
    """The desk's text search: a GIN trigram index, when the extension can be made
    (it needs the right to create it; without it the search scans, slower)."""
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return
    op.execute(
        "CREATE INDEX ix_tickets_description_trgm ON tickets "
        "USING gin (description gin_trgm_ops)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_tickets_description_trgm")
    op.drop_index("ix_staff_notices_user", table_name="staff_notices")
    op.drop_table("staff_notices")
    for name in INDEXES:
        op.drop_index(name, table_name="tickets")
    with op.batch_alter_table("tickets") as table:
        table.drop_constraint("fk_tickets_merged_into", type_="foreignkey")
        table.drop_column("merged_into_id")
        table.drop_column("at_risk_at")
        table.drop_column("due_at")
        table.drop_column("channel")
