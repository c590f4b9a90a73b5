"""VIP customers: configured with the CLI, marked on their conversations, served first."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.access.accounts import add_user
from bot.cli import main
from bot.core.models import Conversation, Handoff, VipCustomer
from bot.pipeline.inbox import accept
from bot.pipeline.messages import InboundMessage
from fakes.processes import wait_for
from tests.helpers import agent_client, ask_for_human, beat, chat_post, visitor_of


def _tier(db, visitor: str) -> str | None:
    with db.session() as s:
        return s.scalar(select(Conversation.tier).where(Conversation.external_user_id == visitor))


def test_vip_cli_marks_existing_and_future_conversations(cli_db, customer, capsys) -> None:
    known = visitor_of(
        cli_db, chat_post(customer, "visitor-known", "你好").json()["conversation_id"]
    )
    assert _tier(cli_db, known) == "standard"
    assert main(["vip", "add", "webchat", known]) == 0
    assert main(["vip", "add", "telegram", "5550001"]) == 0
    assert main(["vip", "add", "telegram", "5550001"]) == 0  # once only
    assert _tier(cli_db, known) == "vip"
    later = InboundMessage("telegram", "tg-vip-1", "5550001", "你好", datetime.now(UTC))
    accept(cli_db, later)  # their first message, on any channel
    assert _tier(cli_db, "5550001") == "vip"
    capsys.readouterr()
    assert main(["vip", "list"]) == 0
    assert capsys.readouterr().out.split() == ["webchat", known, "telegram", "5550001"]
    assert main(["vip", "remove", "webchat", known]) == 0
    assert main(["vip", "remove", "webchat", known]) == 2
    assert _tier(cli_db, known) == "standard"


def test_sms_vips_need_the_data_key_and_are_stored_as_pseudonyms(
    cli_db, monkeypatch, capsys
) -> None:
    from bot.core.config import get_settings

    assert main(["vip", "add", "sms", "+8613812345678"]) == 2
    monkeypatch.setenv("ANXIN_DATA_KEY", "k" * 32)
    get_settings.cache_clear()
    assert main(["vip", "add", "sms", "+8613812345678"]) == 0
    with cli_db.session() as s:
        [key] = s.scalars(select(VipCustomer.external_user_id))
    assert "13812345678" not in key


def test_a_vip_is_offered_first_and_to_a_vip_agent(cli_db, customer, settings, app_db) -> None:
    add_user(app_db, "zhou.vip", "agent", "pw-zhou-vip-123", skills="vip", capacity=1)
    beat(settings, "zhou.vip")
    zhou = agent_client(settings, "zhou.vip", "pw-zhou-vip-123")
    try:
        zhou.post("/console/api/status", json={"status": "away"})
        ordinary = visitor_of(app_db, ask_for_human(customer, "visitor-ordinary")[0])  # first
        hello = chat_post(customer, "visitor-vipcust", "你好").json()["conversation_id"]
        vip = visitor_of(app_db, hello)
        assert main(["vip", "add", "webchat", vip]) == 0
        ask_for_human(customer, "visitor-vipcust")
        assert set(offers(app_db).values()) == {None}  # the only agent is away
        zhou.post("/console/api/status", json={"status": "online"})
        # Room for one chat: the VIP, though they came second.
        assert offers(app_db) == {ordinary: None, vip: "zhou.vip"}
        beat(settings, "li.na")
        customer.app.state.services.wake_scanner()
        wait_for(lambda: offers(app_db)[ordinary] == "li.na")
    finally:
        zhou.__exit__(None, None, None)


def offers(db) -> dict[str, str | None]:
    with db.session() as s:
        rows = s.execute(
            select(Conversation.external_user_id, Handoff.offered_to).join(
                Conversation, Handoff.conversation_id == Conversation.id
            )
        ).all()
    return {visitor: agent for visitor, agent in rows}
