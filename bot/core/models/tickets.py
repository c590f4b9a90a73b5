"""Tickets, their history and escalations, SLA policies, priority rules, holidays, follow-ups."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.models.base import Base, utcnow


class Ticket(Base):
    """A customer issue with a quotable number, priority and SLA deadlines.

    Deadlines are columns, and so is ``next_escalation_at``: the earliest moment the
    escalation ladder has something to do for this ticket (indexed; the scanner reads it).
    ``due_at`` is the deadline of the clock running now (first response, then
    resolution; none while the clock is paused or the ticket is done) and
    ``at_risk_at`` the moment a quarter of its time is left: stored, so the desk's
    "at risk" and "breached" lists are index range scans (``bot.tickets.clock``).
    """

    __tablename__ = "tickets"
    __retention__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_next_escalation", "next_escalation_at"),
        Index("ix_tickets_due", "due_at", "id"),
        Index("ix_tickets_created", "created_at", "id"),
        Index("ix_tickets_team_due", "team", "due_at", "id"),
        Index("ix_tickets_assignee_due", "assignee", "due_at", "id"),
        Index("ix_tickets_status_due", "status", "due_at", "id"),
        Index("ix_tickets_conversation", "conversation_id"),
        Index("ix_tickets_callback_due", "callback_due_at", "id"),
        Index("ix_tickets_resolved", "resolved_at", "id"),
        Index(
            "ix_tickets_merged_into",
            "merged_into_id",
            postgresql_where=text("merged_into_id IS NOT NULL"),
            sqlite_where=text("merged_into_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    category: Mapped[str] = mapped_column(String(16))
    subcategory: Mapped[str | None] = mapped_column(String(32), nullable=True)
    priority: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(20), default="new")
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    first_response_due_at: Mapped[datetime] = mapped_column()
    resolution_due_at: Mapped[datetime] = mapped_column()
    calendar: Mapped[str] = mapped_column(String(16), default="24x7")
    team: Mapped[str | None] = mapped_column(String(64), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(64), nullable=True)
    first_responded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    paused_at: Mapped[datetime | None] = mapped_column(nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    next_escalation_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Set when the customer writes after a first response; cleared by the next reply.
    next_response_due_at: Mapped[datetime | None] = mapped_column(nullable=True)
    response_round: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str] = mapped_column(String(32), default="")
    due_at: Mapped[datetime | None] = mapped_column(nullable=True)
    at_risk_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # a duplicate merged into another ticket points at the one that survived
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    # a call-back promised to the customer: when, the number (sealed in the contact
    # vault) and which promise this is (each has its own escalation step)
    callback_due_at: Mapped[datetime | None] = mapped_column(nullable=True)
    callback_phone_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    callback_round: Mapped[int] = mapped_column(Integer, default=0)
    # The code a customer quotes to ask about the ticket from another channel when no
    # SMS code can be sent: its keyed hash, and the code sealed until it has been told.
    query_code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    query_code_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    # How often a resolved or closed ticket was opened again (first-contact resolution).
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class TicketEvent(Base):
    """Every change to a ticket: who, when, what, from, to (and notes and replies)."""

    __tablename__ = "ticket_events"
    __retention__ = "tickets"
    __table_args__ = (Index("ix_ticket_events_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    # created|status|assign|note|reply|acknowledge|call|category|merge|merged
    action: Mapped[str] = mapped_column(String(24))
    from_value: Mapped[str | None] = mapped_column(String(64), nullable=True)
    to_value: Mapped[str | None] = mapped_column(String(64), nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)


class EscalationEvent(Base):
    """One step of the escalation ladder for one ticket; UNIQUE, so it happens once."""

    __tablename__ = "escalation_events"
    __retention__ = "tickets"
    __table_args__ = (
        UniqueConstraint("ticket_id", "step", name="uq_escalation_ticket_step"),
        Index("ix_escalation_unnotified", "notified_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    step: Mapped[str] = mapped_column(
        String(32)
    )  # page:1, warn:50, warn:before, breach:resolution...
    target: Mapped[str] = mapped_column(String(128))  # who is told
    due_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)  # overtaken (e.g. after downtime)
    notified_at: Mapped[datetime | None] = mapped_column(nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class SlaPolicyRow(Base):
    """SLA targets per priority (and optionally category), edited by staff."""

    __tablename__ = "sla_policies"
    __retention__ = "configuration"
    __table_args__ = (UniqueConstraint("priority", "category", name="uq_sla_priority_category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    priority: Mapped[str] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(16), default="*")  # "*" = any category
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    next_response_minutes: Mapped[int] = mapped_column(Integer, default=1440)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    calendar: Mapped[str] = mapped_column(String(16), default="24x7")  # 24x7 | business


class PriorityRule(Base):
    """category/subcategory → priority, edited by staff ("*" matches any subcategory)."""

    __tablename__ = "priority_rules"
    __retention__ = "configuration"
    __table_args__ = (UniqueConstraint("category", "subcategory", name="uq_priority_rule"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(16))
    subcategory: Mapped[str] = mapped_column(String(32), default="*")
    priority: Mapped[str] = mapped_column(String(2))


class Holiday(Base):
    """A day the business-hours calendar skips."""

    __tablename__ = "holidays"
    __retention__ = "configuration"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(64), default="")


class Followup(Base):
    """A question put to the customer after resolution: confirm (solved?) or survey (1-5)."""

    __tablename__ = "followups"
    __retention__ = "tickets"
    __table_args__ = (
        Index("ix_followups_open", "conversation_id", "state"),
        Index("ix_followups_expiry", "state", "expires_at"),
        Index("ix_followups_ticket", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    kind: Mapped[str] = mapped_column(String(16))  # confirm | survey
    state: Mapped[str] = mapped_column(
        String(16), default="awaiting"
    )  # awaiting | answered | expired
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    answer: Mapped[str | None] = mapped_column(String(16), nullable=True)


class SurveyResponse(Base):
    """A customer's satisfaction score (1-5) and comment for a ticket."""

    __tablename__ = "survey_responses"
    __retention__ = "surveys"
    __table_args__ = (Index("ix_survey_responses_ticket", "ticket_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id"), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowupPlan(Base):
    """回访 plan: which closed tickets get a follow-up contact, and when."""

    __tablename__ = "followup_plans"
    __retention__ = "configuration"
    __table_args__ = (UniqueConstraint("category", "tier", name="uq_followup_plan"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(16), default="*")
    tier: Mapped[str] = mapped_column(String(16), default="*")
    delay_hours: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FollowupTask(Base):
    """One 回访 to make (by staff), from a plan or after a low survey score. It stays
    ``open`` while attempts are left; its state is the last attempt's result."""

    __tablename__ = "followup_tasks"
    __retention__ = "call_logs"
    __table_args__ = (
        Index("ix_followup_tasks_ticket", "ticket_id"),
        Index("ix_followup_tasks_state_due", "state", "due_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("followup_plans.id"))
    reason: Mapped[str] = mapped_column(String(32), default="plan")  # plan | low_score
    due_at: Mapped[datetime] = mapped_column()  # when the next attempt is due
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # open | reached | unreached | wrong_number | declined
    state: Mapped[str] = mapped_column(String(16), default="open")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    satisfaction: Mapped[str | None] = mapped_column(String(16), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)  # the last note


class FollowupAttempt(Base):
    """One try at a 回访: who called, when, what came of it."""

    __tablename__ = "followup_attempts"
    __retention__ = "call_logs"
    __table_args__ = (UniqueConstraint("task_id", "number", name="uq_followup_attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("followup_tasks.id"))
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    # reached | not_reached | wrong_number | declined
    result: Mapped[str] = mapped_column(String(16))
    satisfaction: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class StaffNotice(Base):
    """A notice for one member of staff, kept until read: an @mention in a ticket note
    (``ticket_id``), or a knowledge-base entry of theirs due for review (``subject``
    ``kb:<key>``)."""

    __tablename__ = "staff_notices"
    __retention__ = "tickets"
    __table_args__ = (
        Index("ix_staff_notices_user", "user_name", "read_at", "id"),
        Index(
            "ix_staff_notices_ticket",
            "ticket_id",
            postgresql_where=text("ticket_id IS NOT NULL"),
            sqlite_where=text("ticket_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # mention | kb_review
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(80), nullable=True)
    actor: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(nullable=True)
