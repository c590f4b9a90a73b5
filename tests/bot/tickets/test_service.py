import re

import pytest

from bot.config import Settings
from bot.inbox import get_or_create_conversation
from bot.tickets.service import TicketError, get_ticket_for_customer, open_ticket

POLICY = Settings()


def _open(
    db, conversation: str, key: str, category: str = "incident", sub: str | None = "card_lost"
):
    return open_ticket(
        db,
        POLICY,
        conversation_public_id=conversation,
        category=category,
        subcategory=sub,
        description="卡号 4111111111111111 丢了",
        idempotency_key=key,
    )


def test_open_ticket_is_idempotent_and_quotable(db) -> None:
    conv = get_or_create_conversation(db, "webchat", "visitor-aaaaaaaa")
    ticket, created = _open(db, conv.public_id, "k1")
    again, created_again = _open(db, conv.public_id, "k1")
    assert created and not created_again
    assert again.number == ticket.number
    assert re.fullmatch(r"AX\d{11}", ticket.number)
    assert ticket.priority == "P1"
    assert (ticket.resolution_due_at - ticket.created_at).total_seconds() == 4 * 3600
    assert "4111111111111111" not in ticket.description


def test_only_the_owner_sees_a_ticket(db) -> None:
    owner = get_or_create_conversation(db, "webchat", "visitor-owner001")
    other = get_or_create_conversation(db, "webchat", "visitor-other001")
    ticket, _ = _open(db, owner.public_id, "k2", "complaint", None)
    assert get_ticket_for_customer(db, ticket.number, owner.public_id) is not None
    assert get_ticket_for_customer(db, ticket.number.lower(), owner.public_id) is not None
    assert get_ticket_for_customer(db, ticket.number, other.public_id) is None


def test_bad_category_and_unknown_conversation(db) -> None:
    with pytest.raises(TicketError):
        _open(db, "nope", "k3", "gossip", None)
    with pytest.raises(TicketError):
        _open(db, "no-such-conversation", "k4")
