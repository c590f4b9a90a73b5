import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.config import Settings
from bot.core.models import Conversation, Ticket, TicketEvent, utcnow
from bot.pipeline.inbox import get_or_create_conversation
from bot.tickets.service import (
    NotVerified,
    TicketError,
    add_to_open_ticket,
    get_ticket_for_customer,
    open_ticket,
)
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


def test_the_opener_or_a_verified_identity_of_the_owner_sees_a_ticket(db) -> None:
    owner = get_or_create_conversation(db, "webchat", "visitor-owner001")
    other = get_or_create_conversation(db, "webchat", "visitor-other001")
    same_person = get_or_create_conversation(db, "telegram", "5150")
    ticket, _ = _open(db, owner.public_id, "k2", "complaint", None)
    # the identity that opened it is told at once, in that same conversation
    assert get_ticket_for_customer(db, ticket.number, owner.public_id) is not None
    with pytest.raises(NotVerified):  # an unverified stranger learns nothing
        get_ticket_for_customer(db, "AX00000000000", other.public_id)
    with pytest.raises(NotVerified):  # whether or not the ticket exists
        get_ticket_for_customer(db, ticket.number, other.public_id)
    with pytest.raises(NotVerified):  # nor does the same person on another channel, yet
        get_ticket_for_customer(db, ticket.number, same_person.public_id)
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
    elsewhere = get_or_create_conversation(db, "telegram", "5151")
    ticket, _ = _open(db, owner.public_id, "k4", "complaint", None)
    verify_identity(db, owner.public_id)
    verify_identity(db, elsewhere.public_id)
    assert get_ticket_for_customer(db, ticket.number, elsewhere.public_id) is not None
    with db.session() as session:
        row = session.scalar(
            select(Conversation).where(Conversation.public_id == elsewhere.public_id)
        )
        row.verified_until = utcnow() - timedelta(seconds=1)
    with pytest.raises(NotVerified):
        get_ticket_for_customer(db, ticket.number, elsewhere.public_id)


def test_an_sms_identity_is_verified_by_its_number(db) -> None:
    sms = get_or_create_conversation(db, "sms", "p-some-pseudonym")
    ticket, _ = _open(db, sms.public_id, "k5", "complaint", None)
    assert get_ticket_for_customer(db, ticket.number, sms.public_id) is not None


def test_bad_category_and_unknown_conversation(db) -> None:
    with pytest.raises(TicketError):
        _open(db, "nope", "k3", "gossip", None)
    with pytest.raises(TicketError):
        _open(db, "no-such-conversation", "k4")


def _ask(db, conversation: str, key: str, category: str, sub: str | None, words: str, reuse: str):
    return open_ticket(
        db,
        POLICY,
        conversation_public_id=conversation,
        category=category,
        subcategory=sub,
        description=words,
        idempotency_key=key,
        reuse=reuse,
    )


def test_asking_again_adds_to_the_open_ticket_instead_of_opening_another(db) -> None:
    visitor = get_or_create_conversation(db, "webchat", "visitor-again001")
    first, created = _ask(
        db, visitor.public_id, "h1", "inquiry", "human_request", "转人工", "conversation"
    )
    assert created and not first.reused
    # a second request for a person, a second misunderstanding, anger: the same ticket
    for key, sub, words in (
        ("h2", "human_request", "人工"),
        ("h3", "fallback", "asdf"),
        ("h4", "anger", "气死了"),
    ):
        again, created = _ask(db, visitor.public_id, key, "inquiry", sub, words, "conversation")
        assert not created and again.reused and again.number == first.number
    with db.session() as session:
        assert session.scalar(select(func.count(Ticket.id))) == 1
        added = session.scalars(
            select(TicketEvent.body).where(TicketEvent.action == "added").order_by(TicketEvent.id)
        ).all()
        assert added == ["人工", "asdf", "气死了"]
    # the same key is still the same answer, and a resolved ticket takes no more
    assert (
        _ask(db, visitor.public_id, "h1", "inquiry", None, "x", "conversation")[0].number
        == first.number
    )
    with db.session() as session:
        session.scalar(select(Ticket)).status = "resolved"
    fresh, created = _ask(
        db, visitor.public_id, "h5", "inquiry", "human_request", "转人工", "conversation"
    )
    assert created and fresh.number != first.number


def test_same_need_joins_only_a_ticket_of_that_kind(db) -> None:
    visitor = get_or_create_conversation(db, "webchat", "visitor-need0001")
    card, _ = _ask(db, visitor.public_id, "n1", "incident", "card_lost", "卡丢了", "same_need")
    fraud, created = _ask(db, visitor.public_id, "n2", "incident", "fraud", "被骗了", "same_need")
    assert created and fraud.number != card.number  # another incident is another need
    again, created = _ask(
        db, visitor.public_id, "n3", "incident", "card_lost", "还是卡的事", "same_need"
    )
    assert not created and again.number == card.number
    other = get_or_create_conversation(db, "webchat", "visitor-need0002")
    theirs, created = _ask(
        db, other.public_id, "n4", "incident", "card_lost", "卡丢了", "same_need"
    )
    assert created and theirs.number != card.number  # never another customer's ticket


def test_a_regulator_threat_raises_the_open_ticket_to_p1(db) -> None:
    visitor = get_or_create_conversation(db, "webchat", "visitor-escal001")
    first, _ = _ask(db, visitor.public_id, "e1", "complaint", None, "柜台转错账", "same_need")
    assert first.priority == "P2"
    raised, created = _ask(
        db, visitor.public_id, "e2", "complaint", "escalation_risk", "我要打12378", "conversation"
    )
    assert not created and raised.number == first.number and raised.priority == "P1"
    assert raised.resolution_due_at - raised.created_at == timedelta(hours=4)
    with db.session() as session:
        event = session.scalar(select(TicketEvent).where(TicketEvent.action == "priority"))
        assert (event.from_value, event.to_value) == ("P2", "P1")
        ticket = session.scalar(select(Ticket))
        assert ticket.next_escalation_at is not None  # the ladder pages the on-call now
    # a new one on its own is P1 by the rules
    alone = get_or_create_conversation(db, "webchat", "visitor-escal002")
    new, _ = _ask(
        db, alone.public_id, "e3", "complaint", "escalation_risk", "找媒体曝光", "conversation"
    )
    assert new.priority == "P1"


def test_words_added_to_the_recent_open_ticket_only(db) -> None:
    visitor = get_or_create_conversation(db, "webchat", "visitor-adds0001")
    assert add_to_open_ticket(db, POLICY, visitor.public_id, "还有一件事") is None  # none yet
    opened, _ = _ask(db, visitor.public_id, "a1", "complaint", None, "柜台转错账", "same_need")
    added = add_to_open_ticket(db, POLICY, visitor.public_id, "他们还威胁说要上门")
    assert added is not None and added.number == opened.number and added.reused
    with db.session() as session:
        ticket = session.scalar(select(Ticket))
        ticket.created_at = utcnow() - timedelta(days=2)  # an old ticket is another matter
    assert add_to_open_ticket(db, POLICY, visitor.public_id, "在吗") is None
    with db.session() as session:
        bodies = session.scalars(
            select(TicketEvent.body).where(TicketEvent.action == "added")
        ).all()
    assert bodies == ["他们还威胁说要上门"]
