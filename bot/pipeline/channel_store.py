"""What the channels read and keep through their port (``bot.pipeline.port``): the
conversation of a channel identity, its recent messages, a provider's cursor."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.db import Database
from bot.core.models import ChannelState, Message, User, utcnow
from bot.core.models.staff import public_name
from bot.pipeline.inbox import find_conversation, get_or_create_conversation
from bot.pipeline.messages import Button, StoredMessage


def conversation_of(db: Database, channel: str, external_id: str) -> str:
    """The public id of the identity's conversation, opened if it has none."""
    return get_or_create_conversation(db, channel, external_id).public_id


def recent_messages(
    db: Database, channel: str, external_id: str, limit: int
) -> tuple[str | None, list[StoredMessage]]:
    """The conversation's public id and its last ``limit`` messages, oldest first."""
    with db.session() as session:
        conversation = find_conversation(session, channel, external_id)
        if conversation is None:
            return None, []
        rows = session.execute(
            select(Message, User.display_name, User.staff_number)
            .outerjoin(User, Message.author == User.name)
            .where(Message.conversation_id == conversation.id)
            .order_by(Message.id.desc())
            .limit(limit)
        ).all()
        return conversation.public_id, [
            StoredMessage(
                id=m.id,
                provider_msg_id=m.provider_msg_id,
                direction=m.direction,
                sender=m.sender,
                text=m.text,
                buttons=tuple(Button(b["title"], b["payload"]) for b in m.buttons or ()),
                created_at=m.created_at,
                author=public_name(display, number),
            )
            for m, display, number in reversed(rows)
        ]


def load_cursor(db: Database, channel: str, key: str) -> str:
    with db.session() as session:
        row = session.scalar(
            select(ChannelState).where(ChannelState.channel == channel, ChannelState.key == key)
        )
        return row.value if row else ""


def save_cursor(db: Database, channel: str, key: str, value: str) -> None:
    with db.session() as session:
        row = session.scalar(
            select(ChannelState).where(ChannelState.channel == channel, ChannelState.key == key)
        )
        if row is None:
            session.add(ChannelState(channel=channel, key=key, value=value))
        else:
            row.value, row.updated_at = value, utcnow()
