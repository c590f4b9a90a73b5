"""Canned replies kept in the database, per team (none: every team), in Chinese and
English, with variables ({customer}, {ticket}, {agent}); the five replies the console
shipped with become the shared set.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 22:20:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHIPPED = [
    (
        "问候",
        "Greeting",
        "{customer}您好，我是{agent}，很高兴为您服务，请问有什么可以帮您？",
        "Hello, this is {agent}. What can I do for you?",
    ),
    (
        "核实身份",
        "Verify identity",
        "为保护您的账户安全，请先提供预留手机号后四位以核实身份。",
        "To protect your account, please give the last four digits of your registered phone number.",
    ),
    (
        "冻结卡片",
        "Card frozen",
        "已为您临时冻结该卡，冻结后卡片无法交易，补卡可在手机银行或网点办理。",
        "The card is now frozen and cannot be used; you can order a replacement in the app or at a branch.",
    ),
    ("请稍候", "One moment", "正在为您查询，请稍候。", "I am checking this for you, one moment please."),
    (
        "工单进度",
        "Ticket progress",
        "您的工单 {ticket} 正在处理中，有进展会第一时间通知您。",
        "Your ticket {ticket} is being worked on; we will tell you as soon as there is news.",
    ),
    (
        "结束语",
        "Closing",
        "感谢您的耐心，还有其他可以帮您的吗？",
        "Thank you for your patience. Is there anything else I can help with?",
    ),
]


def upgrade() -> None:
    table = op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("title_zh", sa.String(length=64), nullable=False),
        sa.Column("title_en", sa.String(length=64), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_canned_replies_team", "canned_replies", ["team", "position"])
    now = datetime.now(UTC)
    op.bulk_insert(
        table,
        [
            {
                "team": None,
                "title_zh": title_zh,
                "title_en": title_en,
                "body_zh": body_zh,
                "body_en": body_en,
                "position": n,
                "updated_by": "system",
                "updated_at": now,
            }
            for n, (title_zh, title_en, body_zh, body_en) in enumerate(SHIPPED)
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_canned_replies_team", table_name="canned_replies")
    op.drop_table("canned_replies")
