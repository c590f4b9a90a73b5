"""The service targets report: the figures of a day, week or month against the bank's
targets, the tickets behind any figure, and CSV/XLSX downloads with Chinese headers.
Supervisors and admins (a team's supervisor sees their team's tickets); audited."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Query, Response

from bot.access.scopes import supervised_team_of
from bot.api.deps import Address, ServicesDep, StaffMember, needs, supervisor
from bot.api.table_export import download
from bot.core.models import utcnow
from bot.sla import targets, targets_export
from bot.web.audited_reads import AuditedReads
from bot.web.services import Services

router = APIRouter(tags=["targets"])

EXPORT_MAX = 100_000  # rows in a download of the tickets behind a figure
PeriodKind = Annotated[str, Query(pattern="^(" + "|".join(targets.PERIODS) + ")$")]


class ReportRequest:
    """One report request: who asks, for which window and team."""

    def __init__(
        self,
        services: Services,
        name: str,
        address: str | None,
        window: targets.Window,
        team: str | None,
    ) -> None:
        self.services, self.name, self.address = services, name, address
        self.window, self.team = window, team

    @property
    def reads(self) -> AuditedReads:
        return AuditedReads(self.services, self.name, self.address)

    @property
    def detail(self) -> str:
        return f"{self.window.label}" + (f" team={self.team}" if self.team else "")

    def found(self) -> targets.Found:
        goals = targets.Goals.of(self.services.settings)
        with self.services.db.session() as session:
            return targets.find(session, self.window, goals, utcnow(), self.team)

    def behind(
        self, figure: str, outcome: str | None, limit: int = targets.LIST_MAX
    ) -> tuple[int, list[targets.TicketRow]]:
        goals = targets.Goals.of(self.services.settings)
        with self.services.db.session() as session:
            try:
                return targets.behind(
                    session, self.window, goals, utcnow(), self.team, figure, outcome, limit
                )
            except targets.TargetsError as exc:
                raise HTTPException(422, str(exc)) from exc


async def report_request(
    services: ServicesDep,
    staff: StaffMember,
    address: Address,
    period: PeriodKind = "month",
    at: date | None = None,
    team: Annotated[str | None, Query(max_length=64)] = None,
) -> ReportRequest:
    name = await supervisor(staff)
    zone = services.settings.display_timezone
    day = at or datetime.now(ZoneInfo(zone)).date()
    own = await to_thread.run_sync(supervised_team_of, services.db, name, staff[1])
    if own is not None and team not in (None, own):
        raise HTTPException(403, "只能查看本团队的指标 / you see your own team's figures only")
    try:
        window = targets.window(period, day, zone)
    except OverflowError as exc:  # the first or last day there is
        raise HTTPException(422, "日期超出范围 / the date is out of range") from exc
    return ReportRequest(services, name, address, window, own or team)


Asked = Annotated[ReportRequest, Depends(report_request)]


@router.get("/targets", dependencies=[needs("reports:read")])
async def get_targets(asked: Asked) -> dict[str, Any]:
    """The five targets red or green, the figures beside them and the trend."""

    def work() -> dict[str, Any]:
        return {**targets.report(asked.found()), "team": asked.team}

    return await asked.reads.read("targets", work, "json", detail=asked.detail)


Figure = Annotated[str, Query(pattern="^(" + "|".join(targets.FIGURES) + ")$")]
Outcome = Annotated[str | None, Query(pattern="^(met|missed|pending)$")]


@router.get("/targets/tickets", dependencies=[needs("reports:read")])
async def tickets_behind(asked: Asked, figure: Figure, outcome: Outcome = None) -> dict[str, Any]:
    """Exactly the tickets counted in one figure (``outcome`` met, missed or pending)."""
    count, rows = await asked.reads.read(
        "targets_tickets",
        lambda: asked.behind(figure, outcome),
        figure,
        detail=f"{asked.detail} {figure}:{outcome or 'all'}",
    )
    return {
        "figure": figure,
        "outcome": outcome,
        "count": count,
        "capped": count > len(rows),
        "items": [asdict(t) for t in rows],
    }


@router.get("/targets/export", dependencies=[needs("reports:read")])
async def export_targets(
    asked: Asked,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
    figure: Annotated[str | None, Query(pattern="^(" + "|".join(targets.FIGURES) + ")$")] = None,
    outcome: Outcome = None,
) -> Response:
    """The report (or, with ``figure``, the tickets behind it) as CSV or XLSX."""
    zone = asked.services.settings.display_timezone
    if figure is None:
        report = await asked.reads.read(
            "targets",
            lambda: targets.report(asked.found()),
            format,
            action="export",
            detail=asked.detail,
        )
        header: tuple[str, ...] = targets_export.REPORT_HEADER
        rows = targets_export.report_rows(report)
        name = f"targets-{asked.window.label}"
    else:
        _, found = await asked.reads.read(
            "targets_tickets",
            lambda: asked.behind(figure, outcome, EXPORT_MAX),
            format,
            action="export",
            detail=f"{asked.detail} {figure}:{outcome or 'all'}",
        )
        header, rows = targets_export.TICKET_HEADER, targets_export.ticket_rows(found, zone)
        name = f"targets-{asked.window.label}-{figure}"
    body, kind, headers = download(name, header, rows, format)
    return Response(body, media_type=kind, headers=headers)
