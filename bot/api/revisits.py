"""The 回访 worklist of the staff app: the follow-up calls due today, mine, coming and
done, with the coverage figure; an attempt's result (a customer not reached is tried
again, an unsatisfied one gets the ticket reopened); handing a task to someone. Agents
see the tasks of the tickets in their scope; every attempt is audited."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from bot.api.deps import needs
from bot.api.desk import Caller, Me
from bot.core.models import FollowupTask, User, utcnow
from bot.tickets import revisits

router = APIRouter(prefix="/desk/revisits", tags=["desk"])


@router.get("", dependencies=[needs("tickets:read")])
async def worklist(
    me: Me, view: Annotated[str, Query(pattern="^(" + "|".join(revisits.VIEWS) + ")$")] = "due"
) -> dict[str, Any]:
    """One view of the worklist and the coverage so far (reached / required)."""
    zone = me.services.settings.display_timezone

    def work() -> dict[str, Any]:
        now = utcnow()
        with me.services.db.session() as session:
            rows = revisits.tasks(session, view, me.name, now, zone, me.scope.ticket_condition())
            covered = revisits.coverage(session, now)
        return {
            "tasks": [asdict(r) for r in rows],
            "coverage": asdict(covered),
            "as_of": now,
        }

    return await me.reads.read("revisits", work, view, action="search")


async def _task_ticket(me: Caller, task_id: int) -> str:
    """The number of the task's ticket, when the caller may see it (404 otherwise)."""

    def work() -> str:
        with me.services.db.session() as session:
            task = session.get(FollowupTask, task_id)
            if task is None:
                raise PermissionError(str(task_id))
            number = revisits.ticket_number(session, task)
        me.visible_id(number)
        return number

    return str(await me.reads.check("revisit", work, str(task_id)))


class Attempt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    result: str = Field(pattern="^(" + "|".join(revisits.RESULTS) + ")$")
    satisfaction: str | None = Field(
        default=None, pattern="^(" + "|".join(revisits.SATISFACTION) + ")$"
    )
    note: str = Field(default="", max_length=4000)


@router.post("/{task_id}/attempts", dependencies=[needs("tickets:write")])
async def attempt(task_id: int, body: Attempt, me: Me) -> dict[str, Any]:
    """One try at the 回访 and its result."""
    number = await _task_ticket(me, task_id)
    services = me.services

    def work() -> revisits.Attempted:
        with services.db.session() as session:
            return revisits.attempt(
                session,
                services.settings,
                task_id,
                body.result,
                body.satisfaction,
                body.note or None,
                me.name,
            )

    try:
        done = await to_thread.run_sync(work)
    except revisits.RevisitError as exc:
        raise HTTPException(409, str(exc)) from exc
    await services.audit(me.name, "revisit.attempt", "ticket", number, me.address, body.result)
    services.wake_scanner()
    services.wake_worker()
    await services.announce(
        {"type": "ticket", "number": number, "action": "revisit", "actor": me.name}
    )
    return asdict(done)


class Owner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner: str | None = Field(default=None, max_length=64)


@router.post("/{task_id}/assign", dependencies=[needs("tickets:write")])
async def assign(task_id: int, body: Owner, me: Me) -> dict[str, bool]:
    """Give the task to a member of staff (or back to the pool)."""
    number = await _task_ticket(me, task_id)

    def work() -> bool:
        with me.services.db.session() as session:
            if (
                body.owner
                and session.scalar(select(User.id).where(User.name == body.owner)) is None
            ):
                return False
            revisits.assign(session, task_id, body.owner)
            return True

    if not await to_thread.run_sync(work):
        raise HTTPException(422, f"没有这个用户 / no such user: {body.owner}")
    await me.services.audit(
        me.name, "revisit.assign", "ticket", number, me.address, body.owner or ""
    )
    return {"ok": True}
