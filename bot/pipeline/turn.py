"""One turn: an inbox row in, stored replies out.

The row is loaded and put through the checks before Rasa (``bot.pipeline.checks``) in
one transaction; what they do not settle is sent to Rasa, and Rasa's replies are
written with their outbox rows (``bot.pipeline.outgoing``) as the row is marked done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from anyio import to_thread
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.config import Settings
from bot.core.contact_vault import ContactVault
from bot.core.db import Database
from bot.core.lang import pick
from bot.core.log_format import conversation_id
from bot.core.models import MESSAGES, Conversation, Message, utcnow
from bot.core.redact import redact
from bot.handoff import signals
from bot.identity.verification import Identity
from bot.pipeline.checks import Step, run_checks
from bot.pipeline.messages import BotReply
from bot.pipeline.outgoing import write_replies
from bot.pipeline.rasa_client import BotTurn, RasaClient, RasaUnavailable
from bot.tickets import query_code

log = logging.getLogger(__name__)

HOLDING_AFTER_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class InboxItem:
    """What Rasa is asked about, read from the row before the checks ran."""

    message_id: int
    conversation_public_id: str
    text: str
    language: str
    channel: str
    attempts: int
    tier: str


_LOAD = select(Message, Conversation).join(Conversation, Message.conversation_id == Conversation.id)
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


def load_and_check(
    db: Database, settings: Settings, identity: Identity | None, message_id: int
) -> tuple[InboxItem | None, list[int] | None]:
    """Load a claimed inbox row and run the checks before Rasa on it, in one transaction.
    The item and the reply ids when a check settled it; the item and None when Rasa
    is to be asked; (None, None) when there is nothing to do."""
    try:
        with db.session() as session:
            row = session.execute(_LOAD.where(Message.id == message_id)).first()
            if row is None:
                return None, None
            message, conversation = row
            item = InboxItem(
                message_id=message.id,
                conversation_public_id=conversation.public_id,
                text=message.text,
                language=message.language or conversation.language,
                channel=message.channel,
                attempts=message.attempts,
                tier=conversation.tier,
            )
            return item, run_checks(Step(session, settings, message, conversation, identity))
    except IntegrityError:
        log.info("message %s was settled by another worker", message_id)
        return None, None


def store_replies(
    db: Database,
    message_id: int,
    replies: tuple[BotReply, ...],
    *,
    prefix: str = "reply",
    turn: BotTurn | None = None,
    finish: bool = True,
    vault: ContactVault | None = None,
) -> list[int]:
    """Store the replies to one inbound message exactly once, with their outbox rows,
    and (with ``finish``) mark the inbound row done in the same transaction.

    Reply ids are derived from the inbound id, so running this twice (after a crash or
    in two replicas) cannot store a reply twice: the UNIQUE constraint refuses it.
    """
    try:
        with db.session() as session:
            inbound = session.execute(_INBOUND, {"id": message_id}).one()
            told = tuple(_told_once(session, inbound.conversation_id, r, vault) for r in replies)
            created = write_replies(session, inbound, told, prefix)
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


def _told_once(
    session: Session, conversation_id: int, reply: BotReply, vault: ContactVault | None
) -> BotReply:
    """A reply that tells a ticket's query code: stored masked, sent sealed."""
    if query_code.MARK.search(reply.text) is None:
        return reply
    stored, sealed = query_code.fill(session, conversation_id, reply.text, vault)
    return BotReply(text=stored, buttons=reply.buttons, sealed_text=sealed)


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
    settings: Settings,
    identity: Identity | None = None,
) -> list[int]:
    """Process one claimed inbox row; returns the ids of replies stored for delivery."""
    item, settled = await to_thread.run_sync(load_and_check, db, settings, identity, message_id)
    if item is None:
        return []
    conversation_id.set(item.conversation_public_id)  # this task's log lines carry it
    if settled is not None:
        return settled
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
    vault = identity.vault if identity is not None else None
    return await to_thread.run_sync(
        lambda: store_replies(db, message_id, turn.replies, turn=turn, vault=vault)
    )
