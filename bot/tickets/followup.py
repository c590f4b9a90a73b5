"""After resolution: ask the customer to confirm, then a satisfaction survey, then 回访.

- Resolved → the customer is asked "solved? 1 yes / 2 no" on their own channel. "1"
  (or silence past ``confirm_silence``) closes the ticket; "2" reopens it.
- Closed → a survey "1–5, with a comment" unless the customer declined surveys
  ("0" / 不参与 records that opt-out). A score of 2 or less reopens the ticket and
  opens a 回访 task for a person to call back.
- Closed → a 回访 task from the matching plan (by category and customer tier), worked
  in the 回访 worklist (``bot.tickets.revisits``, which also counts coverage).

The customer's answers are caught here, before the assistant sees them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access.disclosure import same_customer
from bot.core.lang import pick
from bot.core.models import (
    Conversation,
    Followup,
    FollowupPlan,
    FollowupTask,
    SurveyResponse,
    Ticket,
    utcnow,
)
from bot.pipeline.outgoing import queue_message

CONFIRM_SILENCE = timedelta(hours=72)
SURVEY_EXPIRY = timedelta(days=7)
YES = re.compile(r"^\s*(1|是|是的|已解决|解决了|yes|y|solved)\s*[。.!！]?\s*$", re.IGNORECASE)
NO = re.compile(r"^\s*(2|否|没有|未解决|没解决|no|n|not solved)\s*[。.!！]?\s*$", re.IGNORECASE)
SCORE = re.compile(
    r"^\s*([1-5])\s*(?:分|stars?|points?)?\s*[,，。.、:：\s]*(.*)$", re.IGNORECASE | re.DOTALL
)
DECLINE = re.compile(r"^\s*(0|不参与|不评价|退订调查|no survey)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Handled:
    """What the follow-up made of a customer's message: replies, and a status change."""

    replies: tuple[str, ...]
    ticket_number: str | None = None
    move_to: str | None = None  # the ticket's next status, applied by the caller


# Quick replies where the channel shows them (web chat, Telegram); the text says the
# same numbers for the others.
CONFIRM_BUTTONS = (("1 已解决", "1 Solved", "1"), ("2 未解决", "2 Not solved", "2"))
SURVEY_BUTTONS = (
    ("5 非常满意", "5 Very satisfied", "5"),
    ("4 满意", "4 Satisfied", "4"),
    ("3 一般", "3 Neutral", "3"),
    ("2 不满意", "2 Unsatisfied", "2"),
    ("1 非常不满意", "1 Very unsatisfied", "1"),
    ("不参与评价", "Skip surveys", "0"),
)


def _ask(
    session: Session, ticket: Ticket, conversation: Conversation, kind: str, zh: str, en: str
) -> None:
    """Send the customer a follow-up question and remember that an answer is awaited."""
    expires = CONFIRM_SILENCE if kind == "confirm" else SURVEY_EXPIRY
    choices = CONFIRM_BUTTONS if kind == "confirm" else SURVEY_BUTTONS
    buttons = [
        {"title": pick(conversation.language, title_zh, title_en), "payload": payload}
        for title_zh, title_en, payload in choices
    ]
    queue_message(
        session, conversation, pick(conversation.language, zh, en), "bot", buttons=buttons
    )
    session.add(
        Followup(
            ticket_id=ticket.id,
            conversation_id=conversation.id,
            kind=kind,
            expires_at=utcnow() + expires,
        )
    )


def _ask_confirm(session: Session, ticket: Ticket, conversation: Conversation) -> None:
    _ask(
        session,
        ticket,
        conversation,
        "confirm",
        f"您的工单 {ticket.number} 已处理完毕。问题已解决请回复「1」，仍未解决请回复「2」。",
        f"Your ticket {ticket.number} has been resolved. Reply 1 if your problem is solved, 2 if it is not.",
    )


def ask_survey(session: Session, ticket: Ticket, conversation: Conversation) -> None:
    if conversation.survey_opt_out_at is not None:
        return
    _ask(
        session,
        ticket,
        conversation,
        "survey",
        f"请为工单 {ticket.number} 的服务打分：回复 1-5（5 分最满意），可在分数后附上意见；回复「0」表示不参与评价。",
        f"How did we do with ticket {ticket.number}? Reply 1-5 (5 is best), optionally followed by a comment; reply 0 to skip surveys.",
    )


def _plan_for(session: Session, category: str, tier: str) -> FollowupPlan | None:
    plans = list(session.scalars(select(FollowupPlan).where(FollowupPlan.active.is_(True))))
    ranked = sorted(
        (p for p in plans if p.category in (category, "*") and p.tier in (tier, "*")),
        key=lambda p: (p.category == "*", p.tier == "*"),
    )
    return ranked[0] if ranked else None


def _schedule_task(session: Session, ticket: Ticket, tier: str, reason: str = "plan") -> None:
    """A 回访 task for the ticket's owner: one from the plan per ticket, and one after a
    low score unless a task is still open."""
    plan = _plan_for(session, ticket.category, tier)
    if plan is None:
        return
    existing = select(FollowupTask.id).where(FollowupTask.ticket_id == ticket.id)
    if reason == "plan":
        existing = existing.where(FollowupTask.reason == "plan")
    else:
        existing = existing.where(FollowupTask.state == "open")
    if session.scalar(existing.limit(1)) is not None:
        return
    due = utcnow() + (timedelta(0) if reason == "low_score" else timedelta(hours=plan.delay_hours))
    session.add(
        FollowupTask(
            ticket_id=ticket.id, plan_id=plan.id, reason=reason, due_at=due, owner=ticket.assignee
        )
    )


def on_status_change(session: Session, ticket: Ticket, old: str, new: str) -> None:
    """Called inside the transition's transaction."""
    conversation = session.get(Conversation, ticket.conversation_id)
    assert conversation is not None
    for followup in session.scalars(
        select(Followup).where(
            Followup.ticket_id == ticket.id,
            Followup.state == "awaiting",
            Followup.kind == "confirm",
        )
    ):
        if new != "resolved":
            followup.state = "expired"  # the question no longer applies
    if new == "resolved":
        _ask_confirm(session, ticket, conversation)
    elif new == "closed":
        ask_survey(session, ticket, conversation)
        _schedule_task(session, ticket, conversation.tier)


def answer(session: Session, conversation_id: int, text: str) -> Handled | None:
    """If the customer is answering a follow-up question, record it and say what to do.
    The question may have reached them on another of their channels (an SMS sent when
    WeChat's window was closed), so every conversation of the customer counts."""
    asking = session.get(Conversation, conversation_id)
    assert asking is not None
    followup = session.scalar(
        select(Followup)
        .where(
            Followup.conversation_id.in_(same_customer(session, asking)),
            Followup.state == "awaiting",
            Followup.expires_at > utcnow(),
        )
        .order_by(Followup.id.desc())
        .limit(1)
    )
    if followup is None:
        return None
    conversation = session.get(Conversation, conversation_id)
    ticket = session.get(Ticket, followup.ticket_id)
    assert conversation is not None and ticket is not None
    language = conversation.language
    now = utcnow()
    if followup.kind == "confirm":
        if YES.match(text):
            followup.state, followup.answered_at, followup.answer = "answered", now, "solved"
            return Handled(
                (pick(language, "感谢您的确认！", "Thank you for confirming!"),),
                ticket.number,
                "closed",
            )
        if NO.match(text):
            followup.state, followup.answered_at, followup.answer = "answered", now, "not_solved"
            return Handled(
                (
                    pick(
                        language,
                        f"抱歉问题仍未解决，已为您重新打开工单 {ticket.number}，专人会尽快联系您。",
                        f"Sorry it is not solved yet. Ticket {ticket.number} is open again and someone will contact you soon.",
                    ),
                ),
                ticket.number,
                "open",
            )
        return None
    if DECLINE.match(text):
        followup.state, followup.answered_at, followup.answer = "answered", now, "declined"
        conversation.survey_opt_out_at = now
        return Handled(
            (
                pick(
                    language,
                    "好的，今后不再邀请您参与评价。",
                    "Understood: we will not ask you for ratings again.",
                ),
            )
        )
    scored = SCORE.match(text)
    if scored is None:
        return None
    score, comment = int(scored.group(1)), scored.group(2).strip() or None
    followup.state, followup.answered_at, followup.answer = "answered", now, str(score)
    session.add(
        SurveyResponse(followup_id=followup.id, ticket_id=ticket.id, score=score, comment=comment)
    )
    if score <= 2:
        _schedule_task(session, ticket, conversation.tier, reason="low_score")
        return Handled(
            (
                pick(
                    language,
                    "非常抱歉给您带来不好的体验，我们已重新打开工单，主管会尽快联系您。",
                    "We are sorry about your experience. We have reopened the ticket and a supervisor will contact you.",
                ),
            ),
            ticket.number,
            "open",
        )
    return Handled((pick(language, "感谢您的评价！", "Thank you for your rating!"),))


def expire_confirmations(session: Session) -> list[str]:
    """Confirmation questions left unanswered past the silence window: close those tickets."""
    numbers: list[str] = []
    for followup in session.scalars(
        select(Followup)
        .where(Followup.state == "awaiting", Followup.expires_at <= utcnow())
        .with_for_update(skip_locked=True)
    ):
        followup.state = "expired"
        if followup.kind == "confirm":
            ticket = session.get(Ticket, followup.ticket_id)
            if ticket is not None and ticket.status == "resolved" and ticket.number:
                numbers.append(ticket.number)
    return numbers
