"""Governance: knowledge-base changes wait for a second person, the quality rubric in
phrases, appeals of a score, and review-due notices.

``kb_changes`` (proposed, approved or rejected), ``kb_versions.approved_by``,
``kb_entries.reviewed_at``; ``qa_rules`` gain phrases, trigger phrases, examples and an
``advanced`` flag (regular expressions): the shipped rules, unchanged, become phrases,
a rule someone edited keeps its expressions; ``qa_appeals``; ``staff_notices`` may be
about something other than a ticket (``subject``).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rules 0011 shipped, as their pattern was then, and the same rule in phrases.
SHIPPED = {
    "greeting": (
        r"您好|你好|hello|hi\b|good (morning|afternoon|evening)",
        ["您好", "你好", "hello", "hi", "good morning", "good afternoon", "good evening"],
        [],
    ),
    "identity_before_details": (
        r"核实|验证|身份|verify|identity|security question",
        ["核实", "验证", "身份", "verify", "identity", "security question"],
        ["余额", "账户明细", "交易记录", "流水", "balance", "statement", "transactions"],
    ),
    "risk_disclosure": (
        r"理财非存款|产品有风险|投资须谨慎|not a deposit|involves risk|may lose",
        ["理财非存款", "产品有风险", "投资须谨慎", "not a deposit", "involves risk", "may lose"],
        ["理财", "基金", "收益率", "wealth management", "investment", "fund"],
    ),
    "no_guaranteed_returns": (
        r"保本保收益|保本保息|稳赚不赔|零风险|保证收益|肯定赚|guaranteed (return|profit)|risk[- ]free|can'?t lose",
        [
            "保本保收益",
            "保本保息",
            "稳赚不赔",
            "零风险",
            "保证收益",
            "肯定赚",
            "guaranteed return",
            "guaranteed profit",
            "risk-free",
            "risk free",
            "can't lose",
            "cant lose",
        ],
        [],
    ),
    "empathy": (
        r"抱歉|对不起|理解|给您带来|sorry|apolog|understand",
        [
            "抱歉",
            "对不起",
            "理解",
            "给您带来",
            "sorry",
            "apologise",
            "apologize",
            "apology",
            "apologies",
            "understand",
        ],
        [],
    ),
}


def upgrade() -> None:
    op.create_table(
        "kb_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entry_key", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("proposed_by", sa.String(length=64), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, server_default="pending"),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("applied_version", sa.Integer(), nullable=True),
    )
    op.create_index("ix_kb_changes_state", "kb_changes", ["state", "id"])
    op.create_index("ix_kb_changes_key", "kb_changes", ["entry_key", "state"])
    with op.batch_alter_table("kb_versions") as table:
        table.add_column(sa.Column("approved_by", sa.String(length=64), nullable=True))
    with op.batch_alter_table("kb_entries") as table:
        table.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("qa_rules") as table:
        table.add_column(sa.Column("phrases", sa.JSON(), nullable=False, server_default="[]"))
        table.add_column(
            sa.Column("trigger_phrases", sa.JSON(), nullable=False, server_default="[]")
        )
        table.add_column(sa.Column("examples", sa.JSON(), nullable=False, server_default="[]"))
        table.add_column(
            sa.Column("advanced", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    bind = op.get_bind()
    for key, pattern, trigger in bind.execute(
        sa.text('SELECT key, pattern, "trigger" FROM qa_rules')
    ).all():
        shipped = SHIPPED.get(key)
        if shipped is not None and shipped[0] == pattern:
            bind.execute(
                sa.text(
                    "UPDATE qa_rules SET phrases = :phrases, trigger_phrases = :trigger "
                    "WHERE key = :key"
                ).bindparams(
                    sa.bindparam("phrases", type_=sa.JSON()),
                    sa.bindparam("trigger", type_=sa.JSON()),
                ),
                {"phrases": shipped[1], "trigger": shipped[2], "key": key},
            )
        elif pattern or trigger:
            bind.execute(
                sa.text("UPDATE qa_rules SET advanced = :yes WHERE key = :key"),
                {"yes": True, "key": key},
            )

    op.create_table(
        "qa_appeals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("review_id", sa.Integer(), sa.ForeignKey("qa_reviews.id"), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False, server_default="open"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.Text(), nullable=False, server_default=""),
        sa.Column("old_total", sa.Float(), nullable=True),
        sa.UniqueConstraint("review_id"),
    )
    op.create_index("ix_qa_appeals_state", "qa_appeals", ["state", "id"])

    with op.batch_alter_table("staff_notices") as table:
        table.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)
        table.add_column(sa.Column("subject", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_notices") as table:
        table.drop_column("subject")
    op.drop_index("ix_qa_appeals_state", table_name="qa_appeals")
    op.drop_table("qa_appeals")
    with op.batch_alter_table("qa_rules") as table:
        for column in ("advanced", "examples", "trigger_phrases", "phrases"):
            table.drop_column(column)
    with op.batch_alter_table("kb_entries") as table:
        table.drop_column("reviewed_at")
    with op.batch_alter_table("kb_versions") as table:
        table.drop_column("approved_by")
    op.drop_table("kb_changes")
