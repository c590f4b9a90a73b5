"""回访 tasks (API token) and plans (administrators, audited), and survey results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from bot.api.deps import Actor, Address, Admin, ServicesDep, needs
from bot.core.db import upsert_described
from bot.core.models import FollowupPlan, FollowupTask, Ticket
from bot.tickets import revisits

router = APIRouter(tags=["follow-up"])


class TaskOut(BaseModel):
    id: int
    ticket: str
    reason: str
    state: str
    owner: str | None
    attempts: int
    satisfaction: str | None
    due_at: datetime
    done_at: datetime | None
    done_by: str | None
    outcome: str | None


class Done(BaseModel):
    """The 回访 reached the customer (the staff app's worklist records every result)."""

    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(min_length=1, max_length=2000)
    satisfaction: str | None = Field(
        default=None, pattern="^(" + "|".join(revisits.SATISFACTION) + ")$"
    )


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(default="*", pattern=r"^(\*|complaint|suggestion|inquiry|incident)$")
    tier: str = Field(default="*", pattern=r"^(\*|standard|vip)$")
    delay_hours: float = Field(ge=0, le=24 * 90)
    active: bool = True


@router.get("/followup-tasks", dependencies=[needs("tickets:read")])
async def tasks(
    services: ServicesDep, _: Actor, pending: Annotated[bool, Query()] = True
) -> list[TaskOut]:
    def work() -> list[TaskOut]:
        with services.db.session() as s:
            query = select(FollowupTask, Ticket.number).join(
                Ticket, FollowupTask.ticket_id == Ticket.id
            )
            if pending:
                query = query.where(FollowupTask.state == "open")
            return [
                TaskOut(
                    id=t.id,
                    ticket=n or "",
                    reason=t.reason,
                    state=t.state,
                    owner=t.owner,
                    attempts=t.attempts,
                    satisfaction=t.satisfaction,
                    due_at=t.due_at,
                    done_at=t.done_at,
                    done_by=t.done_by,
                    outcome=t.outcome,
                )
                for t, n in s.execute(query.order_by(FollowupTask.due_at))
            ]

    return await to_thread.run_sync(work)


@router.post("/followup-tasks/{task_id}/done", dependencies=[needs("tickets:write")])
async def task_done(
    task_id: int, body: Done, services: ServicesDep, actor: Actor
) -> dict[str, bool]:
    def work() -> None:
        with services.db.session() as s:
            revisits.attempt(
                s, services.settings, task_id, "reached", body.satisfaction, body.outcome, actor
            )

    try:
        await to_thread.run_sync(work)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such task") from exc
    except revisits.RevisitError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return {"ok": True}


@router.get("/followup-plans", dependencies=[needs("admin")])
async def plans(services: ServicesDep, _: Admin) -> list[PlanIn]:
    """Which closed tickets get a 回访 and how long after: by category and customer tier
    (``*``: any); the most specific plan wins; an inactive plan means no 回访."""

    def work() -> list[PlanIn]:
        with services.db.session() as session:
            return [
                PlanIn(category=p.category, tier=p.tier, delay_hours=p.delay_hours, active=p.active)
                for p in session.scalars(
                    select(FollowupPlan).order_by(FollowupPlan.category, FollowupPlan.tier)
                )
            ]

    return await to_thread.run_sync(work)


@router.put("/followup-plans", dependencies=[needs("admin")])
async def put_plan(body: PlanIn, services: ServicesDep, actor: Admin, address: Address) -> PlanIn:
    """Create or replace a plan; tickets closed from now on follow it."""

    def work() -> str:
        with services.db.session() as session:
            keys = {"category": body.category, "tier": body.tier}
            values = body.model_dump(exclude=set(keys))
            return upsert_described(session, FollowupPlan, keys, values)

    detail = await to_thread.run_sync(work)
    what = f"{body.category}/{body.tier}"
    await services.audit(actor, "followup.plan", "followup_plan", what, address, detail)
    return body
