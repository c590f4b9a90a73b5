"""How long each kind of data is kept: documented defaults, each beside the rule it
follows, changed per bank in ``retention_rules`` (the staff app, or
``python -m bot privacy retention set``). Days count from when the data stopped
changing: a conversation's last message, a ticket's resolution, a 回访's last call."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.db import upsert
from bot.core.models import RetentionRule, utcnow

SIX_MONTHS = 184  # the longest six months of a year, in days


@dataclass(frozen=True, slots=True)
class Kind:
    key: str
    days: int  # the default; 0 keeps it until it is erased
    title_zh: str
    title_en: str
    rule: str  # why the default is what it is (docs/privacy.md repeats it)
    rule_zh: str = ""


KINDS: tuple[Kind, ...] = (
    Kind(
        "transcripts",
        1095,
        "会话记录（消息、转人工）",
        "Transcripts (messages, handoffs)",
        "Service records, kept for complaint review and supervisory inspection; PIPL art. 19 "
        "(no longer than needed). Counted from the conversation's last message; a "
        "conversation with an open ticket is kept.",
        "服务记录，供投诉复核与监管检查使用；《个人信息保护法》第十九条：保存期限为实现目的所必要的最短时间。自会话最后一条消息起算；有未结工单的会话不清理。",
    ),
    Kind(
        "tickets",
        1825,
        "工单、处理记录与备注",
        "Tickets, their history and notes",
        "Complaint and service files; five years, as identity and transaction records are "
        "kept under the 2022 customer due-diligence and record-keeping measures. Counted "
        "from resolution or closure.",
        "投诉与服务档案；参照 2022 年《金融机构客户尽职调查和客户身份资料及交易记录保存管理办法》保存五年。自解决或关闭起算。",
    ),
    Kind(
        "call_logs",
        1825,
        "回访任务与通话记录",
        "回访 tasks and call logs",
        "Follow-up visits are part of the complaint file (same as tickets). Counted from "
        "the task's last attempt.",
        "回访属于投诉档案的一部分（与工单相同）。自最后一次回访起算。",
    ),
    Kind(
        "surveys",
        1095,
        "满意度评价",
        "Satisfaction answers",
        "Kept as long as the transcripts they rate; the service-target figures need them.",
        "与所评价的会话记录保存同样长的时间；服务指标需要它们。",
    ),
    Kind(
        "quality",
        1095,
        "质检结果",
        "Quality flags, scores and appeals",
        "Derived from transcripts; kept as long as they are.",
        "由会话记录派生，与之保存同样长的时间。",
    ),
    Kind(
        "deliveries",
        90,
        "发送记录",
        "Delivery attempts",
        "Operational: enough to investigate a lost reply; the message itself is a transcript.",
        "运行数据：足以排查丢失的回复；消息本身属于会话记录。",
    ),
    Kind(
        "contact_vault",
        30,
        "联系方式保管库（身份核验）",
        "Contact vault (identity checks)",
        "Identity checks are kept 30 days; a customer's sealed number and key go when no "
        "conversation or ticket of theirs is left (PIPL art. 19).",
        "身份核验记录保存 30 天；客户的加密号码及其密钥在其会话和工单都不存在后删除（第十九条）。",
    ),
    Kind(
        "kb_queries",
        365,
        "知识库提问记录",
        "Knowledge-base questions and picks",
        "Masked questions, used to find gaps and to learn; a year of seasons is enough.",
        "已脱敏的提问，用于发现知识缺口和学习；保存一年足以覆盖各季节。",
    ),
    Kind(
        "audit",
        1825,
        "审计日志",
        "Audit trail",
        "Who read or changed personal data (PIPL art. 54 audits); at least six months under "
        "the Cybersecurity Law art. 21; five years, like the records it is about. Pruned "
        "behind a checkpoint, so the rest still verifies.",
        "谁查看或修改了个人信息（第五十四条合规审计）；《网络安全法》第二十一条要求至少六个月；与其记录的对象一样保存五年。清理时留下检查点，其余部分仍可验证。",
    ),
    Kind(
        "logs",
        SIX_MONTHS,
        "日志文件",
        "Log files",
        "Cybersecurity Law art. 21: network logs kept no less than six months.",
        "《网络安全法》第二十一条：网络日志留存不少于六个月。",
    ),
    Kind(
        "operational",
        90,
        "运行记录",
        "Operational bookkeeping",
        "Claims of scheduled jobs; no personal data.",
        "定时任务的认领记录；不含个人信息。",
    ),
)
BY_KEY = {kind.key: kind for kind in KINDS}
MAX_DAYS = 36500


class PolicyError(ValueError):
    pass


def days(session: Session) -> dict[str, int]:
    """The days in force per kind: the bank's setting, else the default."""
    chosen = {kind.key: kind.days for kind in KINDS}
    for rule in session.scalars(select(RetentionRule)):
        if rule.kind in chosen:
            chosen[rule.kind] = rule.days
    return chosen


def set_days(session: Session, kind: str, value: int, actor: str) -> str:
    """Change one kind's retention; returns what changed, for the audit trail."""
    if kind not in BY_KEY:
        raise PolicyError(f"unknown kind of data {kind!r}; one of {', '.join(BY_KEY)}")
    if not 0 <= value <= MAX_DAYS:
        raise PolicyError(f"days must be 0 (keep until erased) to {MAX_DAYS}")
    if kind in ("audit", "logs") and 0 < value < SIX_MONTHS:
        raise PolicyError(
            f"{kind} are kept at least {SIX_MONTHS} days (six months: Cybersecurity Law art. 21)"
            f" / 至少保存 {SIX_MONTHS} 天（《网络安全法》第二十一条：不少于六个月）"
        )
    before = days(session)[kind]
    values = {"days": value, "updated_by": actor, "updated_at": utcnow()}
    upsert(session, RetentionRule, {"kind": kind}, values)
    return f"{kind}: days {before} → {value}"
