"""The long-lived parts of one service process, built once at start-up."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.contact_vault import ContactVault
from bot.db import Database
from bot.handoff.offers import OfferRouter
from bot.live_events import LiveEvents
from bot.rasa_client import RasaClient
from bot.worker import Worker
from channels.base import ChannelSender

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    events: LiveEvents
    rasa: RasaClient
    senders: dict[str, ChannelSender] = field(default_factory=dict)
    vault: ContactVault | None = None
    worker: Worker | None = None
    handoffs: OfferRouter | None = None
    background: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.display_timezone)

    def wake_worker(self) -> None:
        if self.worker is not None:
            self.worker.wake()

    async def route_handoffs(self) -> None:
        """Offer waiting chats to agents now rather than at the next sweep."""
        if self.handoffs is None:
            return
        try:
            await self.handoffs.run_once()
        except Exception:  # what the caller did stands; the sweeper routes again soon
            log.exception("routing the handoff queue failed; the next sweep retries")
        self.wake_scanner()  # the sweeper wakes again when the new offers run out

    def wake_scanner(self) -> None:
        if self.worker is not None:
            self.worker.wake_scanner()
