"""Outbox delivery through the real web-chat sender (Redis pub/sub), with retry on failure."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.core.live_events import LiveEvents
from bot.core.models import Conversation, DeliveryAttempt, OutboxItem, utcnow
from bot.pipeline.inbox import accept
from bot.pipeline.messages import BotReply, InboundMessage
from bot.pipeline.outbox import Delivery, backoff, claim_due
from bot.pipeline.turn import store_replies
from channels.webchat import WebchatSender


def _reply(db, *texts: str) -> str:
    inbound = InboundMessage(
        "webchat", f"m-{uuid.uuid4().hex[:10]}", "visitor-outbox", "hi", datetime.now(UTC)
    )
    acc = accept(db, inbound)
    store_replies(db, acc.message_id, tuple(BotReply(t) for t in texts or ("您好",)))
    return acc.conversation_public_id


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    assert timedelta(seconds=0.5) <= backoff(1, 300) <= timedelta(seconds=1)
    assert timedelta(seconds=4) <= backoff(4, 300) <= timedelta(seconds=8)
    assert backoff(30, 300) <= timedelta(seconds=300)
    assert backoff(1, 300, retry_after=42) == timedelta(seconds=42)


async def test_delivered_replies_reach_the_subscriber_in_order(db, redis_url) -> None:
    events = LiveEvents(redis_url, f"t-{uuid.uuid4().hex[:6]}")
    conversation = _reply(db, "one", "two")
    delivery = Delivery(db, {"webchat": WebchatSender(events)})
    async with events.subscribe(conversation) as live:
        first = claim_due(db)
        assert len(first) == 1  # the second waits for the first: order is kept
        assert await delivery.deliver(first[0])
        [second] = claim_due(db)
        assert await delivery.deliver(second)
        frames = [await asyncio.wait_for(live.__anext__(), timeout=5) for _ in range(2)]
    assert [f["text"] for f in frames] == ["one", "two"]
    with db.session() as s:
        assert set(s.scalars(select(OutboxItem.status))) == {"sent"}
        assert s.scalar(select(DeliveryAttempt.ok)) is True
    assert claim_due(db) == []
    await events.close()


async def test_failed_delivery_backs_off_records_attempts_and_gives_up(db) -> None:
    dead_redis = LiveEvents("redis://127.0.0.1:1/0", "t")  # nothing listens on port 1
    delivery = Delivery(
        db, {"webchat": WebchatSender(dead_redis)}, give_up_after=timedelta(hours=1)
    )
    _reply(db)
    [item_id] = claim_due(db)
    assert not await delivery.deliver(item_id)
    with db.session() as s:
        item = s.get(OutboxItem, item_id)
        assert item.status == "pending" and item.attempts == 1 and item.last_error
        assert item.next_attempt_at > utcnow()
    assert claim_due(db) == []  # backing off
    for _ in range(2):
        with db.session() as s:
            s.execute(update(OutboxItem).values(next_attempt_at=utcnow()))
        [again] = claim_due(db)
        await delivery.deliver(again)
    # An hour later the outbox gives up, and says so.
    with db.session() as s:
        s.execute(
            update(OutboxItem).values(
                next_attempt_at=utcnow(), created_at=utcnow() - timedelta(hours=2)
            )
        )
    [again] = claim_due(db)
    await delivery.deliver(again)
    with db.session() as s:
        assert s.get(OutboxItem, item_id).status == "dead"
        attempts = s.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id)).all()
        assert [a.attempt for a in attempts] == [1, 2, 3, 4] and not any(a.ok for a in attempts)
    await dead_redis.close()


async def test_nothing_is_sent_after_an_opt_out(db, redis_url) -> None:
    events = LiveEvents(redis_url, f"t-{uuid.uuid4().hex[:6]}")
    _reply(db)
    with db.session() as s:
        s.execute(update(Conversation).values(opted_out_at=utcnow()))
    [item_id] = claim_due(db)
    assert not await Delivery(db, {"webchat": WebchatSender(events)}).deliver(item_id)
    with db.session() as s:
        assert s.get(OutboxItem, item_id).status == "suppressed"
    await events.close()
