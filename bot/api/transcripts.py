"""Supervisors' transcript search and the conversation timeline (API token; every
search and every timeline read goes into the audit log)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Query, status

from bot import transcripts
from bot.api.deps import Address, ServicesDep, Supervisor

router = APIRouter(tags=["transcripts"])


@router.get("/transcripts")
async def search(
    services: ServicesDep,
    actor: Supervisor,
    address: Address,
    q: Annotated[str | None, Query(max_length=200, description="text in any message")] = None,
    customer: Annotated[str | None, Query(max_length=128)] = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    agent: Annotated[str | None, Query(max_length=64)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    ticket: Annotated[str | None, Query(max_length=20)] = None,
    intent: Annotated[str | None, Query(max_length=64)] = None,
    csat_max: Annotated[int | None, Query(ge=1, le=5)] = None,
    priority: Annotated[str | None, Query(pattern="^P[1-4]$")] = None,
    breached: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """Conversations matching every filter given, most recent first."""
    if since and until and until <= since:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "until must be after since")
    query = transcripts.Search(
        text=q.strip() if q and q.strip() else None,
        customer=customer,
        channel=channel,
        agent=agent,
        since=since,
        until=until,
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
            return transcripts.search(session, query)

    found = await to_thread.run_sync(work)
    filters = " ".join(
        f"{k}={v}" for k, v in asdict(query).items() if v not in (None, False) and k != "limit"
    )
    await services.audit(actor, "search", "transcripts", f"{len(found)} found", address, filters)
    return found


@router.get("/conversations/{public_id}/timeline")
async def timeline(
    public_id: str, services: ServicesDep, actor: Supervisor, address: Address
) -> list[dict[str, Any]]:
    """Turns (intent, confidence), handoff moments, ticket and SLA events, in order."""

    def work() -> list[dict[str, Any]] | None:
        with services.db.session() as session:
            return transcripts.timeline(session, public_id)

    found = await to_thread.run_sync(work)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such conversation")
    await services.audit(actor, "read", "timeline", public_id, address)
    return found
