"""Outbox delivery through the real web-chat sender (Redis pub/sub), with retry on failure."""

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update

from bot.inbox import accept
from bot.live_events import LiveEvents
from bot.models import OutboxItem, utcnow
from bot.outbox import MAX_ATTEMPTS, claim_due, deliver
from bot.rasa_client import BotReply
from bot.router import store_replies
from channels.webchat import WebchatSender


def _reply(db) -> str:
    acc = accept(db, InboundMessageFactory.make())
    store_replies(db, acc.message_id, (BotReply("您好"),))
    return acc.conversation_public_id


class InboundMessageFactory:
    @staticmethod
    def make():
        from channels.base import InboundMessage

        return InboundMessage(
            "webchat", f"m-{uuid.uuid4().hex[:10]}", "visitor-outbox", "hi", datetime.now(UTC)
        )


async def test_delivered_reply_reaches_the_subscriber(db, redis_url) -> None:
    events = LiveEvents(redis_url, f"t-{uuid.uuid4().hex[:6]}")
    conversation = _reply(db)
    async with events.subscribe(conversation) as live:
        [item_id] = claim_due(db)
        assert await deliver(db, {"webchat": WebchatSender(events)}, item_id)
        frame = await asyncio.wait_for(live.__anext__(), timeout=5)
    assert frame["text"] == "您好" and frame["sender"] == "bot"
    with db.session() as s:
        assert s.scalar(select(OutboxItem.status)) == "sent"
    assert claim_due(db) == []
    await events.close()


async def test_failed_delivery_backs_off_and_finally_gives_up(db) -> None:
    dead_redis = LiveEvents("redis://127.0.0.1:1/0", "t")  # nothing listens on port 1
    senders = {"webchat": WebchatSender(dead_redis)}
    _reply(db)
    [item_id] = claim_due(db)
    assert not await deliver(db, senders, item_id)
    with db.session() as s:
        item = s.get(OutboxItem, item_id)
        assert item.status == "pending" and item.attempts == 1 and item.last_error
        assert item.next_attempt_at > utcnow()
    assert claim_due(db) == []  # backing off
    for _ in range(MAX_ATTEMPTS - 1):
        with db.session() as s:
            s.execute(update(OutboxItem).values(next_attempt_at=utcnow()))
        [again] = claim_due(db)
        await deliver(db, senders, again)
    with db.session() as s:
        assert s.get(OutboxItem, item_id).status == "dead"
    await dead_redis.close()
