"""SLA configuration staff edit (policies, priority rules, holidays) and the figures."""

from __future__ import annotations

from datetime import date

from anyio import to_thread
from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select

from bot.api.deps import Actor, ServicesDep
from bot.models import Holiday, PriorityRule, SlaPolicyRow
from bot.sla.figures import Figures, figures

router = APIRouter(tags=["sla"])


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


@router.get("/sla/policies")
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


@router.put("/sla/policies")
async def put_policy(body: PolicyIn, services: ServicesDep, _: Actor) -> PolicyIn:
    """Create or replace the targets for a priority (and category). New tickets use them."""

    def work() -> None:
        with services.db.session() as s:
            row = s.scalar(
                select(SlaPolicyRow).where(
                    SlaPolicyRow.priority == body.priority, SlaPolicyRow.category == body.category
                )
            )
            if row is None:
                row = SlaPolicyRow(priority=body.priority, category=body.category)
                s.add(row)
            row.first_response_minutes = body.first_response_minutes
            row.next_response_minutes = body.next_response_minutes
            row.resolution_minutes = body.resolution_minutes
            row.calendar = body.calendar

    await to_thread.run_sync(work)
    return body


@router.get("/priority-rules")
async def list_rules(services: ServicesDep, _: Actor) -> list[RuleIn]:
    def work() -> list[RuleIn]:
        with services.db.session() as s:
            return [
                RuleIn(category=r.category, subcategory=r.subcategory, priority=r.priority)
                for r in s.scalars(select(PriorityRule).order_by(PriorityRule.id))
            ]

    return await to_thread.run_sync(work)


@router.put("/priority-rules")
async def put_rule(body: RuleIn, services: ServicesDep, _: Actor) -> RuleIn:
    def work() -> None:
        with services.db.session() as s:
            row = s.scalar(
                select(PriorityRule).where(
                    PriorityRule.category == body.category,
                    PriorityRule.subcategory == body.subcategory,
                )
            )
            if row is None:
                s.add(
                    PriorityRule(
                        category=body.category, subcategory=body.subcategory, priority=body.priority
                    )
                )
            else:
                row.priority = body.priority

    await to_thread.run_sync(work)
    return body


@router.get("/holidays")
async def list_holidays(services: ServicesDep, _: Actor) -> list[HolidayIn]:
    def work() -> list[HolidayIn]:
        with services.db.session() as s:
            return [
                HolidayIn(day=h.day, name=h.name)
                for h in s.scalars(select(Holiday).order_by(Holiday.day))
            ]

    return await to_thread.run_sync(work)


@router.put("/holidays", status_code=status.HTTP_200_OK)
async def put_holiday(body: HolidayIn, services: ServicesDep, _: Actor) -> HolidayIn:
    def work() -> None:
        with services.db.session() as s:
            row = s.scalar(select(Holiday).where(Holiday.day == body.day))
            if row is None:
                s.add(Holiday(day=body.day, name=body.name))
            else:
                row.name = body.name

    await to_thread.run_sync(work)
    return body


@router.delete("/holidays/{day}")
async def delete_holiday(day: date, services: ServicesDep, _: Actor) -> dict[str, bool]:
    def work() -> int:
        with services.db.session() as s:
            return int(getattr(s.execute(delete(Holiday).where(Holiday.day == day)), "rowcount", 0))

    if await to_thread.run_sync(work) == 0:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such holiday")
    return {"ok": True}


@router.get("/figures")
async def get_figures(services: ServicesDep, _: Actor) -> Figures:
    """First response, handling time, breach rate and P1-within-4-hours, by priority and channel."""
    return await to_thread.run_sync(figures, services.db)
