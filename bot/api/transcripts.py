"""Supervisors' transcript search and the conversation timeline (API token; every
search and every timeline read goes into the audit log)."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from bot.access.scopes import scope_of
from bot.api.deps import Address, Period, ServicesDep, StaffMember, Supervisor, needs
from bot.core.models import Conversation
from bot.transcripts import search as transcripts
from bot.web.audited_reads import AuditedReads

router = APIRouter(tags=["transcripts"])


@router.get("/transcripts", dependencies=[needs("tickets:read")])
async def search(
    services: ServicesDep,
    staff: StaffMember,
    address: Address,
    period: Period,
    q: Annotated[str | None, Query(max_length=200, description="text in any message")] = None,
    customer: Annotated[str | None, Query(max_length=128)] = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    agent: Annotated[str | None, Query(max_length=64)] = None,
    ticket: Annotated[str | None, Query(max_length=20)] = None,
    intent: Annotated[str | None, Query(max_length=64)] = None,
    csat_max: Annotated[int | None, Query(ge=1, le=5)] = None,
    priority: Annotated[str | None, Query(pattern="^P[1-4]$")] = None,
    breached: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """Conversations matching every filter given, most recent first, among those the
    caller may see (agents: their own and their team's; a team's supervisor: the team's)."""
    actor, role = staff
    query = transcripts.Search(
        text=q.strip() if q and q.strip() else None,
        customer=customer,
        channel=channel,
        agent=agent,
        since=period.since,
        until=period.until,
        ticket=ticket,
        intent=intent,
        csat_max=csat_max,
        priority=priority,
        breached=breached,
        limit=limit,
        offset=offset,
    )

    def work() -> list[dict[str, Any]]:
        with services.db.session() as session:
            scoped = replace(query, scope=scope_of(session, actor, role))
            return transcripts.search(session, scoped)

    filters = " ".join(
        f"{k}={v}"
        for k, v in asdict(query).items()
        if v not in (None, False) and k not in ("limit", "scope")
    )
    return await AuditedReads(services, actor, address).read(
        "transcripts", work, lambda found: f"{len(found)} found", action="search", detail=filters
    )


@router.get("/conversations/{public_id}/timeline", dependencies=[needs("tickets:read")])
async def timeline(
    public_id: str, services: ServicesDep, staff: StaffMember, address: Address
) -> list[dict[str, Any]]:
    """Turns (intent, confidence), handoff moments, ticket and SLA events, in order."""

    actor, role = staff

    def work() -> list[dict[str, Any]] | None:
        with services.db.session() as session:
            return transcripts.timeline(session, public_id, scope_of(session, actor, role))

    return await AuditedReads(services, actor, address).read_one(
        "timeline", work, public_id, "no such conversation"
    )


class Unmask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=5, max_length=500)


@router.post("/conversations/{public_id}/contact", dependencies=[needs("tickets:read")])
async def contact(
    public_id: str,
    body: Unmask,
    services: ServicesDep,
    actor: Supervisor,
    staff: StaffMember,
    address: Address,
) -> dict[str, str]:
    """The customer's address in clear (for SMS, the phone number, otherwise stored only
    sealed). A supervisor must give a reason; the reason goes into the audit log."""

    def work() -> dict[str, str] | None:
        with services.db.session() as session:
            conversation = session.scalar(
                select(Conversation).where(Conversation.public_id == public_id)
            )
            if conversation is None:
                return None
            if not scope_of(session, *staff).allows(session, conversation.id):
                raise PermissionError(public_id)
            sealed = conversation.recipient_sealed
            if sealed is not None and services.vault is None:
                raise HTTPException(status.HTTP_409_CONFLICT, "ANXIN_DATA_KEY is not set")
            clear = services.vault.open(sealed) if sealed and services.vault else None
            return {
                "channel": conversation.channel,
                "address": clear or conversation.external_user_id,
            }

    return await AuditedReads(services, actor, address).read_one(
        "contact", work, public_id, "no such conversation", action="unmask", detail=body.reason
    )
