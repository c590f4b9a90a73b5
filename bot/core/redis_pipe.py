"""Redis commands from concurrent requests sent together, one pipeline per round trip.

Under a burst of webhooks each one made its own Redis calls (the WeChat replay check,
the live push of the new message): a third of the web process's event-loop CPU at
300 messages a second went to redis-py's per-command path (py-spy). Commands issued
while a pipeline is in flight join the next one, so a trickle still goes out at once
and a burst costs one round trip per batch instead of one per command.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

log = logging.getLogger(__name__)

MAX_PIPELINE = 256


@dataclass
class Pipelined:
    redis: Redis
    round_trips: int = 0  # for the tests: how many pipelines carried the commands
    _queue: list[tuple[tuple[Any, ...], asyncio.Future[Any] | None]] = field(
        default_factory=list, init=False, repr=False
    )
    _flushing: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    async def call(self, *command: Any) -> Any:
        """Run one command (``"SET", key, value, "NX"``) and return its reply; an error
        reply or a lost connection is raised to this caller alone."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._enqueue(command, future)
        return await future

    def send(self, *command: Any) -> None:
        """Send a command whose reply nobody waits for (a live push: best effort)."""
        self._enqueue(command, None)

    def _enqueue(self, command: tuple[Any, ...], future: asyncio.Future[Any] | None) -> None:
        self._queue.append((command, future))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        batch: list[tuple[tuple[Any, ...], asyncio.Future[Any] | None]] = []
        try:
            while self._queue:
                batch = self._queue[:MAX_PIPELINE]
                del self._queue[:MAX_PIPELINE]
                pipe = self.redis.pipeline(transaction=False)
                for command, _ in batch:
                    pipe.execute_command(*command)
                try:
                    replies: list[Any] = await pipe.execute(raise_on_error=False)
                except Exception as error:  # Redis away: every command of the batch failed
                    replies = [error] * len(batch)
                self.round_trips += 1
                unheard = 0
                for (_, future), reply in zip(batch, replies, strict=True):
                    if future is None:
                        unheard += isinstance(reply, Exception)
                    elif not future.done():
                        if isinstance(reply, Exception):
                            future.set_exception(reply)
                        else:
                            future.set_result(reply)
                if unheard:
                    log.info("%d Redis commands nobody waited for failed", unheard)
        except asyncio.CancelledError:  # shutting down: nobody may wait for ever
            for _, future in batch + self._queue:
                if future is not None:
                    future.cancel()
            self._queue.clear()
            raise
        finally:
            self._flushing = None
