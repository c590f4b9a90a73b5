"""What every provider webhook does the same way: refuse when off, store, wake the worker."""

from __future__ import annotations

from fastapi import HTTPException, Request

from bot.inbox import Accepted
from bot.services import Services
from channels.base import InboundMessage

MAX_BODY_BYTES = 256 * 1024


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def require_enabled(enabled: bool, channel: str) -> None:
    """A channel without credentials is off, and says so rather than half-working."""
    if not enabled:
        raise HTTPException(404, f"the {channel} channel is not configured")


async def read_body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(413, "request body too large")
    return body


async def store(services: Services, inbound: InboundMessage) -> Accepted:
    """Store before acknowledging (grouped with whatever else arrives meanwhile, one
    commit for all: ``bot.inbox_batch``); a duplicate is acknowledged without a second row.

    A new message is also pushed live (best effort) to whoever watches the conversation:
    the agent who has the chat, or the customer's other web-chat tabs.
    """
    accepted = await services.inbox.store(inbound)
    if not accepted.duplicate:
        services.wake_worker()
        frame = {
            "type": "message",
            "id": accepted.message_id,
            "client_id": inbound.provider_msg_id,
            "sender": "customer",
            "text": accepted.text,
            "buttons": [],
            "at": inbound.received_at.isoformat(),
        }
        # not waited for: a push that fails is logged, and the message shows on reload
        services.events.publish_soon(accepted.conversation_public_id, frame)
    return accepted
