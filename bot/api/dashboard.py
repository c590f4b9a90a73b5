"""The supervisors' dashboard and its CSV/XLSX export (supervisors and admins; audited)."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query, Response

from bot import dashboard
from bot.api.deps import Address, Period, ServicesDep, Supervisor, Window
from bot.handoff.presence import Presence
from bot.sla.figures import figures
from bot.table_export import download

router = APIRouter(tags=["dashboard"])


async def _data(services: ServicesDep, period: Window) -> dict[str, Any]:
    since, until = period.since, period.until
    statuses = await Presence(services.events.redis, services.settings.redis_prefix).statuses()

    def work() -> dict[str, Any]:
        found = figures(services.db, since, until)
        with services.db.session() as session:
            return dashboard.dashboard(session, statuses, found, since, until)

    return await to_thread.run_sync(work)


@router.get("/dashboard")
async def get_dashboard(
    services: ServicesDep,
    actor: Supervisor,
    address: Address,
    period: Period,
) -> dict[str, Any]:
    """Live queue, SLA risk, containment and handoff reasons, times, CSAT by day."""
    data = await _data(services, period)
    await services.audit(actor, "read", "dashboard", "json", address, str(period))
    return data


@router.get("/dashboard/export")
async def export_dashboard(
    services: ServicesDep,
    actor: Supervisor,
    address: Address,
    period: Period,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
) -> Response:
    data = await _data(services, period)
    await services.audit(actor, "export", "dashboard", format, address, str(period))
    body, kind, headers = download(
        "dashboard", ("section", "key", "value"), dashboard.rows(data), format
    )
    return Response(body, media_type=kind, headers=headers)
