"""The checks before Rasa: one named function each, in one ordered list, each settling
only what it decides."""

import inspect
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

import bot.pipeline.checks as checks_module
from bot.core.config import Settings
from bot.core.models import Conversation, Message
from bot.pipeline.checks import CHECKS, CLARIFY_EN, CLARIFY_ZH, SLOW_DOWN, Step, run_checks
from bot.pipeline.inbox import accept
from bot.pipeline.messages import InboundMessage

ORDER = [
    "not_text",
    "identity_code",
    "followup_answer",
    "ticket_clocks",
    "with_a_person",
    "rate_limit",
    "kb_choice",
    "clarify",
]


def test_each_check_is_a_function_of_its_own_in_the_stated_order() -> None:
    assert [check.__name__ for check in CHECKS] == ORDER
    for check in CHECKS:
        assert inspect.isfunction(check) and check.__qualname__ == check.__name__
        assert check.__doc__, f"{check.__name__} says what it decides"
    # the turn runs the list; it holds none of the checks itself
    turn_source = inspect.getsource(__import__("bot.pipeline.turn", fromlist=["x"]))
    assert "run_checks" in turn_source
    for name in ORDER:
        assert f"def {name}" not in turn_source
        assert f"def {name}" in inspect.getsource(checks_module)


def _message(db, visitor: str, text: str = "hi", kind: str = "text") -> int:
    inbound = InboundMessage(
        "webchat", f"m-{uuid.uuid4().hex[:10]}", visitor, text, datetime.now(UTC), kind=kind
    )
    return accept(db, inbound).message_id


def _run(db, message_id: int, settings: Settings | None = None) -> list[int] | None:
    with db.session() as session:
        message = session.get(Message, message_id)
        conversation = session.get(Conversation, message.conversation_id)
        step = Step(session, settings or Settings(), message, conversation, None)
        return run_checks(step)


def _said(db, ids: list[int]) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Message.text).where(Message.id.in_(ids))))


def test_a_plain_question_goes_to_rasa(db) -> None:
    message_id = _message(db, "visitor-checks-1", "信用卡怎么还款")
    assert _run(db, message_id) is None
    with db.session() as session:
        assert session.get(Message, message_id).status == "pending"


def test_a_picture_is_told_we_read_text_and_settled(db) -> None:
    message_id = _message(db, "visitor-checks-2", "[image]", kind="image")
    created = _run(db, message_id)
    assert created and "文字" in _said(db, created)[0]
    with db.session() as session:
        assert session.get(Message, message_id).status == "done"


def test_a_queued_conversation_keeps_the_assistant_silent(db) -> None:
    first = _message(db, "visitor-checks-3")
    with db.session() as session:
        conversation = session.get(Conversation, session.get(Message, first).conversation_id)
        conversation.mode = "human"
    assert _run(db, _message(db, "visitor-checks-3", "还在吗")) == []


def test_over_the_rate_limit_one_notice_then_silence(db) -> None:
    settings = Settings(ANXIN_SENDER_PER_MIN=2)
    results = [_run(db, _message(db, "visitor-checks-4"), settings) for _ in range(4)]
    assert results[0] is None and results[1] is None
    assert _said(db, results[2]) == [SLOW_DOWN.text]
    assert results[3] == []


def test_punctuation_or_a_one_word_what_gets_a_clarifying_question(db) -> None:
    for n, text in enumerate(["？？？", "啥？", "什么意思", "。。。"]):
        created = _run(db, _message(db, f"visitor-clarify-{n}", text))
        assert created and _said(db, created) == [CLARIFY_ZH.text]
    created = _run(db, _message(db, "visitor-clarify-en", "what?"))
    assert created and _said(db, created) == [CLARIFY_EN.text]
    with db.session() as session:
        buttons = session.get(Message, created[0]).buttons
        assert [b["title"] for b in buttons] == [
            "Report a lost card",
            "Check a ticket",
            "Talk to a person",
        ]
    # a question, a greeting or an answer goes on to the assistant
    for text in ("什么是年费", "你好", "嗯", "ok", "what is the fee for a transfer?"):
        assert _run(db, _message(db, "visitor-clarify-q", text)) is None
