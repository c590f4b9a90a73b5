"""A ticket's query code: made with the ticket, told once in the assistant's reply
(neither Rasa nor the stored transcript holds it), then checked by its hash."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.core.config import Settings
from bot.core.contact_vault import ContactVault
from bot.core.models import Message, OutboxItem, Ticket
from bot.identity.verification import Identity
from bot.pipeline.inbox import accept, get_or_create_conversation
from bot.pipeline.messages import InboundMessage
from bot.pipeline.rasa_client import RasaClient
from bot.pipeline.turn import process
from bot.tickets import query_code
from bot.tickets.service import open_ticket
from tests.conftest import DATA_KEY

VAULT = ContactVault(DATA_KEY)


def _open(db, conversation, key: str) -> str:
    ticket, _ = open_ticket(
        db,
        Settings(),
        conversation_public_id=conversation.public_id,
        category="complaint",
        subcategory=None,
        description="柜台转错账",
        idempotency_key=key,
        vault=VAULT,
    )
    return ticket.number


async def _turn(db, fake_rasa, visitor: str, text: str) -> list[int]:
    inbound = InboundMessage("webchat", f"{visitor}-{text}", visitor, text, datetime.now(UTC))
    message_id = accept(db, inbound, VAULT).message_id
    identity = Identity(VAULT, timedelta(hours=1), ZoneInfo("Asia/Shanghai"))
    return await process(db, RasaClient(fake_rasa.url, "", 5), message_id, Settings(), identity)


async def test_the_code_is_told_once_sealed_and_stored_masked(db, fake_rasa) -> None:
    conversation = get_or_create_conversation(db, "webchat", "visitor-qcode-01")
    number = _open(db, conversation, "qc-1")
    fake_rasa.reply = lambda text: [
        {"text": f"已为您登记工单 {number}。查询码 {query_code.mark(number)}，请妥善保管。"}
    ]
    [reply_id] = await _turn(db, fake_rasa, "visitor-qcode-01", "投诉柜台转错账")
    with db.session() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.query_code_sealed is None  # told: the sealed copy is gone
        stored = session.get(Message, reply_id).text
        assert stored == f"已为您登记工单 {number}。查询码 {query_code.MASK}，请妥善保管。"
        sealed = session.scalar(
            select(OutboxItem.sealed_text).where(OutboxItem.message_id == reply_id)
        )
    sent = VAULT.open(sealed)  # what the outbox sends the customer
    code = re.search(r"查询码 ([A-Z2-9]{8})，", sent).group(1)
    with db.session() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert query_code.matches(ticket, VAULT, code)
        assert query_code.matches(ticket, VAULT, code.lower())
        assert not query_code.matches(ticket, VAULT, "ABCD2345")
        assert not any(code in (m.text or "") for m in session.scalars(select(Message)))


async def test_another_conversation_is_never_told_a_code(db, fake_rasa) -> None:
    owner = get_or_create_conversation(db, "webchat", "visitor-qcode-02")
    number = _open(db, owner, "qc-2")
    get_or_create_conversation(db, "webchat", "visitor-qcode-03")
    fake_rasa.reply = lambda text: [{"text": f"查询码 {query_code.mark(number)}"}]
    [reply_id] = await _turn(db, fake_rasa, "visitor-qcode-03", "hi")
    with db.session() as session:
        assert session.get(Message, reply_id).text == f"查询码 {query_code.MASK}"
        sealed = session.scalar(
            select(OutboxItem.sealed_text).where(OutboxItem.message_id == reply_id)
        )
        assert sealed is None  # nothing to tell: the marker stays masked
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.query_code_sealed is not None  # still waiting for its owner


def test_a_code_typed_back_is_found_in_a_sentence() -> None:
    assert query_code.IN_TEXT.search("查询码是 km4p7rxq 谢谢").group(0) == "km4p7rxq"
    assert query_code.IN_TEXT.search("AX26120300001") is None  # a ticket number is not one
    assert query_code.IN_TEXT.search("password") is None  # letters alone are a word
    assert query_code.IN_TEXT.search("12345678") is None  # digits alone are not a code
