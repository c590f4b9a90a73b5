"""quality inspection: rubric, automatic flags, supervisors' reviews

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULES = [
    {
        "key": "greeting",
        "title_zh": "规范问候",
        "title_en": "Greets the customer",
        "kind": "greeting",
        "pattern": r"您好|你好|hello|hi\b|good (morning|afternoon|evening)",
        "trigger": "",
        "weight": 1,
    },
    {
        "key": "identity_before_details",
        "title_zh": "先核实身份再告知账户信息",
        "title_en": "Verifies identity before account details",
        "kind": "identity",
        "pattern": r"核实|验证|身份|verify|identity|security question",
        "trigger": r"余额|账户明细|交易记录|流水|balance|statement|transactions",
        "weight": 3,
    },
    {
        "key": "risk_disclosure",
        "title_zh": "理财产品风险提示",
        "title_en": "Discloses investment risk",
        "kind": "disclosure",
        "pattern": r"理财非存款|产品有风险|投资须谨慎|not a deposit|involves risk|may lose",
        "trigger": r"理财|基金|收益率|wealth management|investment|fund",
        "weight": 3,
    },
    {
        "key": "no_guaranteed_returns",
        "title_zh": "禁止承诺保本保收益",
        "title_en": "Never promises guaranteed returns",
        "kind": "forbidden",
        "pattern": r"保本保收益|保本保息|稳赚不赔|零风险|保证收益|肯定赚|guaranteed (return|profit)|risk[- ]free|can'?t lose",
        "trigger": "",
        "weight": 5,
    },
    {
        "key": "empathy",
        "title_zh": "对情绪激动的客户表达歉意与理解",
        "title_en": "Shows empathy to an upset customer",
        "kind": "empathy",
        "pattern": r"抱歉|对不起|理解|给您带来|sorry|apolog|understand",
        "trigger": "",
        "weight": 2,
    },
    {
        "key": "resolution",
        "title_zh": "问题得到解决或明确后续",
        "title_en": "Resolves the issue or sets clear next steps",
        "kind": "manual",
        "pattern": "",
        "trigger": "",
        "weight": 3,
    },
]


def upgrade() -> None:
    rules = op.create_table(
        "qa_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("pattern", sa.Text(), nullable=False),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.bulk_insert(rules, RULES)
    op.create_table(
        "qa_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("rule_key", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"]),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("handoff_id", "rule_key"),
    )
    op.create_table(
        "qa_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("qa_reviews")
    op.drop_table("qa_flags")
    op.drop_table("qa_rules")
