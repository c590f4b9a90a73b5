"""What every provider webhook does the same way: find the port, refuse when off, read
the body within its limit."""

from __future__ import annotations

from fastapi import HTTPException, Request

from bot.pipeline.port import ChannelPort

MAX_BODY_BYTES = 256 * 1024


def port_of(request: Request) -> ChannelPort:
    port: ChannelPort = request.app.state.services
    return port


def require_enabled(enabled: bool, channel: str) -> None:
    """A channel without credentials is off, and says so rather than half-working."""
    if not enabled:
        raise HTTPException(404, f"the {channel} channel is not configured")


async def read_body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(413, "request body too large")
    return body
