"""The supervisors' dashboard and its CSV/XLSX export (supervisors and admins; audited)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from bot.api.deps import Address, Period, ServicesDep, Supervisor, Window, needs
from bot.api.table_export import download
from bot.handoff.presence import Presence
from bot.sla import dashboard
from bot.sla.figures import figures
from bot.web.audited_reads import AuditedReads

router = APIRouter(tags=["dashboard"])


async def _data(services: ServicesDep, period: Window) -> Callable[[], dict[str, Any]]:
    """The dashboard's query, with the live presence read first (Redis, async)."""
    since, until = period.since, period.until
    statuses = await Presence(services.events.redis, services.settings.redis_prefix).statuses()

    def work() -> dict[str, Any]:
        found = figures(services.db, since, until)
        with services.db.session() as session:
            return dashboard.dashboard(session, statuses, found, since, until)

    return work


@router.get("/dashboard", dependencies=[needs("reports:read")])
async def get_dashboard(
    services: ServicesDep,
    actor: Supervisor,
    address: Address,
    period: Period,
) -> dict[str, Any]:
    """Live queue, SLA risk, containment and handoff reasons, times, CSAT by day."""
    return await AuditedReads(services, actor, address).read(
        "dashboard", await _data(services, period), "json", detail=str(period)
    )


@router.get("/dashboard/export", dependencies=[needs("reports:read")])
async def export_dashboard(
    services: ServicesDep,
    actor: Supervisor,
    address: Address,
    period: Period,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
) -> Response:
    data = await AuditedReads(services, actor, address).read(
        "dashboard", await _data(services, period), format, action="export", detail=str(period)
    )
    body, kind, headers = download(
        "dashboard", ("section", "key", "value"), dashboard.rows(data), format
    )
    return Response(body, media_type=kind, headers=headers)
