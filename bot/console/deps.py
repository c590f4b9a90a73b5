"""What every console route needs: the signed-in agent, the services, presence and the
"is this chat yours" check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from bot.console.auth import require_agent
from bot.core.models import Handoff
from bot.handoff import queue
from bot.handoff.presence import Presence
from bot.web.services import Services

Agent = Annotated[str, Depends(require_agent)]


def own_handoff(session: Session, handoff_id: int, agent: str) -> Handoff | None:
    """The handoff if this agent has it; None otherwise (the caller answers 403)."""
    handoff = session.get(Handoff, handoff_id)
    return handoff if handoff is not None and handoff.agent == agent else None


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def presence_of(services: Services) -> Presence:
    return Presence(services.events.redis, services.settings.redis_prefix)


async def as_agent(request: Request, work: Callable[[], object]) -> dict[str, bool]:
    """Run a chat action that only the chat's own agent may do (403 otherwise)."""
    try:
        await to_thread.run_sync(work)
    except queue.HandoffError as exc:
        raise HTTPException(403, str(exc)) from exc
    services_of(request).wake_worker()
    return {"ok": True}
