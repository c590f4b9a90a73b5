"""Conversations that finish: a query code per ticket, and escalation risk as P1.

A ticket opened by the assistant gets a query code: the customer can ask about it from
another channel when no SMS one-time code can be sent. Only its keyed hash is kept for
checking, and the code itself sealed in the contact vault until the reply that tells
it is written (then it is erased). A complaint that threatens the regulator, the media
or a court (subcategory ``escalation_risk``) is P1.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULES = sa.table(
    "priority_rules",
    sa.column("category", sa.String),
    sa.column("subcategory", sa.String),
    sa.column("priority", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("tickets") as table:
        table.add_column(sa.Column("query_code_hash", sa.String(length=64), nullable=True))
        table.add_column(sa.Column("query_code_sealed", sa.Text(), nullable=True))
    op.execute(  # unless the bank has its own rule for it
        "INSERT INTO priority_rules (category, subcategory, priority) "
        "SELECT 'complaint', 'escalation_risk', 'P1' WHERE NOT EXISTS (SELECT 1 FROM "
        "priority_rules WHERE category = 'complaint' AND subcategory = 'escalation_risk')"
    )


def downgrade() -> None:
    op.execute(
        RULES.delete().where(
            RULES.c.category == "complaint", RULES.c.subcategory == "escalation_risk"
        )
    )
    with op.batch_alter_table("tickets") as table:
        table.drop_column("query_code_sealed")
        table.drop_column("query_code_hash")
