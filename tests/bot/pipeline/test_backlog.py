"""Past capacity: a customer whose message waits too long is told it is in line, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.core.models import Message, OutboxItem
from bot.pipeline.backlog import tell_waiting
from bot.pipeline.inbox import accept
from bot.pipeline.messages import BotReply, InboundMessage
from bot.pipeline.turn import store_replies


def _in(db, pid: str, text: str, sender: str) -> int:
    return accept(db, InboundMessage("webchat", pid, sender, text, datetime.now(UTC))).message_id


def _age(db, message_id: int, seconds: float) -> None:
    with db.session() as s:
        s.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(created_at=datetime.now(UTC) - timedelta(seconds=seconds))
        )


def _out(db) -> list[tuple[int | None, str]]:
    with db.session() as s:
        return list(
            s.execute(
                select(Message.reply_to_id, Message.text)
                .where(Message.direction == "out")
                .order_by(Message.id)
            ).all()
        )


def test_the_oldest_waiting_message_of_each_conversation_is_told_once(db) -> None:
    a1 = _in(db, "wait-a-01", "我的卡被锁了怎么办", "visitor-wait-a")
    a2 = _in(db, "wait-a-02", "还在吗", "visitor-wait-a")
    b1 = _in(db, "wait-b-01", "How do I reset my password?", "visitor-wait-b")
    c1 = _in(db, "wait-c-01", "刚发的消息", "visitor-wait-c")
    for message_id in (a1, a2, b1):
        _age(db, message_id, 30)
    assert tell_waiting(db, timedelta(seconds=15)) == 2
    told = _out(db)
    assert [reply_to for reply_to, _ in told] == [a1, b1]  # not a2 (a1 is first), not c1 (new)
    assert "系统正忙" in told[0][1] and "We are busy" in told[1][1]
    assert tell_waiting(db, timedelta(seconds=15)) == 0  # once
    with db.session() as s:
        assert s.scalar(select(Message.status).where(Message.id == c1)) == "pending"
        assert len(s.scalars(select(OutboxItem.id)).all()) == 2


def test_a_rasa_outage_holding_reply_and_the_busy_notice_are_one_message(db) -> None:
    mid = _in(db, "wait-d-01", "转账失败", "visitor-wait-d")
    _age(db, mid, 60)
    assert tell_waiting(db, timedelta(seconds=15)) == 1
    # The outage path stores its holding reply under the same id: nothing new.
    hold = (BotReply("您好，系统正忙"),)
    assert store_replies(db, mid, hold, prefix="hold", finish=False) == []
    assert len(_out(db)) == 1


def test_answered_messages_are_not_told(db) -> None:
    mid = _in(db, "wait-e-01", "你好", "visitor-wait-e")
    store_replies(db, mid, (BotReply("您好"),))
    _age(db, mid, 60)
    assert tell_waiting(db, timedelta(seconds=15)) == 0
