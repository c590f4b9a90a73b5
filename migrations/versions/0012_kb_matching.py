"""knowledge-base matching: every question the matcher saw (answered, "did you mean",
unanswered) in kb_queries; similar questions for the seeded entries

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIMILAR = {
    "reset_password": {
        "zh": [
            "网银密码忘了怎么办",
            "怎么重置手机银行登录密码",
            "登录密码忘记了",
            "如何修改网上银行密码",
            "手机银行密码锁了怎么解锁",
            "忘记密码怎么找回",
            "网银登录密码怎么重置",
            "密码输错被锁定了",
        ],
        "en": [
            "How do I reset my online banking password?",
            "I forgot my online banking password",
            "how can I change my mobile banking password",
            "reset my login password",
            "my password is locked, how do I unlock it",
            "forgot password",
            "I can't log in, wrong password",
            "how to recover my internet banking password",
        ],
    },
    "transfer_limit": {
        "zh": [
            "手机银行转账限额是多少",
            "每天最多能转多少钱",
            "转账额度怎么调整",
            "单笔转账上限是多少",
            "怎么提高转账限额",
            "网银转账有没有限额",
            "日累计转账限额",
            "转账提示超过限额怎么办",
        ],
        "en": [
            "what is the daily transfer limit",
            "how much can I transfer per day",
            "how do I raise my transfer limit",
            "maximum amount for a single transfer",
            "my transfer exceeded the limit",
            "change my mobile banking transfer limit",
            "is there a limit on online transfers",
            "transfer limit",
        ],
    },
    "card_activation": {
        "zh": [
            "新卡怎么激活",
            "信用卡如何激活",
            "收到新卡要怎么开卡",
            "激活信用卡",
            "新信用卡怎么用",
            "怎么开通新卡",
            "借记卡需要激活吗",
            "新卡激活步骤",
        ],
        "en": [
            "how do I activate my new card",
            "activate my credit card",
            "I received my new card, what now",
            "card activation",
            "how to activate a debit card",
            "my card activation failed",
            "steps to activate a new credit card",
            "can I activate my card in the app",
        ],
    },
    "branch_hours": {
        "zh": [
            "网点几点开门",
            "营业时间是什么时候",
            "周末网点营业吗",
            "银行几点下班",
            "你们营业厅几点关门",
            "节假日网点开不开",
            "网点营业时间",
            "最近的网点在哪里",
        ],
        "en": [
            "what are your branch opening hours",
            "when does the branch open",
            "are branches open on weekends",
            "what time does the bank close",
            "branch hours",
            "is the branch open on public holidays",
            "where is the nearest branch",
            "can I visit a branch on Saturday",
        ],
    },
    "credit_card_repayment": {
        "zh": [
            "信用卡怎么还款",
            "信用卡还款日是哪天",
            "怎么设置自动还款",
            "信用卡最低还款是多少",
            "逾期还款会怎样",
            "还款方式有哪些",
            "信用卡账单怎么查",
            "可以用别的银行卡还信用卡吗",
        ],
        "en": [
            "how do I pay my credit card bill",
            "when is my credit card payment due",
            "set up automatic repayment",
            "what is the minimum payment",
            "what happens if I pay late",
            "ways to repay my credit card",
            "how do I check my statement",
            "can I repay from another bank's card",
        ],
    },
    "open_account": {
        "zh": [
            "怎么开户",
            "开银行卡需要带什么",
            "办卡需要什么材料",
            "可以在线开户吗",
            "开一个储蓄账户要多久",
            "外国人可以开户吗",
            "开户需要本人去网点吗",
            "办一张借记卡",
        ],
        "en": [
            "how do I open an account",
            "what do I need to open a bank account",
            "can I open an account online",
            "documents required to open an account",
            "can foreigners open an account",
            "I want to open a savings account",
            "do I need to visit a branch to open an account",
            "how long does it take to open an account",
        ],
    },
}


def upgrade() -> None:
    op.create_table(
        "kb_queries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("best_key", sa.String(length=64), nullable=True),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("chosen_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kb_queries_conversation", "kb_queries", ["conversation_id", "id"])
    op.create_index("ix_kb_queries_decision", "kb_queries", ["decision", "created_at"])
    entries = sa.table(
        "kb_entries",
        sa.column("key", sa.String),
        sa.column("similar_zh", sa.JSON),
        sa.column("similar_en", sa.JSON),
    )
    bind = op.get_bind()
    for key, similar in SIMILAR.items():
        row = bind.execute(
            sa.select(entries.c.similar_zh, entries.c.similar_en).where(entries.c.key == key)
        ).first()
        if row is None or (row[0] or row[1]):
            continue  # gone, or staff already wrote similar questions
        bind.execute(
            entries.update()
            .where(entries.c.key == key)
            .values(similar_zh=similar["zh"], similar_en=similar["en"])
        )


def downgrade() -> None:
    op.drop_index("ix_kb_queries_decision", table_name="kb_queries")
    op.drop_index("ix_kb_queries_conversation", table_name="kb_queries")
    op.drop_table("kb_queries")
