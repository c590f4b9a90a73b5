"""Group commit of webhook messages: stored together, each caller told its own outcome."""

import asyncio
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.core.contact_vault import VaultError
from bot.core.db import Database
from bot.core.migrate import upgrade
from bot.core.models import Conversation, Message
from bot.pipeline.group_commit import InboxWriter
from bot.pipeline.inbox import accept_many
from bot.pipeline.messages import InboundMessage


def _msg(pid: str, sender: str = "visitor-0001", **extra) -> InboundMessage:
    return InboundMessage(
        "webchat", pid, sender, "卡号 4111111111111111 丢了", datetime.now(UTC), **extra
    )


def _count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count(model.id)))


async def test_a_burst_is_stored_in_few_transactions_each_caller_its_own_id(db) -> None:
    writer = InboxWriter(db)
    results = await asyncio.gather(
        *(writer.store(_msg(f"m-burst-{i:04}", sender=f"visitor-{i % 7:04}")) for i in range(60))
    )
    assert len({r.message_id for r in results}) == 60 and not any(r.duplicate for r in results)
    assert writer.transactions < 10  # one per message before
    assert _count(db, Message) == 60 and _count(db, Conversation) == 7
    with db.session() as s:
        stored = dict(s.execute(select(Message.provider_msg_id, Message.id)).all())
        assert all("4111111111111111" not in t for t in s.scalars(select(Message.text)))
    assert all(stored[f"m-burst-{i:04}"] == r.message_id for i, r in enumerate(results))


async def test_a_retry_in_the_same_batch_is_a_duplicate_not_a_second_row(db) -> None:
    writer = InboxWriter(db)
    first, again, other = await asyncio.gather(
        writer.store(_msg("m-twice")), writer.store(_msg("m-twice")), writer.store(_msg("m-once"))
    )
    assert not first.duplicate and again.duplicate and not other.duplicate
    assert again.message_id == first.message_id
    assert _count(db, Message) == 2


async def test_one_bad_message_fails_alone(db) -> None:
    """A message that cannot be stored (a reply address to seal and no key) gets its
    error; the others in its batch are stored."""
    writer = InboxWriter(db)
    results = await asyncio.gather(
        writer.store(_msg("m-good-1")),
        writer.store(_msg("m-sealed", reply_address="+8613800000000")),
        writer.store(_msg("m-good-2")),
        return_exceptions=True,
    )
    assert isinstance(results[1], VaultError)
    assert not isinstance(results[0], Exception) and not isinstance(results[2], Exception)
    assert _count(db, Message) == 2


def test_a_failed_batch_is_stored_one_by_one(db) -> None:
    """A batch whose transaction fails keeps nothing of it, then stores each message on
    its own: a message that breaks the table's rules (no time received) fails alone."""
    broken = InboundMessage("webchat", "m-no-time", "visitor-0002", "你好", None)  # type: ignore[arg-type]
    batch = [(_msg("m-fine-1"), 1), (broken, 2), (_msg("m-fine-2"), 3)]
    outcomes = accept_many(db, lambda: batch, None)
    assert [tag for tag, _ in outcomes] == [1, 2, 3]
    results = [outcome for _, outcome in outcomes]
    assert isinstance(results[1], Exception)
    assert [r.duplicate for r in (results[0], results[2])] == [False, False]  # type: ignore[union-attr]
    assert _count(db, Message) == 2


async def test_unavailable_database_fails_every_caller() -> None:
    down = Database("postgresql://postgres@127.0.0.1:1/anxin")
    try:
        writer = InboxWriter(down)
        results = await asyncio.gather(
            *(writer.store(_msg(f"m-down-{i}")) for i in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, Exception) for r in results)
    finally:
        down.dispose()


def test_what_arrives_while_waiting_for_the_lock_goes_in_with_it(tmp_path) -> None:
    """SQLite: the batch is taken once the write lock is held, so messages that came
    while another connection held it are stored in that same transaction."""
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    upgrade(url)
    db = Database(url)
    holder = sqlite3.connect(tmp_path / "lock.db", isolation_level=None)
    queue = [(_msg("m-early"), "early")]
    try:
        holder.execute("BEGIN IMMEDIATE")
        with ThreadPoolExecutor(max_workers=1) as pool:
            storing = pool.submit(accept_many, db, lambda: list(queue), None)
            time.sleep(0.2)
            queue.append((_msg("m-late", sender="visitor-0003"), "late"))  # arrives meanwhile
            holder.execute("COMMIT")
            outcomes = storing.result(timeout=10)
        assert [tag for tag, _ in outcomes] == ["early", "late"]
        assert _count(db, Message) == 2
    finally:
        holder.close()
        db.dispose()


def test_a_database_that_cannot_be_reached_fails_what_was_waiting() -> None:
    down = Database("postgresql://postgres@127.0.0.1:1/anxin")
    try:
        outcomes = accept_many(down, lambda: [(_msg("m-a"), "a"), (_msg("m-b"), "b")], None)
        assert [tag for tag, _ in outcomes] == ["a", "b"]
        assert all(isinstance(outcome, Exception) for _, outcome in outcomes)
    finally:
        down.dispose()
