"""Erasing one customer: nothing of theirs is left in any table or in the SQLite file,
the audit trail still verifies, the service-target figures do not move, another
customer is untouched, and a legal hold stops it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.audit import trail
from bot.core.contact_vault import VaultError
from bot.core.models import Base, Customer, LegalHold, PrivacyRecord, Ticket, utcnow
from bot.privacy import erasure, holds, subjects
from bot.sla import targets
from tests.bot.privacy.seed import Person, seed, vault_of

ZHANG = ("张三丰", "+8613912345678", "visitor-zhang", "我的借记卡在地铁上丢了")
LI = ("李四光", "+8613700002222", "visitor-li", "信用卡账单金额不对")


def everything(db) -> str:
    """Every value of every row of every table, as one text."""
    parts: list[str] = []
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                parts.extend(str(value) for value in row)
    return "\n".join(parts)


def file_bytes(db) -> bytes:
    path = Path(db.engine.url.database)
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def figures(db) -> dict:
    win = targets.window("month", date.today(), "Asia/Shanghai")
    with db.session() as session:
        report = targets.report(targets.find(session, win, targets.Goals(), utcnow()))
    report.pop("generated_at", None)
    return report


def erase_by_phone(db, person: Person, actor: str = "dpo.wang") -> erasure.Erasure:
    with db.session() as session:
        subject = subjects.find(session, vault_of(db), phone=person.phone)
    result = erasure.erase(db, subject, actor, "PIPL art. 47 request #2026-118")
    trail.record(db, trail.Event(actor, "privacy.erase", "customer", result.label))
    return result


def test_nothing_of_an_erased_customer_is_left_and_the_figures_stay(db) -> None:
    zhang, li = seed(db, *ZHANG), seed(db, *LI)
    trail.record(db, trail.Event("li.agent", "ticket.read", "ticket", zhang.ticket))
    before = everything(db)
    assert zhang.name in before and zhang.words in before  # the test can fail
    with db.session() as session:
        sealed = session.scalar(select(Customer.phone_sealed).where(Customer.phone_tail == "5678"))
    assert vault_of(db).open(sealed) == zhang.phone
    if db.is_sqlite:
        assert zhang.name.encode() in file_bytes(db)
    shown = figures(db)

    result = erase_by_phone(db, zhang)

    assert result.conversations == 2 and result.tickets == [zhang.ticket]
    assert result.keys_destroyed == 1
    after = everything(db)
    for secret in (zhang.name, zhang.words, zhang.phone, zhang.phone[3:], zhang.visitor):
        assert secret not in after
    for kept in (li.name, li.words, li.visitor):
        assert kept in after
    with pytest.raises(VaultError, match="destroyed"):
        vault_of(db).open(sealed)  # a copy taken before: unreadable (crypto-shredding)
    if db.is_sqlite:
        raw = file_bytes(db)
        for secret in (zhang.name, zhang.words, zhang.phone[3:]):
            assert secret.encode() not in raw
        assert li.name.encode() in raw
        assert "VACUUM" in result.storage
    else:
        assert "VACUUM" in result.storage
    assert figures(db) == shown
    with db.session() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == zhang.ticket))
        assert ticket is not None and ticket.description == erasure.ERASED
        assert ticket.resolved_at is not None and ticket.priority
        record = session.scalar(select(PrivacyRecord).where(PrivacyRecord.kind == "erase"))
        assert record is not None and record.subject.startswith("customer #")
        assert record.report["changed"]["messages"] == 3
    assert trail.verify(db).ok


def test_a_legal_hold_refuses_the_erasure_until_it_is_lifted(db) -> None:
    zhang = seed(db, *ZHANG)
    with db.session() as session:
        subject = subjects.find(session, vault_of(db), ticket=zhang.ticket)
        with pytest.raises(holds.HoldError):
            holds.place(session, subject, "", "legal.zhou")
        hold = holds.place(session, subject, "诉讼保全（2026）京0105民初123号", "legal.zhou")
        hold_id = hold.id
    with db.session() as session:  # the ticket's hold covers the whole customer's request
        subject = subjects.find(session, vault_of(db), phone=zhang.phone)
    with pytest.raises(erasure.Refused, match="京0105民初123号"):
        erasure.erase(db, subject, "dpo.wang", "PIPL art. 47 request")
    assert zhang.name in everything(db)
    with db.session() as session:
        holds.lift(session, hold_id, "判决已生效，保全解除", "legal.zhou")
    result = erasure.erase(db, subject, "dpo.wang", "PIPL art. 47 request")
    assert result.conversations == 2 and zhang.name not in everything(db)
    with db.session() as session:
        lifted = session.get(LegalHold, hold_id)
        assert lifted is not None and lifted.lifted_by == "legal.zhou"
        assert lifted.label == f"工单 {zhang.ticket}"  # the hold's record outlives the data


def test_a_customer_is_found_one_way_only(db) -> None:
    zhang = seed(db, *ZHANG)
    vault = vault_of(db)
    with db.session() as session:
        by_phone = subjects.find(session, vault, phone="139 1234 5678")
        by_ticket = subjects.find(session, vault, ticket=zhang.ticket.lower())
        by_chat = subjects.find(session, vault, channel="webchat", user=zhang.visitor)
        by_sms = subjects.find(session, vault, channel="sms", user=zhang.phone)
        assert (
            by_phone.conversation_ids
            == by_ticket.conversation_ids
            == by_chat.conversation_ids
            == by_sms.conversation_ids
            == sorted([zhang.webchat_id, zhang.sms_id])
        )
        with pytest.raises(subjects.SubjectError, match="one way"):
            subjects.find(session, vault, phone=zhang.phone, ticket=zhang.ticket)
        with pytest.raises(subjects.SubjectError, match="no customer"):
            subjects.find(session, vault, phone="+8613000000000")
        with pytest.raises(subjects.SubjectError, match="not a phone"):
            subjects.find(session, vault, phone="abc")


def test_an_anonymous_web_chat_visitor_is_erased_alone(db) -> None:
    from bot.pipeline.inbox import accept
    from bot.pipeline.messages import InboundMessage

    accept(db, InboundMessage("webchat", "anon-1", "visitor-anon", "我姓欧阳，想问房贷", utcnow()))
    seed(db, *LI)
    with db.session() as session:
        subject = subjects.find(session, vault_of(db), channel="webchat", user="visitor-anon")
    assert subject.customer_id is None and len(subject.conversation_ids) == 1
    erasure.erase(db, subject, "dpo.wang", "request by e-mail")
    assert "欧阳" not in everything(db) and "李四光" in everything(db)
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM conversations")).scalar() == 3
