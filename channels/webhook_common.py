"""What every provider webhook does the same way: refuse when off, store, wake the worker."""

from __future__ import annotations

import logging

from anyio import CapacityLimiter, to_thread
from fastapi import HTTPException, Request

from bot.inbox import Accepted, accept
from bot.services import Services
from channels.base import InboundMessage

MAX_BODY_BYTES = 256 * 1024
# How many webhooks store at once. More threads only fight over the GIL with the thread
# answering HTTP: a web process alone took 1.0-1.3 ms of CPU per acknowledgement with 2
# to 8 against 1.7-1.8 ms with anyio's default 40 on SQLite, 1.4-1.8 against 2.1-2.4 ms
# with 8 on PostgreSQL (bursts of 3,000 WeChat messages). Too few wait in turn for
# SQLite's one writer (the worker holds it too): 2 doubled bench.load's ack p99.
_STORING = CapacityLimiter(4)
log = logging.getLogger(__name__)


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
    """Store before acknowledging; a duplicate is acknowledged without a second row.

    A new message is also pushed live (best effort) to whoever watches the conversation:
    the agent who has the chat, or the customer's other web-chat tabs.
    """
    accepted = await to_thread.run_sync(
        accept, services.db, inbound, services.vault, limiter=_STORING
    )
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
        try:
            await services.events.publish(accepted.conversation_public_id, frame)
        except Exception:
            log.info("live push of a customer message failed; it is stored and will show on reload")
    return accepted
