"""Group commit for the webhooks: messages that arrive together are stored together.

Every webhook waits for its message to be stored before it acknowledges. One
transaction per message meant, in a burst, a thread hop, a connection checkout, a
write lock and a commit per message, and with SQLite one more writer queueing for the
single write lock the worker also takes. Here a message that arrives while a store is
running joins the next one: at a trickle each message is its own transaction, as
before; in a burst the transactions grow instead of queueing. Each caller still waits
for its own message to be committed, so nothing is acknowledged that is not durable.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from anyio import to_thread

from bot.contact_vault import ContactVault
from bot.db import Database
from bot.inbox import Accepted, accept, accept_many
from bot.timings import Histogram
from channels.base import InboundMessage

MAX_BATCH = 64  # one transaction stays short even when a burst has queued thousands


@dataclass
class InboxWriter:
    """Stores inbound messages for this process's webhooks, at most ``in_flight``
    transactions at once (one suits SQLite's single writer; PostgreSQL takes more)."""

    db: Database
    vault: ContactVault | None = None
    in_flight: int = 1
    transactions: int = 0  # for /metrics and the tests: how many commits stored them
    # how long each caller waited for its message to be stored (its part of the ack)
    waited: Histogram = field(default_factory=Histogram)
    _waiting: list[tuple[InboundMessage, asyncio.Future[Accepted]]] = field(
        default_factory=list, init=False, repr=False
    )
    _running: int = field(default=0, init=False, repr=False)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, init=False, repr=False)

    async def store(self, inbound: InboundMessage) -> Accepted:
        started = time.perf_counter()
        future: asyncio.Future[Accepted] = asyncio.get_running_loop().create_future()
        self._waiting.append((inbound, future))
        if self._running < self.in_flight:
            self._running += 1
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            return await future
        finally:
            self.waited.observe(time.perf_counter() - started)

    async def _drain(self) -> None:
        batch: list[tuple[InboundMessage, asyncio.Future[Accepted]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                inbounds = [inbound for inbound, _ in batch]
                try:
                    if len(inbounds) == 1:
                        results: list[Accepted | Exception] = [
                            await to_thread.run_sync(accept, self.db, inbounds[0], self.vault)
                        ]
                    else:
                        results = await to_thread.run_sync(
                            accept_many, self.db, inbounds, self.vault
                        )
                except Exception as error:  # nothing of this batch is stored
                    results = [error] * len(batch)
                self.transactions += 1
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():  # the webhook went away; its message is stored
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        except asyncio.CancelledError:  # shutting down: no caller may wait for ever
            last = self._running == 1
            for _, future in batch + (self._waiting if last else []):
                future.cancel()
            raise
        finally:
            self._running -= 1
