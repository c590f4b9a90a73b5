"""Past capacity: a customer whose message has waited too long hears that it is in line.

The notice is the same holding reply a Rasa outage gets, stored under the same
provider id (``hold-<inbound id>-0``), so a customer hears it at most once per
message whatever happens first. Only the oldest waiting message of a conversation is
considered, the one the inbox will answer next.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import String, and_, cast, func, literal, select
from sqlalchemy.orm import aliased

from bot.core.db import Database
from bot.core.models import Conversation, Message, is_open_inbound, utcnow
from bot.pipeline.turn import holding_reply, store_replies

BATCH = 200


def waiting_too_long(db: Database, older_than: timedelta) -> list[tuple[int, str]]:
    """(message id, language) of the oldest open inbound message of each conversation,
    received more than ``older_than`` ago, that has had no holding reply."""
    earlier = aliased(Message)
    hold = aliased(Message)
    oldest_open = (
        select(func.min(earlier.id))
        .where(earlier.conversation_id == Message.conversation_id, is_open_inbound(earlier))
        .scalar_subquery()
    )
    hold_id = literal("hold-").concat(cast(Message.id, String)).concat("-0")
    told = (  # through the unique (channel, provider id) index
        select(hold.id)
        .where(and_(hold.channel == Message.channel, hold.provider_msg_id == hold_id))
        .exists()
    )
    with db.session() as session:
        rows = session.execute(
            select(Message.id, func.coalesce(Message.language, Conversation.language))
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(
                is_open_inbound(Message),
                Message.created_at < utcnow() - older_than,
                Message.id == oldest_open,
                ~told,
            )
            .order_by(Message.id)
            .limit(BATCH)
        ).all()
    return [(message_id, language or "zh") for message_id, language in rows]


def tell_waiting(db: Database, older_than: timedelta) -> int:
    """Store the holding reply for each message waiting too long; returns how many."""
    stored = 0
    for message_id, language in waiting_too_long(db, older_than):
        stored += len(
            store_replies(db, message_id, (holding_reply(language),), prefix="hold", finish=False)
        )
    return stored
