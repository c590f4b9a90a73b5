"""The inbox router against a fake Rasa server: order, exactly-once replies, retries."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.core.config import Settings
from bot.core.models import Message, OutboxItem
from bot.pipeline.inbox import accept
from bot.pipeline.messages import BotReply, InboundMessage
from bot.pipeline.rasa_client import RasaClient
from bot.pipeline.turn import process, store_replies
from bot.pipeline.worker import claim_inbox


def _in(db, pid: str, text: str, sender: str = "visitor-0001") -> int:
    return accept(db, InboundMessage("webchat", pid, sender, text, datetime.now(UTC))).message_id


def _replies(db) -> list[Message]:
    with db.session() as s:
        return list(
            s.scalars(select(Message).where(Message.direction == "out").order_by(Message.id))
        )


@pytest.fixture
def rasa(fake_rasa):
    client = RasaClient(fake_rasa.url, "", 5)
    yield client


async def test_one_message_per_conversation_at_a_time(db, rasa) -> None:
    a1 = _in(db, "a-0000001", "first", "visitor-a")
    a2 = _in(db, "a-0000002", "second", "visitor-a")
    b1 = _in(db, "b-0000001", "other", "visitor-b")
    assert claim_inbox(db, 10) == [a1, b1]
    assert claim_inbox(db, 10) == []  # a2 waits until a1 is done
    await process(db, rasa, a1, Settings())
    assert claim_inbox(db, 10) == [a2]


async def test_replies_are_stored_with_intent_and_outbox(db, rasa, fake_rasa) -> None:
    mid = _in(db, "m-0000001", "hello there")
    claim_inbox(db, 10)
    stored = await process(db, rasa, mid, Settings())
    assert len(stored) == 1
    replies = _replies(db)
    assert [r.text for r in replies] == ["echo: hello there"]
    with db.session() as s:
        inbound = s.get(Message, mid)
        assert inbound.status == "done" and inbound.intent == "echo"
        assert inbound.confidence == pytest.approx(0.87)
        assert s.scalar(select(OutboxItem.status)) == "pending"
    assert fake_rasa.calls[0]["metadata"]["language"] == "en"


async def test_storing_replies_twice_stores_them_once(db) -> None:
    mid = _in(db, "m-0000002", "hi")
    replies = (BotReply("one"), BotReply("two"))
    assert len(store_replies(db, mid, replies)) == 2
    assert store_replies(db, mid, replies) == []
    assert [r.text for r in _replies(db)] == ["one", "two"]


async def test_crashed_turn_is_reclaimed_after_its_lease(db, rasa) -> None:
    mid = _in(db, "m-0000003", "hi")
    assert claim_inbox(db, 10) == [mid]
    # The process died here. Until the lease expires nobody else takes the row...
    assert claim_inbox(db, 10) == []
    with db.session() as s:
        s.execute(
            update(Message)
            .where(Message.id == mid)
            .values(not_before=datetime.now(UTC) - timedelta(seconds=1))
        )
    # ...then the next worker does, and the customer gets exactly one reply.
    assert claim_inbox(db, 10) == [mid]
    await process(db, rasa, mid, Settings())
    assert len(_replies(db)) == 1


async def test_rasa_down_retries_then_sends_one_holding_reply(db, rasa, fake_rasa) -> None:
    fake_rasa.fail_next = 4
    mid = _in(db, "m-0000004", "你好")
    for _ in range(4):
        with db.session() as s:
            s.execute(update(Message).where(Message.id == mid).values(not_before=None))
        assert claim_inbox(db, 10) == [mid]
        await process(db, rasa, mid, Settings())
    texts = [r.text for r in _replies(db)]
    assert len(texts) == 1 and "系统正忙" in texts[0]
    with db.session() as s:
        s.execute(update(Message).where(Message.id == mid).values(not_before=None))
    assert claim_inbox(db, 10) == [mid]
    await process(db, rasa, mid, Settings())
    texts = [r.text for r in _replies(db)]
    assert texts[1:] == ["echo: 你好"]
    with db.session() as s:
        assert s.get(Message, mid).status == "done"


async def test_a_slow_turn_does_not_hold_up_the_others(db, rasa, fake_rasa) -> None:
    """Two turns in flight at most; while one waits on a slow answer the other slot keeps
    answering everyone else."""
    import asyncio

    from bot.pipeline.outbox import Delivery
    from bot.pipeline.worker import Worker

    fake_rasa.slow = {"slow question": 10.0}
    slow = _in(db, "p-0000001", "slow question", "visitor-slow")
    quick = [_in(db, f"p-000001{n}", f"quick {n}", f"visitor-quick{n}") for n in range(4)]
    worker = Worker(db, rasa, Delivery(db, {}), concurrency=2)
    inbox = asyncio.create_task(worker.run_inbox())

    def statuses() -> dict[int, str]:
        with db.session() as s:
            return dict(s.execute(select(Message.id, Message.status)).all())

    try:
        for _ in range(200):
            if all(statuses()[m] == "done" for m in quick):
                break
            await asyncio.sleep(0.05)
        assert all(statuses()[m] == "done" for m in quick)
        assert statuses()[slow] == "processing"  # still waiting for its answer
    finally:
        worker.stop()
        fake_rasa.slow = {}
        inbox.cancel()
        await asyncio.gather(inbox, return_exceptions=True)
