"""The long-lived parts of one service process, built once at start-up."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from anyio import to_thread

from bot.audit import trail as audit
from bot.core.config import Settings
from bot.core.contact_vault import ContactVault
from bot.core.db import Database
from bot.core.live_events import LiveEvents
from bot.handoff.offers import OfferRouter
from bot.kb.matcher import KbMatcher
from bot.pipeline import channel_store
from bot.pipeline.group_commit import InboxWriter
from bot.pipeline.messages import Accepted, ChannelSender, InboundMessage, StoredMessage
from bot.pipeline.rasa_client import RasaClient
from bot.pipeline.worker import Worker

log = logging.getLogger(__name__)

WAKE_INBOX, WAKE_SLA = "inbox", "sla"


@dataclass
class Services:
    settings: Settings
    db: Database
    events: LiveEvents
    rasa: RasaClient
    inbox: InboxWriter
    senders: dict[str, ChannelSender] = field(default_factory=dict)
    vault: ContactVault | None = None
    worker: Worker | None = None
    handoffs: OfferRouter | None = None
    kb: KbMatcher | None = None
    # Set once the knowledge base's questions are indexed at start (or that failed and
    # the first question will build the index): until then the process is not ready, as
    # a question would wait for the index (seconds for a large knowledge base).
    kb_indexed: bool = False
    # Set when the process begins to stop: start-up work in threads ends early.
    stopping: threading.Event = field(default_factory=threading.Event)
    background: set[asyncio.Task[None]] = field(default_factory=set)
    _waking: set[str] = field(default_factory=set, init=False, repr=False)
    _wake_again: set[str] = field(default_factory=set, init=False, repr=False)

    # The channels' port (bot.pipeline.port.ChannelPort).

    async def store(self, inbound: InboundMessage) -> Accepted:
        """Store before acknowledging (grouped with whatever else arrives meanwhile, one
        commit for all: ``bot.pipeline.group_commit``); a duplicate is acknowledged
        without a second row. A new message wakes the worker and is pushed live (best
        effort) to whoever watches the conversation: the agent who has the chat, or the
        customer's other web-chat tabs."""
        accepted = await self.inbox.store(inbound)
        if not accepted.duplicate:
            self.wake_worker()
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
            self.events.publish_soon(accepted.conversation_public_id, frame)
        return accepted

    async def open_conversation(self, channel: str, external_id: str) -> str:
        return await to_thread.run_sync(
            channel_store.conversation_of, self.db, channel, external_id
        )

    async def recent_messages(
        self, channel: str, external_id: str, limit: int
    ) -> tuple[str | None, list[StoredMessage]]:
        return await to_thread.run_sync(
            channel_store.recent_messages, self.db, channel, external_id, limit
        )

    async def load_cursor(self, channel: str, key: str) -> str:
        return await to_thread.run_sync(channel_store.load_cursor, self.db, channel, key)

    async def save_cursor(self, channel: str, key: str, value: str) -> None:
        await to_thread.run_sync(channel_store.save_cursor, self.db, channel, key, value)

    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.display_timezone)

    def wake_worker(self) -> None:
        """New inbound work: wake this process's worker at once, and any other process's
        (a separate worker, replicas) through Redis."""
        if self.worker is not None:
            self.worker.wake()
        self._wake_others(WAKE_INBOX)

    async def route_handoffs(self) -> None:
        """Offer waiting chats to agents now rather than at the next sweep."""
        if self.handoffs is None:
            return
        try:
            await self.handoffs.run_once()
        except Exception:  # what the caller did stands; the sweeper routes again soon
            log.exception("routing the handoff queue failed; the next sweep retries")
        self.wake_scanner()  # the sweeper wakes again when the new offers run out

    async def audit(
        self,
        actor: str,
        action: str,
        object_type: str,
        object_id: str,
        address: str | None = None,
        detail: str = "",
    ) -> None:
        """Record a read or a change in the hash-chained audit log, and anchor the new
        head in Redis (so rows cut from the end are noticed too)."""
        head = await to_thread.run_sync(
            lambda: audit.record(
                self.db, audit.Event(actor, action, object_type, object_id, address, detail)
            )
        )
        try:
            await self.events.redis.set(audit.anchor_key(self.settings.redis_prefix), head)
        except Exception:
            log.warning("could not anchor the audit head in Redis; the log itself is written")

    async def announce(self, payload: dict[str, Any], to: str | None = None) -> None:
        """A notice for every staff app (a ticket changed), or for one person's (``to``:
        an @mention); best effort: the change it tells of is committed already."""
        try:
            if to is None:
                await self.events.publish_staff(payload)
            else:
                await self.events.publish_person(to, payload)
        except Exception:
            log.warning("could not publish a staff notice; the change itself is saved")

    def wake_scanner(self) -> None:
        if self.worker is not None:
            self.worker.wake_scanner()
        self._wake_others(WAKE_SLA)

    def _wake_others(self, what: str) -> None:
        """Publish a wake-up, coalesced: while one is on its way, further ones are folded
        into a single one sent after it, which still follows every commit that asked.
        (One per webhook was a Redis round trip per message in the web process and a
        pub/sub message per message in the worker's, 300 a second in a burst.)"""
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # called from a thread: the others poll soon enough
            return
        if what in self._waking:
            self._wake_again.add(what)
            return
        self._waking.add(what)
        self.in_background(self._send_wakes(what))

    async def _send_wakes(self, what: str) -> None:
        try:
            while True:
                self._wake_again.discard(what)
                await self.events.wake(what)
                if what not in self._wake_again:
                    return
        finally:
            self._waking.discard(what)

    async def listen_for_wakes(self) -> None:
        """Run in a process with a worker: wake it when another process stored work."""
        if self.worker is None:
            return
        while True:
            try:
                async for what in self.events.wakes():
                    if what == WAKE_INBOX:
                        self.worker.wake()
                    elif what == WAKE_SLA:
                        self.worker.wake_scanner()
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis away: the worker's own polling carries on
                await asyncio.sleep(1)
