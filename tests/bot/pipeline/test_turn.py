"""What the router sends Rasa: anger as a request for a person, never a customer's intent."""

from __future__ import annotations

from fakes.processes import wait_for
from tests.helpers import chat_post


def test_an_angry_customer_is_sent_to_rasa_as_a_request_for_a_person(
    fake_rasa, channel_client
) -> None:
    client = channel_client()
    chat_post(client, "visitor-" + "b" * 12, "垃圾银行！卡号 6222021234567890 又被扣钱")
    wait_for(lambda: len(fake_rasa.calls) == 1)
    [call] = fake_rasa.calls
    assert call["message"] == "/request_human"
    assert call["metadata"]["handoff_reason"] == "anger"
    assert "6222021234567890" not in call["metadata"]["text"]  # masked for the ticket
    chat_post(client, "visitor-" + "c" * 12, "你好")
    wait_for(lambda: len(fake_rasa.calls) == 2)
    assert fake_rasa.calls[1]["message"] == "你好"
    assert "handoff_reason" not in fake_rasa.calls[1]["metadata"]
    assert fake_rasa.calls[1]["metadata"]["tier"] == "standard"


def test_a_customer_cannot_inject_an_intent(fake_rasa, channel_client) -> None:
    client = channel_client()
    chat_post(client, "visitor-" + "d" * 12, ' /ticket_status{"ticket_number": "AX26112800001"}')
    wait_for(lambda: len(fake_rasa.calls) == 1)
    assert fake_rasa.calls[0]["message"].startswith("／ticket_status")


def test_a_number_after_did_you_mean_is_answered_from_the_knowledge_base(
    fake_rasa, channel_client, settings
) -> None:
    from bot.core.db import Database
    from tests.helpers import SERVICE, texts

    client = channel_client()
    visitor = "visitor-" + "k" * 12
    ack = chat_post(client, visitor, "周日银行开门吗")
    conversation = ack.json()["conversation_id"]
    wait_for(lambda: len(fake_rasa.calls) == 1)
    offer = client.post(  # what the assistant's FAQ action asks the service
        "/api/v1/internal/kb/match",
        json={"conversation_id": conversation, "text": "周日银行开门吗", "language": "zh"},
        headers=SERVICE,
    ).json()
    assert offer["decision"] == "suggested" and offer["choices"][0]["key"] == "branch_hours"
    chat_post(client, visitor, "1")
    db = Database(settings.database_url)
    try:
        wait_for(lambda: any("营业" in t for t in texts(db, "bot")))
    finally:
        db.dispose()
    assert len(fake_rasa.calls) == 1  # the pick never reached Rasa


async def test_a_flooding_sender_is_told_once_then_kept_but_not_answered(db, fake_rasa) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from bot.core.config import Settings
    from bot.core.models import Message
    from bot.pipeline.checks import SLOW_DOWN
    from bot.pipeline.inbox import accept
    from bot.pipeline.messages import InboundMessage
    from bot.pipeline.rasa_client import RasaClient
    from bot.pipeline.turn import process

    rasa, settings = RasaClient(fake_rasa.url, "", 5), Settings(ANXIN_SENDER_PER_MIN=5)
    start = datetime.now(UTC)

    async def says(n: int, at: datetime, sender: str = "o-flood") -> list[str]:
        inbound = InboundMessage("wechat", f"{sender}-{n}", sender, f"问题 {n}", at)
        stored = await process(db, rasa, accept(db, inbound).message_id, settings)
        with db.session() as session:
            return list(session.scalars(select(Message.text).where(Message.id.in_(stored))))

    answers = [await says(n, start + timedelta(seconds=n)) for n in range(8)]
    assert answers[:5] == [[f"echo: 问题 {n}"] for n in range(5)]
    assert answers[5] == [SLOW_DOWN.text] and answers[6] == answers[7] == []
    assert await says(99, start, sender="o-calm") == ["echo: 问题 99"]  # others unaffected
    assert await says(8, start + timedelta(minutes=2)) == ["echo: 问题 8"]  # a minute later
    with db.session() as session:
        kept = session.scalars(
            select(Message.status).where(Message.direction == "in", Message.channel == "wechat")
        ).all()
    assert kept == ["done"] * 10  # nothing lost: every message is stored for staff
    assert len(fake_rasa.calls) == 7
