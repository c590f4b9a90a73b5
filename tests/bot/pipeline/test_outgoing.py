"""The one writer of outgoing messages: masked text, one outbox row each, written once."""

import ast
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.core.models import Conversation, Message, OutboxItem
from bot.pipeline.inbox import accept
from bot.pipeline.messages import BotReply, Button, InboundMessage
from bot.pipeline.outgoing import queue_message, write, write_replies

ROOT = Path(__file__).resolve().parents[3]
WRITER = "bot/pipeline/outgoing.py"


def _inbound(db) -> int:
    message = InboundMessage(
        "webchat", f"m-{uuid.uuid4().hex[:10]}", "visitor-outgoing", "hi", datetime.now(UTC)
    )
    return accept(db, message).message_id


def _writes_outgoing_rows(tree: ast.AST) -> list[str]:
    """What in a module creates an outgoing message or an outbox row."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name == "OutboxItem":
                found.append("OutboxItem(...)")
            if (
                name == "insert"
                and node.args
                and ast.unparse(node.args[0])
                in (
                    "OUTBOX",
                    "OutboxItem",
                    "OutboxItem.__table__",
                )
            ):
                found.append(f"insert({ast.unparse(node.args[0])})")
            for keyword in node.keywords:
                if keyword.arg == "direction" and ast.unparse(keyword.value) == "'out'":
                    found.append("direction='out'")
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is not None and ast.unparse(key) == "'direction'":
                    if ast.unparse(value) == "'out'":
                        found.append("{'direction': 'out'}")
    return found


def test_exactly_one_module_writes_outgoing_messages_and_outbox_rows() -> None:
    writers = {}
    for package in ("bot", "channels", "actions"):
        for path in sorted((ROOT / package).rglob("*.py")):
            found = _writes_outgoing_rows(ast.parse(path.read_text(encoding="utf-8")))
            if found:
                writers[str(path.relative_to(ROOT))] = found
    assert list(writers) == [WRITER], writers


def test_the_layout_check_sees_a_second_writer() -> None:
    """The check above can fail: it finds an ORM or a Core write of either row."""
    for source in (
        "session.add(OutboxItem(message_id=1))",
        "session.execute(insert(OUTBOX), {})",
        "Message(channel='sms', direction='out')",
        "session.execute(insert(MESSAGES), {'direction': 'out'})",
    ):
        assert _writes_outgoing_rows(ast.parse(source)), source
    assert not _writes_outgoing_rows(ast.parse("select(Message).where(Message.direction == 'out')"))


def test_replies_are_masked_buttoned_and_written_once(db) -> None:
    inbound_id = _inbound(db)
    replies = (
        BotReply("您的卡号 6222021234567890123 已挂失", (Button("是", "/affirm"),)),
        BotReply("two"),
    )
    with db.session() as session:
        inbound = session.get(Message, inbound_id)
        first = write_replies(session, inbound, replies, "reply")
    with db.session() as session:
        inbound = session.get(Message, inbound_id)
        again = write_replies(session, inbound, replies, "reply")
    assert len(first) == 2 and again == []
    with db.session() as session:
        rows = session.scalars(select(Message).where(Message.id.in_(first))).all()
        assert [r.provider_msg_id for r in rows] == [
            f"reply-{inbound_id}-0",
            f"reply-{inbound_id}-1",
        ]
        assert "6222021234567890123" not in rows[0].text
        assert rows[0].buttons == [{"title": "是", "payload": "/affirm"}]
        assert {r.reply_to_id for r in rows} == {inbound_id}
        outbox = session.scalar(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.message_id.in_(first))
        )
        assert outbox == 2


def test_a_desk_message_and_a_sealed_text_each_get_their_outbox_row(db) -> None:
    inbound_id = _inbound(db)
    with db.session() as session:
        conversation = session.get(Conversation, session.get(Message, inbound_id).conversation_id)
        agent = queue_message(session, conversation, "请拨打 13800001111", "agent", author="王芳")
        code = write(
            session,
            conversation_id=conversation.id,
            channel="sms",
            provider_msg_id="otp-1",
            sender="system",
            text="[验证码短信/one-time code SMS]",
            language="zh",
            sealed_text="sealed",
        )
    with db.session() as session:
        message = session.get(Message, agent)
        assert message.author == "王芳" and message.direction == "out"
        assert "13800001111" not in message.text
        items = {
            i.message_id: i.sealed_text
            for i in session.scalars(
                select(OutboxItem).where(OutboxItem.message_id.in_((agent, code)))
            )
        }
        assert items == {agent: None, code: "sealed"}
