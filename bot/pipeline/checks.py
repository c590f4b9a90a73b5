"""What is settled before the assistant is asked: an ordered list of checks.

Each check looks at one inbound message, inside the turn's one transaction. It either
settles the message (stores what is said through ``bot.pipeline.outgoing``, marks the
message done, returns the ids of the replies) or returns None and the next check looks.
A message no check settles goes to Rasa. The order is the policy: a picture is told
we read text; an identity check in progress takes the number or code; an answer to a
follow-up question is taken as such; the ticket's clocks hear that the customer wrote;
a queued or staffed conversation keeps the assistant silent; a customer over the rate
limit is told to slow down; a "did you mean" pick is answered from the knowledge base;
punctuation alone or a one-word "what?" gets a clarifying question (no apology, no
handoff, no ticket).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.config import Settings
from bot.core.lang import pick
from bot.core.models import Conversation, Message, Ticket, utcnow
from bot.handoff import queue as handoff_queue
from bot.identity.verification import Identity
from bot.kb.matcher import answer_choice, may_be_choice
from bot.pipeline.messages import BotReply, Button
from bot.pipeline.outgoing import write_replies
from bot.tickets import followup
from bot.tickets.lifecycle import TRANSITIONS, apply_transition, customer_wrote_in

log = logging.getLogger(__name__)

RATE_LIMITED = "rate_limited"

WELCOME = BotReply(
    text="您好，欢迎关注！我是安心客服助手，7x24 小时为您服务，请直接输入您的问题。\n"
    "Hello and welcome! I am the Anxin service assistant, here 24/7. Type your question any time."
)
SLOW_DOWN = BotReply(
    text="您发送消息的速度太快了，请稍候片刻再发。您已发送的消息我们都已收到。\n"
    "You are sending messages faster than I can answer. Please wait a moment: every "
    "message you sent has been received."
)


@dataclass(frozen=True, slots=True)
class Step:
    """One inbound message as the checks see it, in the turn's transaction."""

    session: Session
    settings: Settings
    inbound: Message
    conversation: Conversation
    identity: Identity | None

    @property
    def language(self) -> str:
        return self.inbound.language or self.conversation.language

    def settle(
        self, replies: Sequence[BotReply], prefix: str, intent: str | None = None
    ) -> list[int]:
        """Store ``replies`` (ids ``<prefix>-<message id>-<n>``) and mark the message
        done, with ``intent`` recorded when given."""
        created = write_replies(self.session, self.inbound, replies, prefix)
        self.inbound.status, self.inbound.not_before = "done", None
        if intent is not None:
            self.inbound.intent = intent
        return created


Check = Callable[[Step], list[int] | None]


def canned_replies(kind: str, language: str) -> tuple[BotReply, ...] | None:
    """Replies that need no dialogue model; None means: not settled by the kind."""
    if kind == "text":
        return None
    if kind in ("image", "voice"):
        return (
            BotReply(
                text=pick(
                    language,
                    "抱歉，我暂时只能读懂文字消息，请用文字描述您的问题。",
                    "Sorry, I can only read text for now. Please describe your question in words.",
                )
            ),
        )
    if kind == "event:subscribe":
        return (WELCOME,)
    return ()  # unsubscribe, opt-out, opt-in: recorded, nothing to say


def not_text(step: Step) -> list[int] | None:
    """A picture, a voice note or an event: a fixed reply (or none), nothing else."""
    canned = canned_replies(step.inbound.kind, step.language)
    if canned is None:
        return None
    return step.settle(canned, "reply")


def identity_code(step: Step) -> list[int] | None:
    """The customer's mobile number or one-time code, while an identity check waits
    for it (the code's text message is written in the same transaction)."""
    if step.identity is None or (
        step.conversation.verification is None and step.inbound.sealed_secret is None
    ):
        return None
    outcome = step.identity.answer(step.session, step.inbound, utcnow())
    if outcome is None:
        return None
    created = step.settle(tuple(BotReply(t) for t in outcome.replies), "identity", "identity_check")
    if outcome.sent_message_id is not None:
        created.append(outcome.sent_message_id)
    return created


def followup_answer(step: Step) -> list[int] | None:
    """An answer to a follow-up question (solved? / 1-5), with the ticket's move."""
    handled = followup.answer(step.session, step.inbound.conversation_id, step.inbound.text)
    if handled is None:
        return None
    # The reply first: a move that asks the next question (the survey) comes after it.
    settled = step.settle(
        tuple(BotReply(t) for t in handled.replies), "followup", "followup_answer"
    )
    if handled.move_to and handled.ticket_number:
        ticket = step.session.scalar(
            select(Ticket).where(Ticket.number == handled.ticket_number).with_for_update()
        )
        if ticket is not None and handled.move_to in TRANSITIONS.get(ticket.status, set()):
            apply_transition(step.session, step.settings, ticket, handled.move_to, "customer")
    return settled


def ticket_clocks(step: Step) -> list[int] | None:
    """The customer wrote: a ticket waiting on them runs again. Never settles."""
    customer_wrote_in(step.session, step.settings, step.inbound.conversation_id)
    return None


def with_a_person(step: Step) -> list[int] | None:
    """Queued or with an agent: the assistant stays silent, unless the customer gives up
    waiting (which ends the queueing and keeps the ticket)."""
    if step.conversation.mode == "bot":
        return None
    reply = handoff_queue.leave_queue(step.session, step.conversation, step.inbound.text)
    return step.settle((BotReply(reply),) if reply else (), "queue")


def rate_limit(step: Step) -> list[int] | None:
    """More than ``sender_per_min`` messages within a minute: the assistant does not
    answer (the messages are kept for staff); the first one over gets one notice."""
    per_minute = step.settings.sender_per_min
    inbound = step.inbound
    recent = step.session.execute(
        select(Message.created_at, Message.intent)
        .where(
            Message.conversation_id == inbound.conversation_id,
            Message.direction == "in",
            Message.id <= inbound.id,
        )
        .order_by(Message.id.desc())
        .limit(per_minute + 1)
    ).all()
    window_start = inbound.created_at - timedelta(minutes=1)
    if len(recent) <= per_minute or recent[-1].created_at < window_start:
        return None
    told = recent[1].intent == RATE_LIMITED
    log.warning("conversation %s is over %s messages a minute", inbound.conversation_id, per_minute)
    return step.settle(() if told else (SLOW_DOWN,), "limit", RATE_LIMITED)


def kb_choice(step: Step) -> list[int] | None:
    """A pick among the "did you mean" questions (1-3), or "none of these"."""
    if not may_be_choice(step.inbound.text):
        return None
    reply = answer_choice(
        step.session, step.conversation.id, step.inbound.text, step.conversation.language
    )
    if reply is None:
        return None
    return step.settle((BotReply(reply),), "kb", "kb_choice")


CONFUSED = re.compile(
    r"^\s*(?:啥|啥意思|什么|什么意思|什么东西|啊|呃|额|"
    r"what|huh|eh|hm+|pardon|sorry|come again|i don'?t understand|不懂|没懂|不明白)?"
    r"\s*[?？!！.。…~～、,，]*\s*$",
    re.IGNORECASE,
)
CLARIFY_ZH = BotReply(
    text="请问您想办理或了解什么？可以直接说出您的问题，例如「信用卡年费怎么减免」，"
    "或点选下面的常用服务。",
    buttons=(
        Button("挂失银行卡", "我的银行卡丢了"),
        Button("查询工单", "查询工单进度"),
        Button("转人工", "转人工"),
    ),
)
CLARIFY_EN = BotReply(
    text="What would you like to do or know? Just tell me your question, for example "
    '"how can I get my annual fee waived", or pick one of these.',
    buttons=(
        Button("Report a lost card", "I lost my bank card"),
        Button("Check a ticket", "check my ticket status"),
        Button("Talk to a person", "I want to talk to a human agent"),
    ),
)


def clarify(step: Step) -> list[int] | None:
    """Punctuation alone (「？？？」) or a one-word "what?": ask what the customer needs,
    with the usual choices, instead of apologising for not understanding (which twice
    in a row would hand them to a person)."""
    text = step.inbound.text
    if len(text) > 24 or CONFUSED.match(text) is None:
        return None
    reply = CLARIFY_EN if step.language == "en" else CLARIFY_ZH
    return step.settle((reply,), "clarify", "clarify")


CHECKS: tuple[Check, ...] = (
    not_text,
    identity_code,
    followup_answer,
    ticket_clocks,
    with_a_person,
    rate_limit,
    kb_choice,
    clarify,
)


def run_checks(step: Step, checks: Sequence[Check] = CHECKS) -> list[int] | None:
    """The first check that settles the message wins; None: ask Rasa."""
    for check in checks:
        settled = check(step)
        if settled is not None:
            return settled
    return None
