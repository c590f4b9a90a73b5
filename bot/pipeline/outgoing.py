"""The one writer of outgoing messages: a message to a customer, stored with its outbox
row in the caller's transaction, its text masked first.

Everything said to a customer comes through here: the assistant's replies to a turn
(``write_replies``: ids derived from the inbound message, so a turn written twice is
stored once), an agent's message or a follow-up question (``queue_message``), and a
one-time code's text message (``write``, with the text sealed for the outbox alone).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from bot.core.models import MESSAGES, OUTBOX, Conversation, Message
from bot.core.redact import redact
from bot.pipeline.messages import BotReply

# Core statements, built once: storing a turn's replies is on every turn's path, and
# through the ORM (a unit of work per row) it was the worker's largest single cost.
_STORED = select(Message.provider_msg_id).where(
    Message.channel == bindparam("channel"),
    Message.provider_msg_id.in_(bindparam("ids", expanding=True)),
)
_NEW_MESSAGE = insert(MESSAGES).returning(MESSAGES.c.id)
_NEW_OUTBOX = insert(OUTBOX)


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


def write(
    session: Session,
    *,
    conversation_id: int,
    channel: str,
    provider_msg_id: str,
    sender: str,
    text: str,
    language: str | None,
    author: str | None = None,
    buttons: list[dict[str, Any]] | None = None,
    reply_to_id: int | None = None,
    sealed_text: str | None = None,
) -> int:
    """Store one outgoing message (its text masked) and its outbox row; returns its id.

    ``sealed_text`` is what the outbox sends instead of the stored text (a one-time
    code: the message row keeps only a placeholder)."""
    message_id: int = session.execute(
        _NEW_MESSAGE,
        {
            "conversation_id": conversation_id,
            "channel": channel,
            "provider_msg_id": provider_msg_id,
            "direction": "out",
            "sender": sender,
            "author": author,
            "text": redact(text),
            "buttons": buttons,
            "language": language,
            "status": "done",
            "reply_to_id": reply_to_id,
        },
    ).scalar_one()
    session.execute(_NEW_OUTBOX, {"message_id": message_id, "sealed_text": sealed_text})
    return message_id


def write_replies(
    session: Session, inbound: ReplyTarget, replies: Sequence[BotReply], prefix: str
) -> list[int]:
    """Store each reply to ``inbound`` with its outbox row, unless a reply with its id
    (``<prefix>-<inbound id>-<index>``) is stored already."""
    ids = [f"{prefix}-{inbound.id}-{index}" for index in range(len(replies))]
    if not ids:
        return []
    stored = set(session.scalars(_STORED, {"channel": inbound.channel, "ids": ids}))
    return [
        write(
            session,
            conversation_id=inbound.conversation_id,
            channel=inbound.channel,
            provider_msg_id=provider_id,
            sender="bot",
            text=reply.text,
            language=inbound.language,
            buttons=[{"title": b.title, "payload": b.payload} for b in reply.buttons] or None,
            reply_to_id=inbound.id,
            sealed_text=reply.sealed_text,
        )
        for provider_id, reply in zip(ids, replies, strict=True)
        if provider_id not in stored
    ]


def queue_message(
    session: Session,
    conversation: Conversation,
    text: str,
    sender: str,
    author: str | None = None,
    buttons: list[dict[str, str]] | None = None,
) -> int:
    """A message from the desk (an agent's reply, a follow-up question) to the
    conversation's channel, with quick-reply ``buttons`` (title, payload) where the
    channel shows them; returns its id."""
    return write(
        session,
        conversation_id=conversation.id,
        channel=conversation.channel,
        provider_msg_id=f"{sender}-{uuid.uuid4().hex}",
        sender=sender,
        text=text,
        language=conversation.language,
        author=author,
        buttons=buttons,
    )
