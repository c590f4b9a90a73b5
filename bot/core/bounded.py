"""Waits with a hard bound, for shutdown and clean-up steps that must not hold anything up."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, Protocol

log = logging.getLogger(__name__)


async def within(what: str, work: Awaitable[Any], seconds: float) -> bool:
    """Wait up to ``seconds`` for ``work``; past that, cancel it and go on without it.

    ``asyncio.wait_for`` waits for the work it cancelled to wind down, so work that does
    not (a redis-py close blocked on a socket another task still reads from,
    redis/redis-py#3941) held the caller for ever: a CI run's app shutdown hung for the
    whole 15-minute test timeout. Here the caller never waits longer than ``seconds``.
    True when the work finished in time (an error it raised is logged, not raised)."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        log.warning("%s took over %.1f s; going on without it", what, seconds)
        return False
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning("%s failed: %s", what, type(error).__name__)
    return True


class _Subscription(Protocol):
    def aclose(self) -> Awaitable[None]: ...


CLOSE_SECONDS = 2.0


async def close_subscription(pubsub: _Subscription) -> None:
    """Drop a Redis subscription: closing its connection ends every channel and pattern
    on it at the server, so no UNSUBSCRIBE round trip first; bounded, as above."""
    await within("closing a Redis subscription", pubsub.aclose(), CLOSE_SECONDS)
