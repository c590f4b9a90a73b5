"""Request and response bodies of the REST API."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from bot.tickets.policy import CATEGORY_LABELS, STATUS_LABELS
from bot.tickets.service import TicketView
from bot.tickets.summary import due_display, summary


class Labels(BaseModel):
    zh: str
    en: str


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str = Field(min_length=1, max_length=64)
    category: str = Field(pattern="^(complaint|suggestion|inquiry|incident)$")
    subcategory: str | None = Field(default=None, max_length=32)
    description: str = Field(default="", max_length=4000)
    idempotency_key: str = Field(min_length=1, max_length=128)
    reuse: str | None = Field(
        default=None,
        pattern="^(conversation|same_need)$",
        description="add to an open ticket of the conversation that fits instead of "
        "opening another: any one (conversation), or one of the same category and "
        "subcategory (same_need)",
    )


class TicketOut(BaseModel):
    number: str
    category: str
    category_label: Labels
    subcategory: str | None
    priority: str
    status: str
    status_label: Labels
    description: str
    conversation_id: str
    channel: str
    created_at: datetime
    first_response_due_at: datetime
    resolution_due_at: datetime
    first_response_due_display: str
    resolution_due_display: str
    summary: Labels = Field(description="what the customer is told about it")
    assignee: str | None = None
    team: str | None = None
    first_responded_at: datetime | None = None
    resolved_at: datetime | None = None
    acknowledged_at: datetime | None = None
    reused: bool = Field(default=False, description="the request was added to this open ticket")
    query_code: bool = Field(
        default=False, description="a query code waits to be told in the assistant's reply"
    )

    @classmethod
    def of(cls, ticket: TicketView, tz: ZoneInfo) -> TicketOut:
        said = summary(
            ticket.number,
            ticket.category,
            ticket.priority,
            ticket.status,
            ticket.resolution_due_at,
            tz,
        )
        return cls(
            number=ticket.number,
            category=ticket.category,
            category_label=Labels(**CATEGORY_LABELS[ticket.category]),
            subcategory=ticket.subcategory,
            priority=ticket.priority,
            status=ticket.status,
            status_label=Labels(**STATUS_LABELS[ticket.status]),
            description=ticket.description,
            conversation_id=ticket.conversation_public_id,
            channel=ticket.channel,
            created_at=ticket.created_at,
            first_response_due_at=ticket.first_response_due_at,
            resolution_due_at=ticket.resolution_due_at,
            first_response_due_display=due_display(ticket.first_response_due_at, tz),
            resolution_due_display=due_display(ticket.resolution_due_at, tz),
            summary=Labels(zh=said.zh, en=said.en),
            assignee=ticket.assignee,
            team=ticket.team,
            first_responded_at=ticket.first_responded_at,
            resolved_at=ticket.resolved_at,
            acknowledged_at=ticket.acknowledged_at,
            reused=ticket.reused,
            query_code=ticket.query_code,
        )


class KbAnswer(BaseModel):
    key: str
    language: str
    answer: str


class MessageOut(BaseModel):
    id: int
    direction: str
    sender: str
    text: str
    language: str | None
    intent: str | None
    confidence: float | None
    created_at: datetime
