"""The retention purge: what outlived its kind's retention goes, with everything that
hangs off it; what a legal hold covers, what is recent and what an open ticket needs
stay; every run is recorded, audited and counted in /metrics; the audit trail, pruned
behind a checkpoint, still verifies."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select, update

from bot.audit import trail
from bot.core.config import Settings
from bot.core.models import (
    AuditCheckpoint,
    AuditEntry,
    ChannelState,
    Conversation,
    Customer,
    KbQuery,
    Message,
    OutboxItem,
    PrivacyRecord,
    Ticket,
    TicketEvent,
    VaultKey,
    utcnow,
)
from bot.pipeline.group_commit import InboxWriter
from bot.pipeline.rasa_client import RasaStats
from bot.privacy import holds, policy, subjects
from bot.privacy.purge import Purge
from bot.privacy.schedule import NightlyPurge, purge_and_record
from bot.web.metrics import render
from tests.bot.privacy.seed import Person, seed, vault_of

YEAR = timedelta(days=365)


def age(db, person: Person, transcripts: timedelta, tickets: timedelta | None = None) -> None:
    """Make ``person``'s chats ``transcripts`` old and their ticket resolved ``tickets`` ago."""
    now = utcnow()
    with db.session() as session:
        ids = [person.webchat_id, person.sms_id]
        session.execute(
            update(Conversation)
            .where(Conversation.id.in_(ids))
            .values(last_message_at=now - transcripts)
        )
        session.execute(
            update(Message)
            .where(Message.conversation_id.in_(ids))
            .values(created_at=now - transcripts)
        )
        session.execute(
            update(VaultKey)
            .where(VaultKey.pseudonym == vault_of(db).pseudonym(person.phone))
            .values(created_at=now - transcripts)
        )
        if tickets is not None:
            session.execute(
                update(Ticket)
                .where(Ticket.number == person.ticket)
                .values(resolved_at=now - tickets)
            )


def rows(db, model, *where) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_expired_chats_and_tickets_go_the_held_the_recent_and_the_needed_stay(db) -> None:
    old = seed(db, "赵老客", "+8613900000001", "v-old", "五年前的投诉")
    recent = seed(db, "钱新客", "+8613900000002", "v-recent", "昨天的问题")
    held = seed(db, "孙涉诉", "+8613900000003", "v-held", "诉讼中的争议")
    needed = seed(db, "李未结", "+8613900000004", "v-needed", "工单还在保留期")
    age(db, old, 4 * YEAR, 6 * YEAR)
    age(db, held, 4 * YEAR, 6 * YEAR)
    age(db, needed, 4 * YEAR, 2 * YEAR)
    with db.session() as session:
        subject = subjects.find(session, vault_of(db), phone=held.phone)
        holds.place(session, subject, "仲裁案件 2026-77 证据保全", "legal.zhou")
    assert rows(db, VaultKey) == 4

    report = Purge(db).run()

    gone = (old.webchat_id, old.sms_id)
    assert rows(db, Conversation, Conversation.id.in_(gone)) == 0
    assert rows(db, Ticket, Ticket.number == old.ticket) == 0
    assert rows(db, Customer, Customer.phone_tail == "0001") == 0
    assert rows(db, VaultKey) == 3  # the old customer's key went with the last of their data
    assert report.removed["messages"] >= 3 * 2 and report.removed["tickets"] == 1
    assert report.removed["followup_attempts"] == 1 and report.removed["survey_responses"] == 1
    assert report.held_kept == 3  # the held ticket, and the held customer's two chats
    for kept in (recent, held):
        assert rows(db, Message, Message.conversation_id == kept.webchat_id) == 2
        assert rows(db, Ticket, Ticket.number == kept.ticket) == 1
    # chats past their time go, the ticket that still needs the conversation keeps it
    assert rows(db, Message, Message.conversation_id == needed.webchat_id) == 0
    assert (
        rows(
            db,
            TicketEvent,
            TicketEvent.ticket_id.in_(select(Ticket.id).where(Ticket.number == needed.ticket)),
        )
        == 3  # opened, a note, a reply
    )
    with db.session() as session:
        kept = session.get(Conversation, needed.webchat_id)
        assert kept is not None and kept.purged_at is not None

    again = Purge(db, now=utcnow() + 4 * YEAR).run()  # the ticket's own time runs out
    assert rows(db, Conversation, Conversation.id == needed.webchat_id) == 0
    assert again.removed["tickets"] == 1  # the recent customer's is not five years old yet
    assert rows(db, Ticket, Ticket.number == held.ticket) == 1


def test_an_open_ticket_keeps_its_chat_and_zero_days_keeps_a_kind(db) -> None:
    person = seed(db, "周在办", "+8613900000005", "v-open", "还没处理完")
    age(db, person, 4 * YEAR)
    with db.session() as session:
        session.execute(update(Ticket).where(Ticket.number == person.ticket).values(status="open"))
    Purge(db).run()
    assert rows(db, Message, Message.conversation_id == person.webchat_id) == 2
    with db.session() as session:
        session.execute(
            update(Ticket).where(Ticket.number == person.ticket).values(status="closed")
        )
        assert "transcripts: days 1095 → 0" == policy.set_days(session, "transcripts", 0, "dpo")
    Purge(db).run()
    assert rows(db, Message, Message.conversation_id == person.webchat_id) == 2
    with db.session() as session:
        with pytest.raises(policy.PolicyError, match="184"):
            policy.set_days(session, "audit", 30, "dpo")
        with pytest.raises(policy.PolicyError, match="unknown"):
            policy.set_days(session, "everything", 30, "dpo")


def test_each_kind_goes_by_its_own_age(db) -> None:
    person = seed(db, "吴按期", "+8613900000006", "v-kinds", "按类别保留")
    now = utcnow()
    with db.session() as session:
        session.execute(update(KbQuery).values(created_at=now - 2 * YEAR))
        session.execute(update(OutboxItem).values(created_at=now - YEAR, status="sent"))
        session.add(
            ChannelState(channel="reports", key="weekly:2020-W01", value="x", updated_at=now - YEAR)
        )
        session.add(ChannelState(channel="wecom", key="cursor", value="c", updated_at=now - YEAR))
    report = Purge(db).run()
    assert report.removed["kb_queries"] == 1 and report.removed["outbox"] >= 1
    assert rows(db, ChannelState, ChannelState.channel == "reports") == 0
    assert rows(db, ChannelState, ChannelState.channel == "wecom") == 1  # a cursor, not a claim
    assert rows(db, Message, Message.conversation_id == person.webchat_id) == 2  # transcripts stay


def test_the_audit_trail_pruned_behind_a_checkpoint_still_verifies(db) -> None:
    with time_machine.travel(datetime(2019, 5, 1, tzinfo=UTC), tick=False):
        for n in range(5):
            trail.record(db, trail.Event("li.agent", "ticket.read", "ticket", f"T{n}"))
    for n in range(3):
        trail.record(db, trail.Event("li.agent", "ticket.read", "ticket", f"N{n}"))
    report = Purge(db).run()
    assert report.removed["audit_log"] == 5 and report.audit_checkpoint == 5
    with db.session() as session:
        point = session.scalar(select(AuditCheckpoint))
        assert point is not None and point.last_id == 5
        head = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    verdict = trail.verify(db, head, f"5:{point.last_hash}")
    assert verdict.ok and verdict.entries == 3
    assert not trail.verify(db, head, "3:" + "0" * 64).ok  # a checkpoint not the anchored one
    appended = trail.record(db, trail.Event("li.agent", "ticket.read", "ticket", "N3"))
    assert trail.verify(db, appended).ok
    with db.session() as session:  # an entry behind the checkpoint edited: caught
        session.execute(update(AuditEntry).where(AuditEntry.id == 6).values(detail="edited"))
    assert "entry 6 was altered" in trail.verify(db).problem


def test_every_run_is_recorded_audited_and_counted_in_metrics(db, tmp_path: Path) -> None:
    person = seed(db, "郑记录", "+8613900000007", "v-metrics", "记录与计数")
    age(db, person, 4 * YEAR, 6 * YEAR)
    logs = tmp_path / "log"
    logs.mkdir()
    (logs / "web.log").write_text("today")
    stale = logs / "web.log.2026-01-01"
    stale.write_text("old")
    old = time.time() - 200 * 86400
    os.utime(stale, (old, old))
    (logs / "web.log.2026-11-30").write_text("recent")
    settings = Settings.model_validate(
        {"DATABASE_URL": db.url, "ANXIN_LOG_DIR": str(logs), "REDIS_URL": "redis://127.0.0.1:1/0"}
    )
    report = purge_and_record(db, "system", settings)
    assert report.removed["log_files"] == 1 and not stale.exists()
    assert sorted(p.name for p in logs.iterdir()) == ["web.log", "web.log.2026-11-30"]
    with db.session() as session:
        record = session.scalar(select(PrivacyRecord).where(PrivacyRecord.kind == "purge"))
        assert record is not None and record.report["removed"]["tickets"] == 1
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "privacy.purge"))
        assert entry is not None and "tickets 1" in entry.detail
        text = render(session, {}, RasaStats(), InboxWriter(db))
    assert 'anxin_retention_removed_total{table="tickets"} 1' in text
    assert "anxin_retention_last_run_timestamp " in text


def test_the_nightly_purge_runs_once_a_day_after_its_hour(db) -> None:
    settings = Settings.model_validate(
        {"DATABASE_URL": db.url, "REDIS_URL": "redis://127.0.0.1:1/0"}
    )
    nightly, replica = NightlyPurge(db, settings), NightlyPurge(db, settings)
    night = datetime(2026, 12, 3, 17, 30, tzinfo=UTC)  # 01:30 in Shanghai
    assert nightly.run_if_due(night) is None
    assert nightly.run_if_due(night + timedelta(hours=1)) is not None  # 02:30
    assert nightly.run_if_due(night + timedelta(hours=2)) is None
    assert replica.run_if_due(night + timedelta(hours=2)) is None  # claimed by the first
    assert nightly.run_if_due(night + timedelta(days=1, hours=1)) is not None
    assert rows(db, PrivacyRecord, PrivacyRecord.kind == "purge") == 2
