"""Internal API for the Rasa action server (service token): tickets, knowledge-base
matching and answers, handoffs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from bot.access import disclosure
from bot.api.deps import ServicesDep, require_service_token
from bot.api.schemas import KbAnswer, Labels, TicketCreate, TicketOut
from bot.core.models import Conversation, utcnow
from bot.handoff import queue as handoff_queue
from bot.handoff import shifts
from bot.handoff.presence import Presence
from bot.identity import verification as identity
from bot.kb.entries import answer_for
from bot.tickets.service import (
    NotVerified,
    TicketError,
    add_to_open_ticket,
    customer_open_tickets,
    get_ticket_for_customer,
    open_ticket,
)

router = APIRouter(
    prefix="/internal", tags=["internal"], dependencies=[Depends(require_service_token)]
)


@router.post("/tickets", status_code=status.HTTP_201_CREATED)
async def create_ticket(body: TicketCreate, services: ServicesDep, response: Response) -> TicketOut:
    """Open a ticket for a conversation. Repeating the idempotency key returns the same ticket."""

    def work() -> tuple[TicketOut, bool]:
        ticket, created = open_ticket(
            services.db,
            services.settings,
            conversation_public_id=body.conversation_id,
            category=body.category,
            subcategory=body.subcategory,
            description=body.description,
            idempotency_key=body.idempotency_key,
            reuse=body.reuse,
            vault=services.vault,
        )
        return TicketOut.of(ticket, services.timezone), created

    try:
        ticket, created = await to_thread.run_sync(work)
    except TicketError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    services.wake_scanner()
    if not created:
        response.status_code = status.HTTP_200_OK
    return ticket


@router.get("/tickets/{number}")
async def customer_ticket(
    number: str,
    services: ServicesDep,
    conversation_id: Annotated[str, Query(min_length=1, max_length=64)],
) -> TicketOut:
    """A ticket, only for a verified identity of the customer who owns it (403 until the
    identity is verified, whatever the number; then 404 for anyone else's: nothing leaks)."""
    try:
        ticket = await to_thread.run_sync(
            get_ticket_for_customer, services.db, number, conversation_id
        )
    except NotVerified as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "identity not verified") from exc
    if ticket is None:
        said = disclosure.not_found(number)  # what the assistant tells the customer
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            {"message": "no such ticket for this customer", "zh": said.zh, "en": said.en},
        )
    return TicketOut.of(ticket, services.timezone)


class OpenTickets(BaseModel):
    tickets: list[TicketOut]


@router.get("/conversations/{conversation_id}/tickets")
async def conversation_tickets(conversation_id: str, services: ServicesDep) -> OpenTickets:
    """The open tickets the customer may be told about without naming one: those this
    conversation opened, and while it is verified, its customer's on every channel."""
    views = await to_thread.run_sync(customer_open_tickets, services.db, conversation_id)
    return OpenTickets(tickets=[TicketOut.of(v, services.timezone) for v in views])


class Addition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)


@router.post("/conversations/{conversation_id}/additions")
async def add_to_ticket(conversation_id: str, body: Addition, services: ServicesDep) -> TicketOut:
    """The customer said more that the assistant could not place: it goes onto the
    conversation's ticket opened in the last day (404 when there is none)."""
    view = await to_thread.run_sync(
        add_to_open_ticket, services.db, services.settings, conversation_id, body.text
    )
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no open ticket of this conversation")
    return TicketOut.of(view, services.timezone)


@router.get("/kb/{key}")
async def kb_answer(
    key: str,
    services: ServicesDep,
    language: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
) -> KbAnswer:
    today = datetime.now(services.timezone).date()
    answer = await to_thread.run_sync(answer_for, services.db, key, language, today)
    if answer is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such knowledge-base entry")
    return KbAnswer(key=key, language=language, answer=answer)


class IdentityCheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str = Field(min_length=1, max_length=64)
    ticket_number: str | None = Field(default=None, pattern="^[A-Za-z]{2}[0-9]{11}$")


@router.post("/identity/checks")
async def start_identity_check(body: IdentityCheckRequest, services: ServicesDep) -> Labels:
    """Begin verifying a channel identity by SMS one-time code; returns what to tell the
    customer (ask for the number, or why it cannot be done now). The ticket asked about
    is answered once the code checks out."""
    ready = services.settings.sms_enabled and services.vault is not None
    query_ready = services.vault is not None

    def work() -> Labels | None:
        with services.db.session() as session:
            conversation = session.scalar(
                select(Conversation).where(Conversation.public_id == body.conversation_id)
            )
            if conversation is None:
                return None
            number = body.ticket_number.upper() if body.ticket_number else None
            said = identity.start(
                session, conversation, number, utcnow(), sms_ready=ready, query_ready=query_ready
            )
            return Labels(zh=said.zh, en=said.en)

    said = await to_thread.run_sync(work)
    if said is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such conversation")
    return said


class KbMatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str | None = Field(default=None, max_length=64)
    text: str = Field(min_length=1, max_length=2000)
    language: str = Field(default="zh", pattern="^(zh|en)$")


class KbChoiceOut(BaseModel):
    number: int
    key: str
    question: str


class KbMatchOut(BaseModel):
    decision: str = Field(description="answered | suggested | unanswered")
    confidence: float
    key: str | None
    answer: str | None
    choices: list[KbChoiceOut]


@router.post("/kb/match")
async def kb_match(body: KbMatchRequest, services: ServicesDep) -> KbMatchOut:
    """Match a customer's question against the knowledge base and decide: answer,
    offer the three closest questions, or admit there is no good answer. Recorded."""
    assert services.kb is not None
    today = datetime.now(services.timezone).date()
    outcome = await to_thread.run_sync(
        services.kb.match, body.conversation_id, body.text, body.language, today
    )
    return KbMatchOut.model_validate(outcome.as_dict())


class HandoffRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str = Field(min_length=1, max_length=64)
    ticket_number: str | None = Field(default=None, max_length=20)
    reason: str = Field(
        default="customer_request",
        pattern="^(" + "|".join(handoff_queue.REASONS) + ")$",
    )


class HandoffOut(BaseModel):
    queued: bool
    agents_online: int
    position: int | None = None
    wait_minutes: int | None = None
    back_at_display: str | None = Field(
        default=None,
        description="when the next shift starts (local time), with nobody on shift now",
    )
    callback_asked: bool = Field(
        default=False, description="the customer is to be asked for a call-back number"
    )


# Channels that can reach the customer later by themselves; an anonymous web-chat
# visitor is gone once the page is closed.
ANONYMOUS_CHANNELS = ("webchat",)


def _ask_callback(services: ServicesDep, public_id: str, ticket_number: str | None) -> bool:
    """Whether the customer is to be asked for a call-back number (and the desk now
    waits for it): an anonymous channel, a ticket to call about, a vault to seal it in."""
    if ticket_number is None or services.vault is None:
        return False
    with services.db.session() as session:
        conversation = session.scalar(
            select(Conversation).where(Conversation.public_id == public_id)
        )
        if conversation is None or conversation.channel not in ANONYMOUS_CHANNELS:
            return False
        identity.ask_callback(session, conversation, ticket_number.upper())
        return True


@router.post("/handoffs")
async def request_handoff(body: HandoffRequest, services: ServicesDep) -> HandoffOut:
    """Queue the conversation for a person when anyone is on shift (scheduled in the
    shift calendar, when it is kept, and online); if not, say when the next shift starts
    and, where the channel cannot reach the customer later, have the assistant ask for a
    call-back number."""
    calendar = await to_thread.run_sync(shifts.cover_now, services.db, utcnow())
    online = await Presence(services.events.redis, services.settings.redis_prefix).on_shift()
    if not online or calendar.closed():
        asked = await to_thread.run_sync(
            _ask_callback, services, body.conversation_id, body.ticket_number
        )
        back = calendar.next_start
        return HandoffOut(
            queued=False,
            agents_online=0,
            back_at_display=(
                back.astimezone(services.timezone).strftime("%Y-%m-%d %H:%M")
                if back is not None
                else None
            ),
            callback_asked=asked,
        )
    try:
        queued = await to_thread.run_sync(
            handoff_queue.request,
            services.db,
            body.conversation_id,
            body.ticket_number,
            body.reason,
        )
    except handoff_queue.HandoffError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    await services.events.publish_staff({"type": "queue", "handoff_id": queued.handoff_id})
    await services.route_handoffs()
    return HandoffOut(
        queued=True,
        agents_online=len(online),
        position=queued.position,
        wait_minutes=queued.wait_minutes,
    )
