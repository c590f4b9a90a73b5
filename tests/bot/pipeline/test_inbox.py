import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.core.db import Database
from bot.core.migrate import upgrade
from bot.core.models import Conversation, Message
from bot.pipeline.inbox import accept, get_or_create_conversation
from bot.pipeline.messages import InboundMessage


def _msg(pid: str, text: str = "你好", sender: str = "visitor-0001") -> InboundMessage:
    return InboundMessage("webchat", pid, sender, text, datetime.now(UTC))


def test_accept_stores_once_and_redacts(db) -> None:
    first = accept(db, _msg("m-00000001", "卡号 4111111111111111 丢了"))
    again = accept(db, _msg("m-00000001", "卡号 4111111111111111 丢了"))
    assert not first.duplicate and again.duplicate
    assert again.message_id == first.message_id
    with db.session() as s:
        rows = s.scalars(select(Message)).all()
        assert len(rows) == 1
        assert rows[0].status == "pending" and rows[0].language == "zh"
        assert "4111111111111111" not in rows[0].text


def test_concurrent_duplicates_store_one_row(db) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda _: accept(db, _msg("m-racing-1", sender="visitor-race")), range(16))
        )
    assert len({r.message_id for r in results}) == 1
    assert sum(not r.duplicate for r in results) == 1
    with db.session() as s:
        assert s.scalar(select(func.count(Message.id))) == 1
        assert s.scalar(select(func.count(Conversation.id))) == 1


def test_language_follows_the_customer(db) -> None:
    accept(db, _msg("m-00000010", "你好"))
    accept(db, _msg("m-00000011", "How do I reset my password?"))
    with db.session() as s:
        assert s.scalars(select(Message.language).order_by(Message.id)).all() == ["zh", "en"]
        assert s.scalar(select(Conversation.language)) == "en"


def test_the_first_message_sets_the_language_of_a_chat_opened_before_it(db) -> None:
    """A web chat's conversation is opened with the page; its first message, even one
    English word, still sets the language; after that one word does not switch it."""
    get_or_create_conversation(db, "webchat", "visitor-early001")
    accept(db, _msg("m-00000030", "what??", sender="visitor-early001"))
    accept(db, _msg("m-00000031", "好的谢谢你", sender="visitor-early001"))
    accept(db, _msg("m-00000032", "ATM", sender="visitor-early001"))
    with db.session() as s:
        assert s.scalars(select(Message.language).order_by(Message.id)).all() == ["en", "zh", "zh"]


def test_a_repeated_message_id_from_another_sender_is_a_duplicate(db) -> None:
    """A provider id already stored is acknowledged as a duplicate even when the repeat
    names another sender (a forged or garbled retry): no new conversation, no error."""
    first = accept(db, _msg("m-00000020", "你好", sender="visitor-first001"))
    again = accept(db, _msg("m-00000020", "你好", sender="visitor-other001"))
    assert again.duplicate and again.message_id == first.message_id
    assert again.conversation_public_id == first.conversation_public_id
    with db.session() as s:
        assert s.scalar(select(func.count(Conversation.id))) == 1


def test_a_webhook_waits_for_the_workers_write_lock_then_stores(tmp_path) -> None:
    """SQLite: while another connection holds the write lock the store waits (it does
    not fail with "database is locked"), stores as soon as the lock is free, and leaves
    the connection's busy timeout as it found it."""
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    upgrade(url)
    db = Database(url)
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with ThreadPoolExecutor(max_workers=1) as pool:
            storing = pool.submit(accept, db, _msg("m-locked-1"))
            time.sleep(0.3)
            assert not storing.done()  # waiting for the lock, not failed
            holder.execute("COMMIT")
            stored = storing.result(timeout=10)
        assert not stored.duplicate
        with db.engine.connect() as c:  # the pool's one connection, handed back
            assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        holder.close()
        db.dispose()
