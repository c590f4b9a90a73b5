"""The live floor for supervisors: the snapshot, listening to a chat, whispering to its
agent and taking it over. Each is audited (listen as a read of the chat, whisper and
take-over as changes with the supervisor's name)."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from bot.access.scopes import supervised_team
from bot.api.deps import Address, ServicesDep, StaffMember, needs, supervisor
from bot.core.models import utcnow
from bot.core.redact import redact
from bot.handoff import floor
from bot.web.audited_reads import AuditedReads
from bot.web.services import Services

router = APIRouter(prefix="/floor", tags=["floor"])


HandoffId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", dependencies=[needs("reports:read")])
async def get_floor(services: ServicesDep, staff: StaffMember) -> dict[str, Any]:
    """Queue, longest wait, people by state with their chats, SLA at risk and breached."""
    name = await supervisor(staff)
    prefix = services.settings.redis_prefix
    return await floor.watched(services.db, services.events.redis, prefix, name, staff[1])


def _held(services: Services, handoff_id: int, name: str, role: str) -> floor.Held:
    """The chat, if the supervisor may watch it (a team's supervisor: their team's)."""
    with services.db.session() as session:
        team = supervised_team(session, name, role)
        try:
            held = floor.held_chat(session, handoff_id)
        except floor.FloorError as exc:
            raise HTTPException(404, str(exc)) from exc
    if team is not None and held.team != team:
        raise HTTPException(404, "这个会话当前没有坐席在处理 / nobody is in this chat now")
    return held


@router.get("/chats/{handoff_id}", dependencies=[needs("tickets:read")])
async def listen(
    handoff_id: HandoffId,
    services: ServicesDep,
    staff: StaffMember,
    address: Address,
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """Listen to a chat, read-only: its messages after ``after``. Opening it (``after``
    0) is audited as a read of the chat; the updates that follow are the same listening."""
    name = await supervisor(staff)

    def work() -> dict[str, Any]:
        held = _held(services, handoff_id, name, staff[1])
        with services.db.session() as session:
            messages = floor.messages_after(session, held.conversation_id, after)
        return {
            "handoff_id": held.handoff_id,
            "agent": held.agent,
            "conversation_id": held.conversation_public_id,
            "messages": messages,
        }

    if after:
        return await to_thread.run_sync(work)
    return await AuditedReads(services, name, address).read(
        "chat", work, f"handoff:{handoff_id}", action="listen"
    )


class Whisper(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=1000)


@router.post("/chats/{handoff_id}/whisper", dependencies=[needs("tickets:write")])
async def whisper(
    handoff_id: HandoffId,
    body: Whisper,
    services: ServicesDep,
    staff: StaffMember,
    address: Address,
) -> dict[str, bool]:
    """A word to the chat's agent that the customer never sees."""
    name = await supervisor(staff)
    held = await to_thread.run_sync(_held, services, handoff_id, name, staff[1])
    text = redact(body.text.strip())
    if not text:
        raise HTTPException(422, "请输入内容 / say something")
    await services.audit(name, "whisper", "handoff", str(handoff_id), address, text)
    await services.events.publish_person(
        held.agent,
        {
            "type": "whisper",
            "handoff_id": handoff_id,
            "conversation_id": held.conversation_public_id,
            "from": name,
            "text": text,
            "at": utcnow().isoformat(),
        },
    )
    return {"ok": True}


@router.post("/chats/{handoff_id}/take-over", dependencies=[needs("tickets:write")])
async def take_over(
    handoff_id: HandoffId, services: ServicesDep, staff: StaffMember, address: Address
) -> dict[str, str]:
    """The supervisor takes the chat: it is theirs in their chat console from now on."""
    name = await supervisor(staff)
    if staff[1] == "token":
        raise HTTPException(403, "接管会话需要登录的主管 / a signed-in supervisor takes over chats")
    await to_thread.run_sync(_held, services, handoff_id, name, staff[1])
    try:
        held = await to_thread.run_sync(floor.take_over, services.db, handoff_id, name)
    except floor.FloorError as exc:
        raise HTTPException(409, str(exc)) from exc
    await services.audit(name, "take_over", "handoff", str(handoff_id), address, held.agent)
    await services.events.publish_staff({"type": "queue", "handoff_id": handoff_id})
    await services.events.publish_person(
        held.agent, {"type": "taken_over", "handoff_id": handoff_id, "by": name}
    )
    return {"conversation_id": held.conversation_public_id, "from": held.agent}
