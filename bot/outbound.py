"""Queue a message to a customer from the desk (an agent's reply, a follow-up question)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from bot.models import Conversation, Message, OutboxItem
from bot.redact import redact


def queue_message(
    session: Session, conversation: Conversation, text: str, sender: str, author: str | None = None
) -> int:
    """Store the message and its outbox row in the caller's transaction; returns its id."""
    message = Message(
        conversation_id=conversation.id,
        channel=conversation.channel,
        provider_msg_id=f"{sender}-{uuid.uuid4().hex}",
        direction="out",
        sender=sender,
        author=author,
        text=redact(text),
        language=conversation.language,
        status="done",
    )
    session.add(message)
    session.flush()
    session.add(OutboxItem(message_id=message.id))
    return message.id
