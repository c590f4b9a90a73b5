"""Canned replies of the staff app: everyone reads their team's and the shared ones;
supervisors and admins keep them (every change audited)."""

from __future__ import annotations

from datetime import datetime

from anyio import to_thread
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from bot.api.deps import Address, ServicesDep, StaffMember, Supervisor, needs
from bot.console import canned
from bot.core.models import CannedReply, User

router = APIRouter(prefix="/desk/canned", tags=["desk"])
NO_REPLY = "没有这条快捷回复 / no such canned reply"


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    team: str | None = Field(default=None, max_length=64)
    title_zh: str = Field(min_length=1, max_length=64)
    title_en: str = Field(min_length=1, max_length=64)
    body_zh: str = Field(min_length=1, max_length=2000)
    body_en: str = Field(min_length=1, max_length=2000)
    position: int = Field(default=0, ge=0, le=10_000)


class ReplyOut(Reply):
    id: int
    updated_by: str
    updated_at: datetime


def _out(r: CannedReply) -> ReplyOut:
    return ReplyOut.model_validate(r, from_attributes=True)


@router.get("", dependencies=[needs("tickets:read")])
async def listing(services: ServicesDep, staff: StaffMember) -> list[ReplyOut]:
    """A supervisor or admin sees every team's; others their team's and the shared."""
    name, role = staff

    def work() -> list[ReplyOut]:
        with services.db.session() as session:
            if role in ("supervisor", "admin", "token"):
                rows = session.scalars(
                    select(CannedReply).order_by(
                        CannedReply.team.is_not(None),
                        CannedReply.team,
                        CannedReply.position,
                        CannedReply.id,
                    )
                )
                return [_out(r) for r in rows]
            team = session.scalar(select(User.team).where(User.name == name))
            return [_out(r) for r in canned.for_team(session, team)]

    return await to_thread.run_sync(work)


async def _save(
    services: ServicesDep, actor: str, address: str | None, reply_id: int | None, body: Reply
) -> ReplyOut:
    def work() -> ReplyOut:
        with services.db.session() as session:
            return _out(canned.save(session, reply_id, actor=actor, **body.model_dump()))

    try:
        saved = await to_thread.run_sync(work)
    except canned.CannedError as exc:
        raise HTTPException(422, str(exc)) from exc
    except LookupError as exc:
        raise HTTPException(404, NO_REPLY) from exc
    action = "canned.create" if reply_id is None else "canned.update"
    await services.audit(actor, action, "canned_reply", str(saved.id), address, saved.title_zh)
    return saved


@router.post("", dependencies=[needs("tickets:write")])
async def create(
    body: Reply, services: ServicesDep, actor: Supervisor, address: Address
) -> ReplyOut:
    return await _save(services, actor, address, None, body)


@router.put("/{reply_id}", dependencies=[needs("tickets:write")])
async def update(
    reply_id: int, body: Reply, services: ServicesDep, actor: Supervisor, address: Address
) -> ReplyOut:
    return await _save(services, actor, address, reply_id, body)


@router.delete("/{reply_id}", dependencies=[needs("tickets:write")])
async def delete(
    reply_id: int, services: ServicesDep, actor: Supervisor, address: Address
) -> dict[str, bool]:
    def work() -> bool:
        with services.db.session() as session:
            found = session.get(CannedReply, reply_id)
            if found is None:
                return False
            session.delete(found)
            return True

    if not await to_thread.run_sync(work):
        raise HTTPException(404, NO_REPLY)
    await services.audit(actor, "canned.delete", "canned_reply", str(reply_id), address)
    return {"ok": True}
