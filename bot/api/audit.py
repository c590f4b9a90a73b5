"""The audit trail, for auditors: who read or changed what, when, from where. For
supervisors and admins, and API tokens with ``audit:read``; reading it is audited too."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query
from sqlalchemy import select

from bot.api.deps import Address, Period, ServicesDep, Supervisor, needs
from bot.audit import trail as audit
from bot.core.db import Database
from bot.core.models import AuditEntry
from bot.web.audited_reads import AuditedReads

router = APIRouter(tags=["audit"])
MAX_LIMIT = 500


def _entries(
    db: Database,
    since: datetime | None,
    until: datetime | None,
    actor: str | None,
    action: str | None,
    object_id: str | None,
    before_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    for column, value in (
        (AuditEntry.actor, actor),
        (AuditEntry.action, action),
        (AuditEntry.object_id, object_id),
    ):
        if value:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    with db.session() as session:
        return [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "address": e.address,
                "detail": e.detail,
                "hash": e.hash,
            }
            for e in session.scalars(query)
        ]


@router.get("/audit", dependencies=[needs("audit:read")])
async def audit_entries(
    services: ServicesDep,
    actor: Supervisor,
    address: Address,
    period: Period,
    who: Annotated[str | None, Query(alias="actor", max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=32)] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> list[dict[str, Any]]:
    """Newest first; page with ``before_id`` (the last id of the previous page)."""
    filters = f"actor={who} action={action} object={object_id} period={period}"
    return await AuditedReads(services, actor, address).read(
        "audit_log",
        lambda: _entries(
            services.db, period.since, period.until, who, action, object_id, before_id, limit
        ),
        "-",
        action="search",
        detail=filters,
    )


@router.post("/audit/verify", dependencies=[needs("audit:read")])
async def verify(services: ServicesDep, actor: Supervisor, address: Address) -> dict[str, Any]:
    """Walk the hash chain and compare its head with the one anchored in Redis, as
    ``python -m bot audit verify`` does: an edited, deleted or cut entry is found."""
    prefix = services.settings.redis_prefix
    raw, point = await services.events.redis.mget(
        audit.anchor_key(prefix), audit.checkpoint_key(prefix)
    )
    anchor = raw.decode() if isinstance(raw, bytes) else raw
    checkpoint = point.decode() if isinstance(point, bytes) else point
    verdict = await to_thread.run_sync(audit.verify, services.db, anchor, checkpoint)
    detail = "intact" if verdict.ok else f"broken: {verdict.problem}"
    await services.audit(actor, "audit.verify", "audit_log", "-", address, detail)
    return {
        "ok": verdict.ok,
        "entries": verdict.entries,
        "head": verdict.head,
        "problem": verdict.problem,
        "anchored": anchor is not None,
    }
