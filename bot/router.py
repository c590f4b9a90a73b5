"""Turn one inbox row into stored replies: ask Rasa (bot mode) and write the outbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from anyio import to_thread
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db import Database
from bot.handoff import queue as handoff_queue
from bot.handoff import signals
from bot.identity import Identity
from bot.kb_match import answer_choice, may_be_choice
from bot.lang import pick
from bot.log_format import conversation_id
from bot.models import MESSAGES, OUTBOX, Conversation, Message, Ticket, utcnow
from bot.rasa_client import BotReply, BotTurn, RasaClient, RasaUnavailable
from bot.redact import redact
from bot.tickets import followup
from bot.tickets.lifecycle import TRANSITIONS, apply_transition, customer_wrote_in

log = logging.getLogger(__name__)

HOLDING_AFTER_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class InboxItem:
    message_id: int
    conversation_public_id: str
    mode: str
    text: str
    language: str
    channel: str
    attempts: int
    kind: str
    conversation_id: int
    tier: str
    verification: str | None = None
    sealed_secret: bool = False


def _item_of(message: Message, conversation: Conversation) -> InboxItem:
    return InboxItem(
        message_id=message.id,
        conversation_public_id=conversation.public_id,
        mode=conversation.mode,
        text=message.text,
        language=message.language or conversation.language,
        channel=message.channel,
        attempts=message.attempts,
        kind=message.kind,
        conversation_id=conversation.id,
        tier=conversation.tier,
        verification=conversation.verification,
        sealed_secret=message.sealed_secret is not None,
    )


def load_and_settle(
    db: Database, settings: Settings | None, checks_identity: bool, message_id: int
) -> tuple[InboxItem | None, list[int] | None]:
    """Load a claimed inbox row and, in the same transaction, settle what needs no
    dialogue model (see ``before_rasa``) when nothing must come first (a canned reply,
    an identity check). The item and the reply ids, or None when Rasa is to be asked
    or the earlier step is the caller's."""
    with db.session() as session:
        row = session.execute(
            select(Message, Conversation)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(Message.id == message_id)
        ).first()
        if row is None:
            return None, None
        message, conversation = row
        item = _item_of(message, conversation)
        first = canned_replies(item.kind, item.language) is not None or (
            checks_identity and (item.verification is not None or item.sealed_secret)
        )
        if settings is None or first:
            return item, None
        return item, _settle(session, settings, message, item.mode)


class ReplyTarget(Protocol):
    """What replies are stored against: the inbound message (an ORM row or its columns)."""

    @property
    def id(self) -> int: ...
    @property
    def conversation_id(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def language(self) -> str | None: ...


# Core statements, built once: storing a turn's replies is on every turn's path, and
# through the ORM (a unit of work per row) it was the worker's largest single cost.
_STORED = select(Message.provider_msg_id).where(
    Message.channel == bindparam("channel"),
    Message.provider_msg_id.in_(bindparam("ids", expanding=True)),
)
_NEW_REPLY = insert(MESSAGES).returning(MESSAGES.c.id)
_NEW_OUTBOX = insert(OUTBOX)
_INBOUND = select(Message.id, Message.conversation_id, Message.channel, Message.language).where(
    Message.id == bindparam("id")
)
_FINISH = (
    update(MESSAGES)
    .where(MESSAGES.c.id == bindparam("message_id"))
    .values(
        status="done",
        not_before=None,
        intent=bindparam("intent"),
        confidence=bindparam("confidence"),
    )
)


def _insert_replies(
    session: Session, inbound: ReplyTarget, replies: tuple[BotReply, ...], prefix: str
) -> list[int]:
    """Store each reply with its outbox row, unless a reply with its id is stored."""
    ids = [f"{prefix}-{inbound.id}-{index}" for index in range(len(replies))]
    if not ids:
        return []
    stored = set(session.scalars(_STORED, {"channel": inbound.channel, "ids": ids}))
    created: list[int] = []
    for provider_id, reply in zip(ids, replies, strict=True):
        if provider_id in stored:
            continue
        buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons] or None
        out_id = session.execute(
            _NEW_REPLY,
            {
                "conversation_id": inbound.conversation_id,
                "channel": inbound.channel,
                "provider_msg_id": provider_id,
                "direction": "out",
                "sender": "bot",
                "text": redact(reply.text),
                "buttons": buttons,
                "language": inbound.language,
                "status": "done",
                "reply_to_id": inbound.id,
            },
        ).scalar_one()
        session.execute(_NEW_OUTBOX, {"message_id": out_id})
        created.append(out_id)
    return created


def store_replies(
    db: Database,
    message_id: int,
    replies: tuple[BotReply, ...],
    *,
    prefix: str = "reply",
    turn: BotTurn | None = None,
    finish: bool = True,
) -> list[int]:
    """Store the replies to one inbound message exactly once, with their outbox rows,
    and (with ``finish``) mark the inbound row done in the same transaction.

    Reply ids are derived from the inbound id, so running this twice (after a crash or
    in two replicas) cannot store a reply twice: the UNIQUE constraint refuses it.
    """
    try:
        with db.session() as session:
            inbound = session.execute(_INBOUND, {"id": message_id}).one()
            created = _insert_replies(session, inbound, replies, prefix)
            if finish:
                session.execute(
                    _FINISH,
                    {
                        "message_id": message_id,
                        "intent": turn.intent if turn is not None else None,
                        "confidence": turn.confidence if turn is not None else None,
                    },
                )
            return created
    except IntegrityError:
        log.info("replies to message %s were already stored by another worker", message_id)
        return []


def schedule_retry(db: Database, message_id: int, attempts: int) -> None:
    delay = min(2 ** max(attempts - 1, 0), 60)
    with db.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        message.status = "pending"
        message.not_before = utcnow() + timedelta(seconds=delay)


def holding_reply(language: str) -> BotReply:
    return BotReply(
        text=pick(
            language,
            "您好，系统正忙，我们已收到您的消息，会尽快回复您。",
            "We are busy right now. We have your message and will reply shortly.",
        )
    )


WELCOME = BotReply(
    text="您好，欢迎关注！我是安心客服助手，7x24 小时为您服务，请直接输入您的问题。\n"
    "Hello and welcome! I am the Anxin service assistant, here 24/7. Type your question any time."
)


def canned_replies(kind: str, language: str) -> tuple[BotReply, ...] | None:
    """Replies that need no dialogue model; None means: ask Rasa."""
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


def leave_or_wait(db: Database, message_id: int) -> list[int]:
    with db.session() as session:
        inbound = session.get(Message, message_id)
        assert inbound is not None
        return _leave_or_wait(session, inbound)


def _leave_or_wait(session: Session, inbound: Message) -> list[int]:
    conversation = session.get(Conversation, inbound.conversation_id)
    assert conversation is not None
    reply = handoff_queue.leave_queue(session, conversation, inbound.text)
    created = _insert_replies(session, inbound, (BotReply(reply),) if reply else (), "queue")
    inbound.status, inbound.not_before = "done", None
    return created


def _answer_followup(session: Session, settings: Settings, inbound: Message) -> list[int] | None:
    """If the customer is answering a follow-up question (solved? / 1-5), handle it here,
    with the ticket's status change; None means it is not an answer."""
    handled = followup.answer(session, inbound.conversation_id, inbound.text)
    if handled is None:
        return None
    if handled.move_to and handled.ticket_number:
        ticket = session.scalar(
            select(Ticket).where(Ticket.number == handled.ticket_number).with_for_update()
        )
        if ticket is not None and handled.move_to in TRANSITIONS.get(ticket.status, set()):
            apply_transition(session, settings, ticket, handled.move_to, "customer")
    created = _insert_replies(
        session, inbound, tuple(BotReply(t) for t in handled.replies), "followup"
    )
    inbound.status, inbound.not_before, inbound.intent = "done", None, "followup_answer"
    return created


def before_rasa(db: Database, settings: Settings, message_id: int, mode: str) -> list[int] | None:
    """``_settle`` in a transaction of its own (after an identity check that was not)."""
    with db.session() as session:
        inbound = session.get(Message, message_id)
        assert inbound is not None
        return _settle(session, settings, inbound, mode)


def _settle(session: Session, settings: Settings, inbound: Message, mode: str) -> list[int] | None:
    """What is settled before Rasa is asked, in the caller's transaction (each
    transaction is a good part of the service's CPU per message): an answer to a
    follow-up question; the ticket's clocks (the customer wrote); a queued or staffed
    conversation (the assistant stays silent); the per-customer limit. Reply ids when
    it is settled here, None when Rasa is to be asked."""
    answered = _answer_followup(session, settings, inbound)
    if answered is not None:
        return answered
    customer_wrote_in(session, settings, inbound.conversation_id)
    if mode != "bot":
        # Queued or with a person: the assistant stays silent (unless the customer
        # gives up waiting, which ends the queueing and keeps the ticket).
        return _leave_or_wait(session, inbound)
    return _over_the_limit(session, inbound, settings.sender_per_min)


def answer_identity(db: Database, identity: Identity, message_id: int) -> list[int] | None:
    """If the customer is giving their number or code for an identity check, handle it
    here (the code's SMS is queued in the same transaction); None means it is not."""
    with db.session() as session:
        inbound = session.get(Message, message_id)
        assert inbound is not None
        outcome = identity.answer(session, inbound, utcnow())
        if outcome is None:
            return None
        created = _insert_replies(
            session, inbound, tuple(BotReply(t) for t in outcome.replies), "identity"
        )
        if outcome.sent_message_id is not None:
            created.append(outcome.sent_message_id)
        inbound.status, inbound.not_before, inbound.intent = "done", None, "identity_check"
        return created


def answer_kb_choice(db: Database, message_id: int) -> list[int] | None:
    """If the customer picks one of the "did you mean" questions (1-3) or says none of
    them fits, answer from the knowledge base here; None means it is not such a pick."""
    with db.session() as session:
        inbound = session.get(Message, message_id)
        assert inbound is not None
        conversation = session.get(Conversation, inbound.conversation_id)
        assert conversation is not None
        reply = answer_choice(session, conversation.id, inbound.text, conversation.language)
        if reply is None:
            return None
        created = _insert_replies(session, inbound, (BotReply(reply),), "kb")
        inbound.status, inbound.not_before, inbound.intent = "done", None, "kb_choice"
        return created


SLOW_DOWN = BotReply(
    text="您发送消息的速度太快了，请稍候片刻再发。您已发送的消息我们都已收到。\n"
    "You are sending messages faster than I can answer. Please wait a moment: every "
    "message you sent has been received."
)
RATE_LIMITED = "rate_limited"


def _over_the_limit(session: Session, inbound: Message, per_minute: int) -> list[int] | None:
    """A customer who sent more than ``per_minute`` messages within the last minute is
    not answered by the assistant (their messages are kept for staff); the first
    message over the limit gets one notice. None means: within the limit."""
    recent = session.execute(
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
    created = _insert_replies(session, inbound, () if told else (SLOW_DOWN,), "limit")
    inbound.status, inbound.not_before, inbound.intent = "done", None, RATE_LIMITED
    log.warning("conversation %s is over %s messages a minute", inbound.conversation_id, per_minute)
    return created


def not_a_command(text: str) -> str:
    """Rasa reads a message starting with "/" as an intent with entities
    ("/report_fraud", '/ticket_status{"ticket_number": ...}'); a customer must not be able
    to steer the assistant that way, so a leading "/" becomes a full-width "／"."""
    stripped = text.lstrip()
    return "／" + stripped[1:] if stripped.startswith("/") else text


def rasa_input(item: InboxItem) -> tuple[str, dict[str, Any]]:
    """What Rasa is sent. An angry or distressed customer goes to a person at once: the
    turn is the ``request_human`` intent itself, with the reason and the (masked) words
    for the ticket."""
    metadata: dict[str, Any] = {
        "language": item.language,
        "inbound_id": item.message_id,
        "channel": item.channel,
        "tier": item.tier,
    }
    signal = signals.detect(item.text)
    if signal is None:
        return not_a_command(item.text), metadata
    log.info("message %s shows %s; handing the conversation to a person", item.message_id, signal)
    return "/request_human", {**metadata, "handoff_reason": signal, "text": redact(item.text)}


async def process(
    db: Database,
    rasa: RasaClient,
    message_id: int,
    settings: Settings | None = None,
    identity: Identity | None = None,
) -> list[int]:
    """Process one claimed inbox row; returns the ids of replies stored for delivery."""
    item, settled = await to_thread.run_sync(
        load_and_settle, db, settings, identity is not None, message_id
    )
    if item is None:
        return []
    conversation_id.set(item.conversation_public_id)  # this task's log lines carry it
    if settled is not None:
        return settled
    canned = canned_replies(item.kind, item.language)
    if canned is not None:
        return await to_thread.run_sync(lambda: store_replies(db, message_id, canned))
    if (item.verification is not None or item.sealed_secret) and identity is not None:
        checked = await to_thread.run_sync(answer_identity, db, identity, message_id)
        if checked is not None:
            return checked
        if settings is not None:
            settled = await to_thread.run_sync(before_rasa, db, settings, message_id, item.mode)
            if settled is not None:
                return settled
    if settings is None and item.mode != "bot":
        return await to_thread.run_sync(leave_or_wait, db, message_id)
    if may_be_choice(item.text):
        picked = await to_thread.run_sync(answer_kb_choice, db, message_id)
        if picked is not None:
            return picked
    text, metadata = rasa_input(item)
    try:
        turn = await rasa.handle(item.conversation_public_id, text, metadata)
    except RasaUnavailable as exc:
        log.warning(
            "rasa unavailable for message %s (attempt %s): %s", message_id, item.attempts, exc
        )
        stored: list[int] = []
        if item.attempts == HOLDING_AFTER_ATTEMPTS:
            hold = (holding_reply(item.language),)
            stored = await to_thread.run_sync(
                lambda: store_replies(db, message_id, hold, prefix="hold", finish=False)
            )
        await to_thread.run_sync(schedule_retry, db, message_id, item.attempts)
        return stored
    return await to_thread.run_sync(lambda: store_replies(db, message_id, turn.replies, turn=turn))
