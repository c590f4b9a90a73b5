"""A customer with everything the service keeps about a person: chats on two channels
(web chat and SMS, bound by an SMS code), a ticket with a note, a reply and a call-back
number, a confirmation, a survey with a comment, a 回访 with a call, knowledge-base
questions; each written through the code that writes it in the service where that is
practical."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.core.contact_vault import ContactVault
from bot.core.db import Database
from bot.core.models import (
    Conversation,
    Followup,
    FollowupAttempt,
    FollowupPlan,
    FollowupTask,
    KbQuery,
    SurveyResponse,
    Ticket,
    TicketEvent,
    utcnow,
)
from bot.pipeline.inbox import accept, get_or_create_conversation
from bot.pipeline.messages import InboundMessage
from bot.pipeline.outgoing import queue_message
from bot.tickets.service import open_ticket
from tests.conftest import DATA_KEY
from tests.helpers import Settings, verify_identity


@dataclass(frozen=True)
class Person:
    name: str  # appears in what they wrote and in what staff wrote about them
    phone: str  # E.164
    visitor: str  # web-chat visitor id
    words: str  # a sentence only they wrote
    ticket: str = ""
    webchat_id: int = 0
    sms_id: int = 0


def vault_of(db: Database) -> ContactVault:
    return ContactVault(DATA_KEY, db.engine)


def seed(db: Database, name: str, phone: str, visitor: str, words: str) -> Person:
    vault = vault_of(db)
    now = datetime.now(UTC)
    web = get_or_create_conversation(db, "webchat", visitor)
    accept(db, InboundMessage("webchat", uuid.uuid4().hex, visitor, f"我叫{name}，{words}", now))
    with db.session() as session:
        conversation = session.get(Conversation, web.id)
        assert conversation is not None
        queue_message(
            session, conversation, f"{name}您好，已为您登记。", "agent", author="li.agent"
        )
    sms_key = vault.pseudonym(phone)
    accept(
        db,
        InboundMessage(
            "sms", uuid.uuid4().hex, sms_key, f"{name}：卡片什么时候寄到", now, reply_address=phone
        ),
        vault,
    )
    verify_identity(db, web.public_id, phone)
    view, _ = open_ticket(
        db,
        Settings(),
        conversation_public_id=web.public_id,
        category="complaint",
        subcategory=None,
        description=f"{name}反映：{words}",
        idempotency_key=uuid.uuid4().hex,
    )
    with db.session() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == view.number))
        assert ticket is not None
        ticket.first_responded_at = ticket.created_at + timedelta(minutes=20)
        ticket.resolved_at = ticket.created_at + timedelta(hours=3)
        ticket.status = "resolved"
        ticket.callback_phone_sealed = vault.seal_phone(phone, session.connection())
        session.add_all(
            [
                TicketEvent(
                    ticket_id=ticket.id,
                    actor="li.agent",
                    action="note",
                    body=f"{name}来电补充：{words}",
                ),
                TicketEvent(
                    ticket_id=ticket.id,
                    actor="li.agent",
                    action="reply",
                    body=f"{name}您好，已处理",
                ),
            ]
        )
        plan = session.scalar(select(FollowupPlan).limit(1))
        if plan is None:
            plan = FollowupPlan(category="*", tier="*", delay_hours=24)
            session.add(plan)
            session.flush()
        task = FollowupTask(
            ticket_id=ticket.id,
            plan_id=plan.id,
            due_at=utcnow(),
            state="reached",
            attempts=1,
            satisfaction="satisfied",
            outcome=f"{name}表示满意",
        )
        session.add(task)
        session.flush()
        session.add(
            FollowupAttempt(
                task_id=task.id,
                number=1,
                actor="li.agent",
                result="reached",
                satisfaction="satisfied",
                note=f"{name}接听，满意",
            )
        )
        followup = Followup(
            ticket_id=ticket.id,
            conversation_id=web.id,
            kind="survey",
            state="answered",
            expires_at=utcnow() + timedelta(days=1),
            answered_at=utcnow(),
            answer="5",
        )
        session.add(followup)
        session.flush()
        session.add(
            SurveyResponse(
                followup_id=followup.id, ticket_id=ticket.id, score=5, comment=f"{name}觉得很好"
            )
        )
        session.add(
            KbQuery(
                conversation_id=web.id,
                language="zh",
                text=f"{name}问：年费多少",
                decision="answered",
                confidence=0.9,
                best_key="annual_fee",
            )
        )
        sms = session.scalar(select(Conversation).where(Conversation.external_user_id == sms_key))
        assert sms is not None
        sms_id = sms.id
    return Person(name, phone, visitor, words, view.number, web.id, sms_id)
