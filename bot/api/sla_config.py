"""SLA configuration administrators edit (policies, priority rules, holidays), each
change validated and audited with what it changed, and the figures."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import delete, select

from bot.api.deps import Address, Admin, Period, ServicesDep, Supervisor, needs
from bot.api.table_export import download
from bot.core.db import upsert_described
from bot.core.models import Holiday, PriorityRule, SlaPolicyRow
from bot.sla import figures_export
from bot.sla.figures import Figures, figures
from bot.web.audited_reads import AuditedReads

router = APIRouter(tags=["sla"])


def _upsert(
    services: ServicesDep, model: type[Any], keys: dict[str, Any], values: dict[str, Any]
) -> str:
    """Create or replace a row; what changed, for the audit."""
    with services.db.session() as session:
        return upsert_described(session, model, keys, values)


def _delete(services: ServicesDep, model: type[Any], keys: dict[str, Any]) -> int:
    with services.db.session() as session:
        done = session.execute(delete(model).filter_by(**keys))
        return int(getattr(done, "rowcount", 0))


Category = Annotated[str, Path(pattern=r"^(\*|complaint|suggestion|inquiry|incident)$")]
Priority = Annotated[str, Path(pattern="^P[1-4]$")]
MAX_MINUTES = 60 * 24 * 60


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    priority: str = Field(pattern="^P[1-4]$")
    category: str = Field(default="*", pattern=r"^(\*|complaint|suggestion|inquiry|incident)$")
    first_response_minutes: int = Field(ge=1, le=MAX_MINUTES)
    next_response_minutes: int = Field(default=1440, ge=1, le=MAX_MINUTES)
    resolution_minutes: int = Field(ge=1, le=MAX_MINUTES)
    calendar: str = Field(default="24x7", pattern="^(24x7|business)$")

    @model_validator(mode="after")
    def _in_order(self) -> PolicyIn:
        if self.first_response_minutes > self.resolution_minutes:
            raise ValueError(
                "首次响应时限不能长于解决时限 / the first response cannot be due after the resolution"
            )
        return self


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(pattern="^(complaint|suggestion|inquiry|incident)$")
    subcategory: str = Field(default="*", pattern=r"^(\*|[a-z0-9_]{1,32})$")
    priority: str = Field(pattern="^P[1-4]$")


class HolidayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date
    name: str = Field(default="", max_length=64)


@router.get("/sla/policies", dependencies=[needs("admin")])
async def list_policies(services: ServicesDep, _: Admin) -> list[PolicyIn]:
    """Every SLA policy: per priority, and per category where one differs."""

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
async def put_policy(
    body: PolicyIn, services: ServicesDep, actor: Admin, address: Address
) -> PolicyIn:
    """Create or replace the targets for a priority (and category). Tickets opened from
    now on use them; open tickets keep the deadlines they were given."""
    keys = {"priority": body.priority, "category": body.category}
    values = body.model_dump(exclude=set(keys))
    detail = await to_thread.run_sync(_upsert, services, SlaPolicyRow, keys, values)
    what = f"{body.priority}/{body.category}"
    await services.audit(actor, "sla.policy", "sla_policy", what, address, detail)
    return body


@router.delete("/sla/policies/{priority}/{category}", dependencies=[needs("admin")])
async def delete_policy(
    priority: Priority, category: Category, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, bool]:
    """Remove a category's own targets (the priority's general ones then apply). A
    priority's general targets (category ``*``) are edited, never removed."""
    if category == "*":
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "每个优先级的通用时限不能删除 / a priority's general targets cannot be removed",
        )
    keys = {"priority": priority, "category": category}
    if await to_thread.run_sync(_delete, services, SlaPolicyRow, keys) == 0:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such policy / 没有该时限")
    await services.audit(
        actor, "sla.policy_delete", "sla_policy", f"{priority}/{category}", address
    )
    return {"ok": True}


@router.get("/priority-rules", dependencies=[needs("admin")])
async def list_rules(services: ServicesDep, _: Admin) -> list[RuleIn]:
    def work() -> list[RuleIn]:
        with services.db.session() as s:
            return [
                RuleIn(category=r.category, subcategory=r.subcategory, priority=r.priority)
                for r in s.scalars(
                    select(PriorityRule).order_by(PriorityRule.category, PriorityRule.subcategory)
                )
            ]

    return await to_thread.run_sync(work)


@router.put("/priority-rules", dependencies=[needs("admin")])
async def put_rule(body: RuleIn, services: ServicesDep, actor: Admin, address: Address) -> RuleIn:
    """Which priority a category (and subcategory) gets; the most specific rule wins."""
    keys = {"category": body.category, "subcategory": body.subcategory}
    values = {"priority": body.priority}
    detail = await to_thread.run_sync(_upsert, services, PriorityRule, keys, values)
    what = f"{body.category}/{body.subcategory}"
    await services.audit(actor, "sla.priority_rule", "priority_rule", what, address, detail)
    return body


@router.delete("/priority-rules/{category}/{subcategory}", dependencies=[needs("admin")])
async def delete_rule(
    category: Category,
    subcategory: Annotated[str, Path(pattern=r"^(\*|[a-z0-9_]{1,32})$")],
    services: ServicesDep,
    actor: Admin,
    address: Address,
) -> dict[str, bool]:
    keys = {"category": category, "subcategory": subcategory}
    if await to_thread.run_sync(_delete, services, PriorityRule, keys) == 0:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such rule / 没有该规则")
    what = f"{category}/{subcategory}"
    await services.audit(actor, "sla.priority_rule_delete", "priority_rule", what, address)
    return {"ok": True}


@router.get("/holidays", dependencies=[needs("admin")])
async def list_holidays(services: ServicesDep, _: Admin) -> list[HolidayIn]:
    def work() -> list[HolidayIn]:
        with services.db.session() as s:
            return [
                HolidayIn(day=h.day, name=h.name)
                for h in s.scalars(select(Holiday).order_by(Holiday.day))
            ]

    return await to_thread.run_sync(work)


@router.put("/holidays", status_code=status.HTTP_200_OK, dependencies=[needs("admin")])
async def put_holiday(
    body: HolidayIn, services: ServicesDep, actor: Admin, address: Address
) -> HolidayIn:
    """A day the business-hours calendar does not count (new deadlines skip it)."""
    values = {"name": body.name}
    detail = await to_thread.run_sync(_upsert, services, Holiday, {"day": body.day}, values)
    await services.audit(actor, "sla.holiday", "holiday", body.day.isoformat(), address, detail)
    return body


@router.delete("/holidays/{day}", dependencies=[needs("admin")])
async def delete_holiday(
    day: date, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, bool]:
    if await to_thread.run_sync(_delete, services, Holiday, {"day": day}) == 0:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such holiday")
    await services.audit(actor, "sla.holiday_delete", "holiday", day.isoformat(), address)
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
