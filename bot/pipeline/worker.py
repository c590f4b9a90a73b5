"""Background loops: the inbox router and the outbox sender, resumable after any crash.

State lives in the database only. A row being worked on carries a lease
(``not_before``); if the process dies, the lease runs out and any replica picks the
row up again. Within one conversation only the oldest unfinished inbound message
is ever claimed, so messages are answered in order.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from anyio import to_thread
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import aliased

from bot.core.config import Settings
from bot.core.db import Database
from bot.core.models import MESSAGES, Message, is_open_inbound, utcnow
from bot.handoff.offers import OfferRouter
from bot.identity.verification import Identity
from bot.kb.reminders import ReviewReminders
from bot.pipeline import leases
from bot.pipeline.backlog import tell_waiting
from bot.pipeline.outbox import Delivery, claim_due
from bot.pipeline.rasa_client import RasaClient
from bot.pipeline.turn import process
from bot.privacy.schedule import NightlyPurge
from bot.sla.ladder import LadderConfig
from bot.sla.notify import Notifier
from bot.sla.scanner import next_due, scan
from bot.sla.weekly_report import WeeklyReport
from bot.tickets.lifecycle import close_silent_confirmations

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)
POLL_SECONDS = 0.5
SCAN_ROUNDS = 20
RETENTION_CHECK_S = 300.0  # how often the worker looks whether the nightly purge is due
_EARLIER = aliased(Message)  # built once (see bot.pipeline.outbox)


_OLDEST_OPEN = (
    select(func.min(_EARLIER.id))
    .where(_EARLIER.conversation_id == Message.conversation_id, is_open_inbound(_EARLIER))
    .scalar_subquery()
)
# Pending messages in arrival order (the index (direction, status, id) gives them in
# that order, so the scan stops at the first few), and processing ones whose lease ran
# out (a crashed worker's; few). Each only if it is its conversation's oldest open one.
_PENDING = (
    select(Message.id)
    .where(Message.direction == "in", Message.status == "pending", Message.id == _OLDEST_OPEN)
    .where(or_(Message.not_before.is_(None), Message.not_before <= bindparam("now")))
    .order_by(Message.id)
    .limit(bindparam("limit"))
)
_EXPIRED = (
    select(Message.id)
    .where(
        Message.direction == "in",
        Message.status == "processing",
        Message.not_before <= bindparam("now"),
        Message.id == _OLDEST_OPEN,
    )
    .order_by(Message.id)
    .limit(bindparam("limit"))
)
_CLAIM = (
    update(MESSAGES)
    .where(
        MESSAGES.c.id == bindparam("row_id"),
        MESSAGES.c.status.in_(("pending", "processing")),
        or_(MESSAGES.c.not_before.is_(None), MESSAGES.c.not_before <= bindparam("now")),
    )
    .values(status="processing", not_before=bindparam("until"), attempts=MESSAGES.c.attempts + 1)
)


def claim_inbox(db: Database, limit: int, lease: timedelta = DEFAULT_LEASE) -> list[int]:
    """Claim the oldest unfinished inbound message of up to ``limit`` conversations.

    The lease must outlast one turn (the Rasa timeout); if it does not, a second worker
    may ask Rasa again, but the replies are still stored once.
    """
    return leases.take(db, (_EXPIRED, _PENDING), _CLAIM, limit, lease)


@dataclass(frozen=True)
class SlaLoop:
    """What the SLA loop needs: the ladder, the notifier and how often to scan."""

    ladder: LadderConfig
    notifier: Notifier
    interval_s: float = 10.0
    handoffs: OfferRouter | None = None  # routes the handoff queue, requeues absent agents


class Worker:
    """Runs the inbox, outbox and SLA loops inside a service process."""

    def __init__(
        self,
        db: Database,
        rasa: RasaClient,
        delivery: Delivery,
        concurrency: int = 8,
        lease: timedelta = DEFAULT_LEASE,
        sla: SlaLoop | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.db = db
        self.rasa = rasa
        self.delivery = delivery
        self.concurrency = concurrency
        self.lease = lease
        self.sla = sla
        self.settings = settings if settings is not None else Settings()
        self.identity = (
            Identity(
                delivery.vault,
                timedelta(hours=self.settings.identity_valid_hours),
                ZoneInfo(self.settings.display_timezone),
            )
            if delivery.vault is not None
            else None
        )
        self._inbox_wake = asyncio.Event()
        self._outbox_wake = asyncio.Event()
        self._sla_wake = asyncio.Event()
        self._backlog_wake = asyncio.Event()  # set only to stop
        self._stopping = False
        self._weekly = WeeklyReport(db, self.settings, sla.notifier.smtp if sla else None)
        self._kb_reminders = ReviewReminders(db, self.settings)
        self._retention = NightlyPurge(db, self.settings)
        self._retention_wake = asyncio.Event()  # set only to stop

    def wake(self) -> None:
        """Called after a new inbound message is stored, to skip the poll delay."""
        self._inbox_wake.set()

    def wake_scanner(self) -> None:
        """Called after a ticket changes, so a P1 pages at once rather than at the next scan."""
        self._sla_wake.set()

    async def _sleep(self, event: asyncio.Event, seconds: float = POLL_SECONDS) -> None:
        try:
            await asyncio.wait_for(event.wait(), timeout=seconds)
        except TimeoutError:
            pass
        event.clear()

    async def _handle(self, message_id: int) -> None:
        try:
            stored = await process(self.db, self.rasa, message_id, self.settings, self.identity)
        except Exception:
            log.exception("processing inbox message %s failed; it will be retried", message_id)
            return
        if stored:
            self._outbox_wake.set()

    async def run_inbox(self) -> None:
        """Keep up to ``concurrency`` turns in flight; a free slot is refilled at once,
        so one slow turn does not hold up the others."""
        running: set[asyncio.Task[None]] = set()

        def finished(task: asyncio.Task[None]) -> None:
            running.discard(task)
            self._inbox_wake.set()

        try:
            while not self._stopping:
                free = self.concurrency - len(running)
                claimed: list[int] = []
                if free > 0:
                    try:
                        claimed = await to_thread.run_sync(claim_inbox, self.db, free, self.lease)
                    except Exception:
                        log.exception("inbox claim failed (database unavailable?)")
                for message_id in claimed:
                    task = asyncio.create_task(self._handle(message_id))
                    running.add(task)
                    task.add_done_callback(finished)
                if not claimed:
                    await self._sleep(self._inbox_wake)
        except asyncio.CancelledError:
            for task in running:  # like a crash: their leases run out and they are retried
                task.cancel()
            raise
        finally:
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    async def run_outbox(self) -> None:
        while not self._stopping:
            try:
                claimed = await to_thread.run_sync(claim_due, self.db)
            except Exception:
                log.exception("outbox claim failed (database unavailable?)")
                claimed = []
            if claimed:
                await asyncio.gather(*(self.delivery.deliver(item_id) for item_id in claimed))
            if not claimed:
                await self._sleep(self._outbox_wake)

    async def run_sla(self) -> None:
        """Scan at start (catch-up after downtime), then every interval or when woken."""
        if self.sla is None:
            return
        while not self._stopping:
            wait = self.sla.interval_s
            try:
                for _ in range(SCAN_ROUNDS):  # a backlog (after downtime) takes several passes
                    await to_thread.run_sync(scan, self.db, self.sla.ladder)
                    upcoming = await to_thread.run_sync(next_due, self.db)
                    if upcoming is None or upcoming > utcnow():
                        break
                if self.settings is not None:
                    if await to_thread.run_sync(close_silent_confirmations, self.db, self.settings):
                        self._outbox_wake.set()  # the survey questions are queued
                if self.sla.handoffs is not None:
                    offer_due = await self.sla.handoffs.run_once()
                    if offer_due is not None and (upcoming is None or offer_due < upcoming):
                        upcoming = offer_due
                await self.sla.notifier.run_once()
                await to_thread.run_sync(self._weekly.send_if_due)
                await to_thread.run_sync(self._kb_reminders.send_if_due)
                if upcoming is not None:
                    # Wake when the next step is due, not a whole interval later.
                    wait = min(wait, max((upcoming - utcnow()).total_seconds(), 0.05))
            except Exception:
                log.exception("SLA scan failed; it runs again at the next interval")
            await self._sleep(self._sla_wake, wait)

    async def run_backlog(self) -> None:
        """Past capacity, tell each customer still waiting that they are in line."""
        if self.settings is None or self.settings.busy_after_s <= 0:
            return
        after = timedelta(seconds=self.settings.busy_after_s)
        while not self._stopping:
            try:
                if await to_thread.run_sync(tell_waiting, self.db, after):
                    self._outbox_wake.set()
            except Exception:
                log.exception("backlog check failed; it runs again shortly")
            await self._sleep(self._backlog_wake, min(after.total_seconds() / 3, 5.0))

    async def run_retention(self) -> None:
        """Once a night, the retention purge (in a thread of its own: it may take a
        while, and it writes in short batches so the inbox keeps going)."""
        while not self._stopping:
            try:
                await to_thread.run_sync(self._retention.run_if_due)
            except Exception:
                log.exception("retention purge failed; it is tried again tomorrow")
            await self._sleep(self._retention_wake, RETENTION_CHECK_S)

    async def run(self) -> None:
        await asyncio.gather(
            self.run_inbox(),
            self.run_outbox(),
            self.run_sla(),
            self.run_backlog(),
            self.run_retention(),
        )

    def stop(self) -> None:
        self._stopping = True
        self._inbox_wake.set()
        self._outbox_wake.set()
        self._sla_wake.set()
        self._backlog_wake.set()
        self._retention_wake.set()


__all__ = ["Worker", "claim_inbox"]
