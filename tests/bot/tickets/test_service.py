import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.config import Settings
from bot.core.models import Conversation, utcnow
from bot.pipeline.inbox import get_or_create_conversation
from bot.tickets.service import NotVerified, TicketError, get_ticket_for_customer, open_ticket
from tests.helpers import verify_identity

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


def test_only_a_verified_identity_of_the_owner_sees_a_ticket(db) -> None:
    owner = get_or_create_conversation(db, "webchat", "visitor-owner001")
    other = get_or_create_conversation(db, "webchat", "visitor-other001")
    same_person = get_or_create_conversation(db, "telegram", "5150")
    ticket, _ = _open(db, owner.public_id, "k2", "complaint", None)
    with pytest.raises(NotVerified):  # even the identity that opened it must verify first
        get_ticket_for_customer(db, ticket.number, owner.public_id)
    with pytest.raises(NotVerified):  # and an unverified stranger learns nothing either
        get_ticket_for_customer(db, "AX00000000000", other.public_id)
    verify_identity(db, owner.public_id, "+8613800001111")
    verify_identity(db, other.public_id, "+8613900002222")
    verify_identity(db, same_person.public_id, "+8613800001111")
    assert get_ticket_for_customer(db, ticket.number, owner.public_id) is not None
    assert get_ticket_for_customer(db, ticket.number.lower(), owner.public_id) is not None
    assert get_ticket_for_customer(db, ticket.number, other.public_id) is None
    # one customer, several channel identities: their Telegram sees the web chat's ticket
    assert get_ticket_for_customer(db, ticket.number, same_person.public_id) is not None


def test_a_verification_runs_out(db) -> None:
    owner = get_or_create_conversation(db, "webchat", "visitor-owner002")
    ticket, _ = _open(db, owner.public_id, "k4", "complaint", None)
    verify_identity(db, owner.public_id)
    with db.session() as session:
        row = session.scalar(select(Conversation).where(Conversation.public_id == owner.public_id))
        row.verified_until = utcnow() - timedelta(seconds=1)
    with pytest.raises(NotVerified):
        get_ticket_for_customer(db, ticket.number, owner.public_id)


def test_an_sms_identity_is_verified_by_its_number(db) -> None:
    sms = get_or_create_conversation(db, "sms", "p-some-pseudonym")
    ticket, _ = _open(db, sms.public_id, "k5", "complaint", None)
    assert get_ticket_for_customer(db, ticket.number, sms.public_id) is not None


def test_bad_category_and_unknown_conversation(db) -> None:
    with pytest.raises(TicketError):
        _open(db, "nope", "k3", "gossip", None)
    with pytest.raises(TicketError):
        _open(db, "no-such-conversation", "k4")
