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


@dataclass(frozen=True, slots=True)
class Kind:
    key: str
    days: int  # the default; 0 keeps it until it is erased
    title_zh: str
    title_en: str
    rule: str  # why the default is what it is (docs/privacy.md repeats it)


KINDS: tuple[Kind, ...] = (
    Kind(
        "transcripts",
        1095,
        "会话记录（消息、转人工）",
        "Transcripts (messages, handoffs)",
        "Service records, kept for complaint review and supervisory inspection; PIPL art. 19 "
        "(no longer than needed). Counted from the conversation's last message; a "
        "conversation with an open ticket is kept.",
    ),
    Kind(
        "tickets",
        1825,
        "工单、处理记录与备注",
        "Tickets, their history and notes",
        "Complaint and service files; five years, as identity and transaction records are "
        "kept under the 2022 customer due-diligence and record-keeping measures. Counted "
        "from resolution or closure.",
    ),
    Kind(
        "call_logs",
        1825,
        "回访任务与通话记录",
        "回访 tasks and call logs",
        "Follow-up visits are part of the complaint file (same as tickets). Counted from "
        "the task's last attempt.",
    ),
    Kind(
        "surveys",
        1095,
        "满意度评价",
        "Satisfaction answers",
        "Kept as long as the transcripts they rate; the service-target figures need them.",
    ),
    Kind(
        "quality",
        1095,
        "质检结果",
        "Quality flags, scores and appeals",
        "Derived from transcripts; kept as long as they are.",
    ),
    Kind(
        "deliveries",
        90,
        "发送记录",
        "Delivery attempts",
        "Operational: enough to investigate a lost reply; the message itself is a transcript.",
    ),
    Kind(
        "contact_vault",
        30,
        "联系方式保管库（身份核验）",
        "Contact vault (identity checks)",
        "Identity checks are kept 30 days; a customer's sealed number and key go when no "
        "conversation or ticket of theirs is left (PIPL art. 19).",
    ),
    Kind(
        "kb_queries",
        365,
        "知识库提问记录",
        "Knowledge-base questions and picks",
        "Masked questions, used to find gaps and to learn; a year of seasons is enough.",
    ),
    Kind(
        "audit",
        1825,
        "审计日志",
        "Audit trail",
        "Who read or changed personal data (PIPL art. 54 audits); at least six months under "
        "the Cybersecurity Law art. 21; five years, like the records it is about. Pruned "
        "behind a checkpoint, so the rest still verifies.",
    ),
    Kind(
        "logs",
        180,
        "日志文件",
        "Log files",
        "Cybersecurity Law art. 21: network logs kept no less than six months.",
    ),
    Kind(
        "operational",
        90,
        "运行记录",
        "Operational bookkeeping",
        "Claims of scheduled jobs; no personal data.",
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
    if kind == "audit" and 0 < value < 183:
        raise PolicyError("the audit trail is kept at least 183 days (Cybersecurity Law art. 21)")
    if kind == "logs" and 0 < value < 183:
        raise PolicyError("log files are kept at least 183 days (Cybersecurity Law art. 21)")
    before = days(session)[kind]
    values = {"days": value, "updated_by": actor, "updated_at": utcnow()}
    upsert(session, RetentionRule, {"kind": kind}, values)
    return f"{kind}: days {before} → {value}"
