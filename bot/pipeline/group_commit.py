"""Group commit for the webhooks: messages that arrive together are stored together.

Every webhook waits for its message to be stored before it acknowledges. One
transaction per message meant, in a burst, a thread hop, a connection checkout, a
write lock and a commit per message, and with SQLite one more writer queueing for the
single write lock the worker also takes. Here the store takes the write lock first and
then everything waiting at that moment, so what arrived while it waited for the lock
goes in with it instead of waiting for the lock again: at a trickle each message is its
own transaction, as before; in a burst the transactions grow instead of queueing. Each caller still waits
for its own message to be committed, so nothing is acknowledged that is not durable.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

from anyio import to_thread

from bot.core.contact_vault import ContactVault
from bot.core.db import Database
from bot.core.timings import Histogram
from bot.pipeline.inbox import accept_many
from bot.pipeline.messages import Accepted, InboundMessage

MAX_BATCH = 64  # one transaction stays short even when a burst has queued thousands


@dataclass
class InboxWriter:
    """Stores inbound messages for this process's webhooks, at most ``in_flight``
    transactions at once (one suits SQLite's single writer; PostgreSQL takes more)."""

    db: Database
    vault: ContactVault | None = None
    in_flight: int = 1
    transactions: int = 0  # for /metrics and the tests: batches stored (one commit each)
    # how long each caller waited for its message to be stored (its part of the ack)
    waited: Histogram = field(default_factory=Histogram)
    _waiting: deque[tuple[InboundMessage, asyncio.Future[Accepted]]] = field(
        default_factory=deque, init=False, repr=False
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
        in_hand: list[tuple[InboundMessage, asyncio.Future[Accepted]]] = []

        def take() -> list[tuple[InboundMessage, asyncio.Future[Accepted]]]:
            # In the storing thread, once it holds the write lock: everything waiting.
            # deque.popleft is atomic, so two stores in flight never take the same one.
            in_hand.clear()
            while self._waiting and len(in_hand) < MAX_BATCH:
                in_hand.append(self._waiting.popleft())
            return in_hand

        try:
            while self._waiting:
                outcomes = await to_thread.run_sync(accept_many, self.db, take, self.vault)
                self.transactions += 1
                for future, outcome in outcomes:
                    if future.done():  # the webhook went away; its message is stored
                        continue
                    if isinstance(outcome, Exception):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
                in_hand.clear()
        except asyncio.CancelledError:  # shutting down: no caller may wait for ever
            last = self._running == 1
            for _, future in in_hand + (list(self._waiting) if last else []):
                future.cancel()
            raise
        finally:
            self._running -= 1
