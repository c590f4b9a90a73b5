"""An agent's status (online or away) and their answer to an offered chat."""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.console.deps import Agent, presence_of, services_of
from bot.handoff import routing

router = APIRouter(include_in_schema=False)


class Status(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(pattern="^(online|away|watching)$")


@router.get("/console/api/status")
async def status(request: Request, agent: Agent) -> dict[str, str]:
    statuses = await presence_of(services_of(request)).statuses()
    return {"status": statuses.get(agent, "offline")}


@router.post("/console/api/status")
async def set_status(body: Status, request: Request, agent: Agent) -> dict[str, str]:
    """Away: keep your chats, get no new offers. Watching: the same, and no customer is
    queued for you. Online: offers resume at once."""
    services = services_of(request)
    await presence_of(services).set_status(agent, body.status)
    await services.route_handoffs()
    return {"status": body.status}


@router.post("/console/api/handoffs/{handoff_id}/decline")
async def decline(handoff_id: int, request: Request, agent: Agent) -> dict[str, bool]:
    """Turn an offered chat down: it goes to the next agent and stays in the pool."""
    services = services_of(request)
    if not await to_thread.run_sync(routing.decline, services.db, handoff_id, agent):
        raise HTTPException(409, "这个会话没有分配给您 / this chat is not offered to you")
    await services.route_handoffs()
    return {"ok": True}
