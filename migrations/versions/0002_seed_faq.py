"""Seed the knowledge base with the FAQ entries the assistant is trained on.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTRIES = [
    {
        "key": "reset_password",
        "question_zh": "网银/手机银行登录密码忘了怎么重置？",
        "question_en": "How do I reset my online banking password?",
        "answer_zh": "您可以在手机银行登录页点击「忘记密码」，验证身份证件号、银行卡信息和预留手机号短信验证码后设置新密码；"
        "也可以携带本人身份证到任一网点柜台办理。连续输错 5 次密码会锁定 24 小时，重置后即可解锁。",
        "answer_en": "On the mobile or online banking login page, tap \"Forgot password\", verify your ID, "
        "card details and the SMS code sent to your registered phone, then set a new password. You can also "
        "reset it at any branch with your ID. Five wrong attempts lock the login for 24 hours; a reset unlocks it.",
    },
    {
        "key": "transfer_limit",
        "question_zh": "手机银行转账限额是多少？如何调整？",
        "question_en": "What is the transfer limit and how do I change it?",
        "answer_zh": "默认单笔限额 5 万元、日累计 20 万元（以短信验证码认证）。使用 U 盾或数字证书可提高至单笔 50 万元、日累计 100 万元。"
        "您可在手机银行「安全中心 - 限额管理」中调整，或携带身份证到网点办理。",
        "answer_en": "By default a single transfer is limited to CNY 50,000 and CNY 200,000 a day with SMS "
        "verification; with a USB key or digital certificate the limits rise to CNY 500,000 and CNY 1,000,000. "
        "Change them under Security Centre > Limits in the app, or at a branch with your ID.",
    },
    {
        "key": "card_activation",
        "question_zh": "新卡如何激活？",
        "question_en": "How do I activate my new card?",
        "answer_zh": "信用卡可在手机银行「信用卡 - 卡片激活」中输入卡号、有效期和预留手机号验证码激活，并设置交易密码；"
        "借记卡在网点领取时已激活，首次使用前请修改初始密码。",
        "answer_en": "Activate a credit card in the app under Credit Cards > Activate: enter the card number, "
        "expiry date and the SMS code, then set a transaction PIN. Debit cards are active when you collect them "
        "at the branch; change the initial PIN before first use.",
    },
    {
        "key": "branch_hours",
        "question_zh": "网点营业时间？",
        "question_en": "What are the branch opening hours?",
        "answer_zh": "大部分网点周一至周五 9:00-17:00 营业，部分网点周末 9:00-16:00 营业；法定节假日安排以网点公告为准。"
        "您可在手机银行「网点查询」中查看附近网点的具体营业时间并预约取号。",
        "answer_en": "Most branches open Monday to Friday 9:00-17:00, and some also open at weekends 9:00-16:00; "
        "public-holiday hours are posted at each branch. Use Branch Finder in the app to see a branch's hours "
        "and book a queue number.",
    },
    {
        "key": "credit_card_repayment",
        "question_zh": "信用卡怎么还款？",
        "question_en": "How do I repay my credit card?",
        "answer_zh": "您可在手机银行「信用卡 - 还款」中用本行借记卡或他行卡还款，也可设置自动还款（全额或最低还款额）。"
        "最低还款额一般为账单金额的 10%。请在到期还款日前还款，逾期将产生利息和违约金并影响征信。",
        "answer_en": "Repay in the app under Credit Cards > Repay from one of our debit cards or another bank's "
        "card, or set up automatic repayment (full or minimum amount). The minimum payment is usually 10% of "
        "the statement balance. Pay by the due date: late payment costs interest and fees and affects your credit record.",
    },
    {
        "key": "open_account",
        "question_zh": "如何开户？需要什么材料？",
        "question_en": "How do I open an account?",
        "answer_zh": "请携带本人有效身份证件和本人实名手机号到任一网点办理；也可在手机银行在线开立 II 类电子账户。"
        "未满 16 周岁需由监护人陪同并提供户口簿；外籍人士请携带护照。",
        "answer_en": "Bring valid ID and a mobile phone registered in your name to any branch, or open a "
        "Class II e-account online in the app. Customers under 16 come with a guardian and the household "
        "register; foreign nationals bring their passport.",
    },
]


def upgrade() -> None:
    table = sa.table(
        "kb_entries",
        sa.column("key", sa.String),
        sa.column("question_zh", sa.Text),
        sa.column("question_en", sa.Text),
        sa.column("answer_zh", sa.Text),
        sa.column("answer_en", sa.Text),
        sa.column("hits", sa.Integer),
    )
    op.bulk_insert(table, [{**entry, "hits": 0} for entry in ENTRIES])


def downgrade() -> None:
    keys = ", ".join(f"'{entry['key']}'" for entry in ENTRIES)
    op.execute(f"DELETE FROM kb_entries WHERE key IN ({keys})")  # noqa: S608
