"""SLA configuration staff edit (policies, priority rules, holidays) and the figures."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select

from bot.api.deps import Actor, Address, Period, ServicesDep, Supervisor, needs
from bot.api.table_export import download
from bot.core.db import upsert
from bot.core.models import Holiday, PriorityRule, SlaPolicyRow
from bot.sla import figures_export
from bot.sla.figures import Figures, figures
from bot.web.audited_reads import AuditedReads

router = APIRouter(tags=["sla"])


def _upsert(
    services: ServicesDep, model: type[Any], keys: dict[str, Any], values: dict[str, Any]
) -> None:
    with services.db.session() as session:
        upsert(session, model, keys, values)


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    priority: str = Field(pattern="^P[1-4]$")
    category: str = Field(default="*", pattern=r"^(\*|complaint|suggestion|inquiry|incident)$")
    first_response_minutes: int = Field(ge=1, le=60 * 24 * 60)
    next_response_minutes: int = Field(default=1440, ge=1, le=60 * 24 * 60)
    resolution_minutes: int = Field(ge=1, le=60 * 24 * 60)
    calendar: str = Field(default="24x7", pattern="^(24x7|business)$")


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(pattern="^(complaint|suggestion|inquiry|incident)$")
    subcategory: str = Field(default="*", min_length=1, max_length=32)
    priority: str = Field(pattern="^P[1-4]$")


class HolidayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date
    name: str = Field(default="", max_length=64)


@router.get("/sla/policies", dependencies=[needs("admin")])
async def list_policies(services: ServicesDep, _: Actor) -> list[PolicyIn]:
    def work() -> list[PolicyIn]:
        with services.db.session() as s:
            return [
                PolicyIn(
                    priority=r.priority,
                    category=r.category,
                    first_response_minutes=r.first_response_minutes,
                    next_response_minutes=r.next_response_minutes,
                    resolution_minutes=r.resolution_minutes,
                    calendar=r.calendar,
                )
                for r in s.scalars(
                    select(SlaPolicyRow).order_by(SlaPolicyRow.priority, SlaPolicyRow.category)
                )
            ]

    return await to_thread.run_sync(work)


@router.put("/sla/policies", dependencies=[needs("admin")])
async def put_policy(body: PolicyIn, services: ServicesDep, _: Actor) -> PolicyIn:
    """Create or replace the targets for a priority (and category). New tickets use them."""
    keys = {"priority": body.priority, "category": body.category}
    await to_thread.run_sync(
        _upsert, services, SlaPolicyRow, keys, body.model_dump(exclude=set(keys))
    )
    return body


@router.get("/priority-rules", dependencies=[needs("admin")])
async def list_rules(services: ServicesDep, _: Actor) -> list[RuleIn]:
    def work() -> list[RuleIn]:
        with services.db.session() as s:
            return [
                RuleIn(category=r.category, subcategory=r.subcategory, priority=r.priority)
                for r in s.scalars(select(PriorityRule).order_by(PriorityRule.id))
            ]

    return await to_thread.run_sync(work)


@router.put("/priority-rules", dependencies=[needs("admin")])
async def put_rule(body: RuleIn, services: ServicesDep, _: Actor) -> RuleIn:
    keys = {"category": body.category, "subcategory": body.subcategory}
    await to_thread.run_sync(_upsert, services, PriorityRule, keys, {"priority": body.priority})
    return body


@router.get("/holidays", dependencies=[needs("admin")])
async def list_holidays(services: ServicesDep, _: Actor) -> list[HolidayIn]:
    def work() -> list[HolidayIn]:
        with services.db.session() as s:
            return [
                HolidayIn(day=h.day, name=h.name)
                for h in s.scalars(select(Holiday).order_by(Holiday.day))
            ]

    return await to_thread.run_sync(work)


@router.put("/holidays", status_code=status.HTTP_200_OK, dependencies=[needs("admin")])
async def put_holiday(body: HolidayIn, services: ServicesDep, _: Actor) -> HolidayIn:
    await to_thread.run_sync(_upsert, services, Holiday, {"day": body.day}, {"name": body.name})
    return body


@router.delete("/holidays/{day}", dependencies=[needs("admin")])
async def delete_holiday(day: date, services: ServicesDep, _: Actor) -> dict[str, bool]:
    def work() -> int:
        with services.db.session() as s:
            return int(getattr(s.execute(delete(Holiday).where(Holiday.day == day)), "rowcount", 0))

    if await to_thread.run_sync(work) == 0:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such holiday")
    return {"ok": True}


@router.get("/figures", dependencies=[needs("reports:read")])
async def get_figures(
    services: ServicesDep,
    actor: Supervisor,
    address: Address,
    period: Period,
) -> Figures:
    """First response, handling time, breach rate and P1-within-4-hours, by priority,
    channel and team, over the tickets opened in [since, until)."""
    return await AuditedReads(services, actor, address).read(
        "figures",
        lambda: figures(services.db, period.since, period.until),
        "json",
        detail=str(period),
    )


@router.get("/figures/export", dependencies=[needs("reports:read")])
async def export_figures(
    services: ServicesDep,
    actor: Supervisor,
    address: Address,
    period: Period,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
) -> Response:
    """The same figures as a CSV or XLSX download."""
    found = await AuditedReads(services, actor, address).read(
        "figures",
        lambda: figures(services.db, period.since, period.until),
        format,
        action="export",
        detail=str(period),
    )
    data, kind, headers = download(
        "figures", figures_export.HEADER, figures_export.rows(found), format
    )
    return Response(data, media_type=kind, headers=headers)
