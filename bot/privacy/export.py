"""Access (PIPL art. 45): everything held about one customer, as JSON and as a readable
document in Chinese or English. Staff names are left out (what the customer saw: an
agent); the phone number is given in full when the vault can open it (it is theirs)."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.contact_vault import ContactVault, VaultError
from bot.core.models import (
    Conversation,
    Customer,
    Followup,
    FollowupAttempt,
    FollowupTask,
    IdentityCheck,
    KbQuery,
    Message,
    SurveyResponse,
    Ticket,
    TicketEvent,
    VipCustomer,
    utcnow,
)
from bot.privacy.subjects import Subject

FROM = {"customer": "customer", "bot": "assistant", "agent": "agent", "system": "service"}


def _at(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def collect(session: Session, vault: ContactVault | None, subject: Subject) -> dict[str, Any]:
    """Everything held about ``subject``, in one JSON-ready dictionary."""
    ids = subject.conversation_ids
    out: dict[str, Any] = {"generated_at": _at(utcnow()), "subject": subject.label}
    customer = (
        session.get(Customer, subject.customer_id) if subject.customer_id is not None else None
    )
    if customer is not None:
        phone = f"**** {customer.phone_tail}"
        if vault is not None:
            try:
                phone = vault.open(customer.phone_sealed, session.connection())
            except VaultError:
                pass
        out["customer"] = {"phone": phone, "since": _at(customer.created_at)}
    conversations = list(
        session.scalars(
            select(Conversation).where(Conversation.id.in_(ids)).order_by(Conversation.id)
        )
    )
    vips = {
        (v.channel, v.external_user_id)
        for v in session.scalars(select(VipCustomer))
        if any(
            v.channel == c.channel and v.external_user_id == c.external_user_id
            for c in conversations
        )
    }
    out["conversations"] = [
        {
            "channel": c.channel,
            "started": _at(c.created_at),
            "last_message": _at(c.last_message_at),
            "language": c.language,
            "vip": (c.channel, c.external_user_id) in vips,
            "opted_out": _at(c.opted_out_at),
            "surveys_declined": _at(c.survey_opt_out_at),
            "messages": [
                {
                    "at": _at(m.created_at),
                    "from": FROM.get(m.sender, m.sender),
                    "kind": m.kind,
                    "text": m.text,
                }
                for m in session.scalars(
                    select(Message).where(Message.conversation_id == c.id).order_by(Message.id)
                )
            ],
        }
        for c in conversations
    ]
    tickets = list(
        session.scalars(select(Ticket).where(Ticket.conversation_id.in_(ids)).order_by(Ticket.id))
    )
    ticket_ids = [t.id for t in tickets]
    numbers = {t.id: t.number for t in tickets}
    out["tickets"] = [
        {
            "number": t.number,
            "category": t.category,
            "subcategory": t.subcategory,
            "priority": t.priority,
            "status": t.status,
            "description": t.description,
            "opened": _at(t.created_at),
            "first_response": _at(t.first_responded_at),
            "resolved": _at(t.resolved_at),
            "closed": _at(t.closed_at),
            "call_back_promised_by": _at(t.callback_due_at),
            "history": [
                {
                    "at": _at(e.at),
                    "what": e.action,
                    "from": e.from_value,
                    "to": e.to_value,
                    "text": e.body,
                }
                for e in session.scalars(
                    select(TicketEvent)
                    .where(TicketEvent.ticket_id == t.id)
                    .order_by(TicketEvent.id)
                )
            ],
        }
        for t in tickets
    ]
    tasks = list(
        session.scalars(
            select(FollowupTask)
            .where(FollowupTask.ticket_id.in_(ticket_ids))
            .order_by(FollowupTask.id)
        )
    )
    out["follow_up_visits"] = [
        {
            "ticket": numbers.get(task.ticket_id),
            "reason": task.reason,
            "due": _at(task.due_at),
            "state": task.state,
            "satisfaction": task.satisfaction,
            "calls": [
                {
                    "at": _at(a.at),
                    "result": a.result,
                    "satisfaction": a.satisfaction,
                    "note": a.note,
                }
                for a in session.scalars(
                    select(FollowupAttempt)
                    .where(FollowupAttempt.task_id == task.id)
                    .order_by(FollowupAttempt.number)
                )
            ],
        }
        for task in tasks
    ]
    out["surveys"] = [
        {
            "ticket": numbers.get(s.ticket_id),
            "score": s.score,
            "comment": s.comment,
            "at": _at(s.created_at),
        }
        for s in session.scalars(
            select(SurveyResponse)
            .where(SurveyResponse.ticket_id.in_(ticket_ids))
            .order_by(SurveyResponse.id)
        )
    ]
    out["confirmations"] = [
        {
            "ticket": numbers.get(f.ticket_id),
            "kind": f.kind,
            "asked": _at(f.created_at),
            "answer": f.answer,
            "answered": _at(f.answered_at),
        }
        for f in session.scalars(
            select(Followup).where(Followup.conversation_id.in_(ids)).order_by(Followup.id)
        )
    ]
    out["identity_checks"] = [
        {"at": _at(i.created_at), "state": i.state}
        for i in session.scalars(
            select(IdentityCheck)
            .where(IdentityCheck.conversation_id.in_(ids))
            .order_by(IdentityCheck.id)
        )
    ]
    out["knowledge_base_questions"] = [
        {"at": _at(q.created_at), "text": q.text, "decision": q.decision, "picked": q.chosen_key}
        for q in session.scalars(
            select(KbQuery).where(KbQuery.conversation_id.in_(ids)).order_by(KbQuery.id)
        )
    ]
    return out


WORDS = {
    "title": ("个人信息副本", "Copy of your personal information"),
    "intro": (
        "根据《个人信息保护法》第四十五条，以下是我们保存的与您有关的全部信息。",
        "Under art. 45 of the Personal Information Protection Law, this is everything we "
        "hold about you.",
    ),
    "generated_at": ("生成时间", "Generated"),
    "customer": ("客户", "Customer"),
    "phone": ("手机号码", "Phone number"),
    "since": ("登记时间", "Known since"),
    "conversations": ("会话", "Conversations"),
    "channel": ("渠道", "Channel"),
    "started": ("开始", "Started"),
    "tickets": ("工单", "Tickets"),
    "history": ("处理记录", "History"),
    "follow_up_visits": ("回访", "Follow-up visits"),
    "surveys": ("满意度评价", "Satisfaction surveys"),
    "confirmations": ("解决确认", "Confirmations"),
    "identity_checks": ("身份核验", "Identity checks"),
    "knowledge_base_questions": ("知识库提问", "Questions to the knowledge base"),
    "none": ("无", "None"),
    "customer_from": ("您", "You"),
    "assistant": ("智能助手", "Assistant"),
    "agent": ("客服", "Agent"),
    "service": ("系统", "Service"),
    # column heads
    "at": ("时间", "When"),
    "what": ("事项", "What"),
    "from": ("原值", "From"),
    "to": ("新值", "To"),
    "text": ("内容", "Text"),
    "result": ("结果", "Result"),
    "satisfaction": ("满意度", "Satisfaction"),
    "note": ("记录", "Note"),
    "ticket": ("工单", "Ticket"),
    "score": ("评分", "Score"),
    "comment": ("评价", "Comment"),
    "kind": ("类型", "Kind"),
    "answer": ("回答", "Answer"),
    "answered": ("回答时间", "Answered"),
    "asked": ("询问时间", "Asked"),
    "state": ("状态", "State"),
    "decision": ("结果", "Outcome"),
    "picked": ("所选", "Picked"),
}


# codes the page names in words
NAMES = {
    "webchat": ("网页在线客服", "Web chat"),
    "wechat": ("微信公众号", "WeChat"),
    "wecom": ("微信客服", "WeCom"),
    "sms": ("短信", "SMS"),
    "telegram": ("Telegram", "Telegram"),
    "complaint": ("投诉", "Complaint"),
    "suggestion": ("建议", "Suggestion"),
    "inquiry": ("咨询", "Inquiry"),
    "incident": ("紧急事件", "Urgent incident"),
    "new": ("新建", "New"),
    "open": ("处理中", "Open"),
    "pending_customer": ("待客户回复", "Waiting for you"),
    "resolved": ("已解决", "Resolved"),
    "closed": ("已关闭", "Closed"),
}


def document(data: dict[str, Any], language: str, zone: ZoneInfo) -> str:
    """The export as one HTML page a person can read and print (``language`` zh or en)."""
    en = language == "en"

    def w(key: str) -> str:
        return WORDS[key][1 if en else 0]

    def when(value: str | None) -> str:
        if not value:
            return "—"
        return datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M")

    def e(value: Any) -> str:
        return html.escape("" if value is None else str(value))

    def n(code: str | None) -> str:
        return e(NAMES[code][1 if en else 0] if code in NAMES else code)

    def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
        if not rows:
            return f"<p>{w('none')}</p>"
        head = "".join(f"<th>{w(c)}</th>" for c in columns)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td>{when(r.get(c)) if c in ('at', 'due', 'asked', 'answered') else e(r.get(c))}</td>"
                for c in columns
            )
            + "</tr>"
            for r in rows
        )
        return f"<table><tr>{head}</tr>{body}</table>"

    who = {
        "customer": w("customer_from"),
        "assistant": w("assistant"),
        "agent": w("agent"),
        "service": w("service"),
    }
    parts = [
        f"<!doctype html><html lang='{'en' if en else 'zh-CN'}'><meta charset='utf-8'>",
        f"<title>{w('title')}</title>",
        "<style>body{font:14px/1.6 system-ui,'Noto Sans CJK SC',sans-serif;max-width:900px;"
        "margin:2em auto;padding:0 1em;color:#222}h1{font-size:22px}h2{font-size:18px;"
        "border-bottom:1px solid #ddd;margin-top:2em}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}"
        ".m{margin:4px 0}.who{color:#555;font-size:12px}</style>",
        f"<h1>{w('title')}</h1><p>{w('intro')}</p>",
        f"<p>{w('generated_at')}: {when(data.get('generated_at'))}</p>",
    ]
    customer = data.get("customer")
    if customer:
        parts.append(
            f"<h2>{w('customer')}</h2><p>{w('phone')}: {e(customer['phone'])}<br>"
            f"{w('since')}: {when(customer['since'])}</p>"
        )
    parts.append(f"<h2>{w('conversations')}</h2>")
    for c in data["conversations"]:
        parts.append(
            f"<h3>{w('channel')}: {n(c['channel'])} · {w('started')} {when(c['started'])}</h3>"
        )
        for m in c["messages"]:
            parts.append(
                f"<div class='m'><span class='who'>{when(m['at'])} · "
                f"{e(who.get(m['from'], m['from']))}</span><br>{e(m['text'])}</div>"
            )
    parts.append(f"<h2>{w('tickets')}</h2>")
    for t in data["tickets"]:
        parts.append(
            f"<h3>{e(t['number'])} · {n(t['category'])} · {e(t['priority'])} · {n(t['status'])}</h3>"
            f"<p>{e(t['description'])}</p>"
        )
        parts.append(table(t["history"], ["at", "what", "from", "to", "text"]))
    parts.append(f"<h2>{w('follow_up_visits')}</h2>")
    for task in data["follow_up_visits"]:
        parts.append(f"<h3>{e(task['ticket'])} · {e(task['state'])}</h3>")
        parts.append(table(task["calls"], ["at", "result", "satisfaction", "note"]))
    if not data["follow_up_visits"]:
        parts.append(f"<p>{w('none')}</p>")
    parts.append(f"<h2>{w('surveys')}</h2>")
    parts.append(table(data["surveys"], ["at", "ticket", "score", "comment"]))
    parts.append(f"<h2>{w('confirmations')}</h2>")
    parts.append(table(data["confirmations"], ["asked", "ticket", "kind", "answer", "answered"]))
    parts.append(f"<h2>{w('identity_checks')}</h2>")
    parts.append(table(data["identity_checks"], ["at", "state"]))
    parts.append(f"<h2>{w('knowledge_base_questions')}</h2>")
    parts.append(table(data["knowledge_base_questions"], ["at", "text", "decision", "picked"]))
    parts.append("</html>")
    return "\n".join(parts)
