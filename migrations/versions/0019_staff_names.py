"""What customers see of a member of staff: a display name and a staff number (工号),
never the login name.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as table:
        table.add_column(sa.Column("display_name", sa.String(length=32), nullable=True))
        table.add_column(sa.Column("staff_number", sa.String(length=16), nullable=True))
        table.create_unique_constraint("uq_users_staff_number", ["staff_number"])


def downgrade() -> None:
    with op.batch_alter_table("users") as table:
        table.drop_constraint("uq_users_staff_number", type_="unique")
        table.drop_column("staff_number")
        table.drop_column("display_name")
