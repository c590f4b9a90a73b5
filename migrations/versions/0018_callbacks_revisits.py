"""Call-backs and the 回访 worklist.

A ticket carries the call-back promised to the customer: when it is due, the number to
call (sealed in the contact vault, as identity capture seals it) and a round counter, so
that each promise has its own escalation step (``breach:callback:N``).

A 回访 task now has attempts: its owner, its state (open → reached / unreached /
wrong_number / declined), how many attempts were made and the customer's satisfaction
when reached; each attempt is a row of ``followup_attempts``. One ticket may have more
than one task (the plan's, and one after a low survey score), so the one-task-per-ticket
constraint goes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIQUE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _unique_on_ticket() -> str:
    """The name the database gave the unnamed UNIQUE(ticket_id) of revision 0005."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return "uq_followup_tasks_ticket_id"  # named by the batch's naming convention
    for constraint in sa.inspect(bind).get_unique_constraints("followup_tasks"):
        if constraint["column_names"] == ["ticket_id"] and constraint["name"]:
            return str(constraint["name"])
    raise RuntimeError("followup_tasks has no UNIQUE(ticket_id) to drop")


def upgrade() -> None:
    stamp = sa.DateTime(timezone=True)
    with op.batch_alter_table("tickets") as table:
        table.add_column(sa.Column("callback_due_at", stamp, nullable=True))
        table.add_column(sa.Column("callback_phone_sealed", sa.Text(), nullable=True))
        table.add_column(
            sa.Column("callback_round", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_index("ix_tickets_callback_due", "tickets", ["callback_due_at", "id"])
    name = _unique_on_ticket()
    with op.batch_alter_table("followup_tasks", naming_convention=UNIQUE_NAMES) as table:
        table.drop_constraint(name, type_="unique")
        table.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        table.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="open")
        )
        table.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
        )
        table.add_column(sa.Column("satisfaction", sa.String(length=16), nullable=True))
    op.create_index("ix_followup_tasks_ticket", "followup_tasks", ["ticket_id"])
    op.create_index("ix_followup_tasks_state_due", "followup_tasks", ["state", "due_at", "id"])
    op.create_table(
        "followup_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("followup_tasks.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", stamp, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("satisfaction", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.UniqueConstraint("task_id", "number", name="uq_followup_attempt"),
    )
    # Tasks marked done before attempts existed reached the customer once.
    op.execute(
        "INSERT INTO followup_attempts (task_id, number, at, actor, result, note) "
        "SELECT id, 1, done_at, COALESCE(done_by, 'system'), 'reached', outcome "
        "FROM followup_tasks WHERE done_at IS NOT NULL"
    )
    op.execute(
        "UPDATE followup_tasks SET state = 'reached', attempts = 1 WHERE done_at IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("followup_attempts")
    op.drop_index("ix_followup_tasks_state_due", table_name="followup_tasks")
    op.drop_index("ix_followup_tasks_ticket", table_name="followup_tasks")
    with op.batch_alter_table("followup_tasks") as table:
        table.drop_column("satisfaction")
        table.drop_column("attempts")
        table.drop_column("state")
        table.drop_column("owner")
        table.create_unique_constraint("uq_followup_tasks_ticket_id", ["ticket_id"])
    op.drop_index("ix_tickets_callback_due", table_name="tickets")
    with op.batch_alter_table("tickets") as table:
        table.drop_column("callback_round")
        table.drop_column("callback_phone_sealed")
        table.drop_column("callback_due_at")
