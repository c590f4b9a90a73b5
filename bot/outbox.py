"""The outbox: deliver stored replies through their channel with retry and backoff."""

from __future__ import annotations

import logging
from datetime import timedelta

from anyio import to_thread
from sqlalchemy import select, update

from bot.db import Database
from bot.models import Conversation, Message, OutboxItem, utcnow
from channels.base import Button, ChannelSender, DeliveryError, OutboundMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
LEASE = timedelta(seconds=30)


def backoff(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s ... capped at 5 minutes."""
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 300))


def claim_due(db: Database, limit: int = 50) -> list[int]:
    """Lease due outbox rows to this worker (a conditional UPDATE, safe across replicas)."""
    now = utcnow()
    claimed: list[int] = []
    with db.session() as session:
        due = session.scalars(
            select(OutboxItem.id)
            .where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= now)
            .order_by(OutboxItem.id)
            .limit(limit)
        ).all()
        for item_id in due:
            result = session.execute(
                update(OutboxItem)
                .where(
                    OutboxItem.id == item_id,
                    OutboxItem.status == "pending",
                    OutboxItem.next_attempt_at <= now,
                )
                .values(next_attempt_at=now + LEASE, attempts=OutboxItem.attempts + 1)
            )
            if getattr(result, "rowcount", 0) == 1:
                claimed.append(item_id)
    return claimed


def load_outbound(db: Database, item_id: int) -> tuple[OutboundMessage, int] | None:
    with db.session() as session:
        row = session.execute(
            select(OutboxItem, Message, Conversation)
            .join(Message, OutboxItem.message_id == Message.id)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(OutboxItem.id == item_id)
        ).first()
        if row is None:
            return None
        item, message, conversation = row
        outbound = OutboundMessage(
            message_id=message.id,
            conversation_public_id=conversation.public_id,
            channel=message.channel,
            recipient=conversation.external_user_id,
            sender=message.sender,
            text=message.text,
            created_at=message.created_at,
            buttons=tuple(Button(b["title"], b["payload"]) for b in message.buttons or []),
        )
        return outbound, item.attempts


def record_result(db: Database, item_id: int, attempts: int, error: str | None) -> None:
    with db.session() as session:
        item = session.get(OutboxItem, item_id)
        assert item is not None
        if error is None:
            item.status = "sent"
            item.sent_at = utcnow()
            item.last_error = None
        elif attempts >= MAX_ATTEMPTS:
            item.status = "dead"
            item.last_error = error[:255]
        else:
            item.next_attempt_at = utcnow() + backoff(attempts)
            item.last_error = error[:255]


async def deliver(db: Database, senders: dict[str, ChannelSender], item_id: int) -> bool:
    """Send one claimed outbox row. Returns True when it went out."""
    loaded = await to_thread.run_sync(load_outbound, db, item_id)
    if loaded is None:
        return False
    outbound, attempts = loaded
    sender = senders.get(outbound.channel)
    error: str | None = None
    if sender is None:
        error = f"no sender for channel {outbound.channel}"
    else:
        try:
            await sender.send(outbound)
        except DeliveryError as exc:
            error = str(exc) or type(exc).__name__
        except Exception as exc:  # a provider bug must not kill the loop
            log.exception("unexpected delivery failure for outbox item %s", item_id)
            error = type(exc).__name__
    if error is not None:
        log.warning("delivery of outbox item %s failed (attempt %s): %s", item_id, attempts, error)
    await to_thread.run_sync(record_result, db, item_id, attempts, error)
    return error is None
